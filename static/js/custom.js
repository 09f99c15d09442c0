// Your own points: typed or pasted as "x, y" or "x, y, label" per line, or read
// from a CSV file; a first line that is not numbers is taken for a header.

/** {points, labels} from text; labels only when every line has one. Throws with the line at fault. */
export function parsePoints(text) {
  const rows = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  if (rows.length > 0 && !isNumeric(rows[0].split(/[,;\t ]+/)[0])) rows.shift();
  const points = [];
  const labels = [];
  rows.forEach((row, i) => {
    const cells = row.split(/[,;\t ]+/).map(Number);
    if (cells.length < 2 || cells.slice(0, 2).some((v) => !Number.isFinite(v))) {
      throw new Error(`Line ${i + 1} ("${row.slice(0, 30)}") should be x, y: two numbers.`);
    }
    points.push([cells[0], cells[1]]);
    if (cells.length > 2 && Number.isInteger(cells[2]) && cells[2] >= 0) labels.push(cells[2]);
  });
  return { points, labels: labels.length === points.length && points.length > 0 ? labels : null };
}

/** Points back to text, one "x, y" per line, to show in a text box. */
export function formatPoints(points, labels = null) {
  return points
    .map(([x, y], i) => [round(x), round(y), ...(labels ? [labels[i]] : [])].join(', '))
    .join('\n');
}

function round(value) {
  return Number(value.toPrecision(6));
}

function isNumeric(text) {
  return text !== '' && Number.isFinite(Number(text));
}
