// Judging a clustering against the true labels: the ARI and purity the server
// sends in every state, and its cluster × true label table as an HTML table,
// with the class each cluster stands for and the classes split or left out.

const FULL_SHADE = [158, 194, 240]; // a light blue, so dark digits stay readable on it

/** The line of numbers beside the inertia. */
export function showMetrics(line, state, hasTruth) {
  const metrics = state?.metrics;
  if (!state || !hasTruth || !metrics) {
    line.textContent = !state ? '' : hasTruth ? 'ARI and purity appear after the first Assign.'
      : 'No true labels: nothing to compare the clusters with.';
    return;
  }
  const number = (value) => {
    const strong = document.createElement('strong');
    strong.textContent = value.toFixed(3);
    return strong;
  };
  line.replaceChildren('ARI ', number(metrics.ari), ' · purity ', number(metrics.purity),
    ' (ARI 1: the true grouping; 0: no better than chance)');
}

/** The table and the notes under it; colours are the clusters' own. */
export function drawContingency(container, notes, state, colours, classes) {
  const metrics = state?.metrics;
  if (!metrics) {
    container.replaceChildren();
    notes.textContent = '';
    return;
  }
  const { contingency, truth_names: names } = metrics;
  const kind = classes ?? ['class', 'classes']; // the data set's own words, from the catalog
  const standsFor = contingency.map((row) => (rowTotal(row) ? argmax(row) : null));
  container.replaceChildren(table(contingency, names, standsFor, colours, kind[0]));
  notes.textContent = sharedOut(standsFor, names, kind);
}

function table(contingency, names, standsFor, colours, noun) {
  const element = document.createElement('table');
  const caption = element.createCaption();
  caption.textContent = `Points of each cluster (rows) by true ${noun} (columns)`;
  const head = element.createTHead().insertRow();
  const corner = headerCell('col', '#');
  corner.setAttribute('aria-label', 'Cluster');
  head.append(corner, ...names.map((name) => headerCell('col', name)), headerCell('col', 'Mostly'));
  const body = element.createTBody();
  contingency.forEach((row, j) => {
    const tr = body.insertRow();
    const cluster = headerCell('row', String(j)); // scikit-learn's labels_: 0 to k - 1
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.setAttribute('aria-hidden', 'true');
    swatch.style.backgroundColor = colours[j];
    cluster.prepend(swatch);
    tr.append(cluster);
    const most = Math.max(...row);
    for (const count of row) {
      const cell = tr.insertCell();
      cell.textContent = String(count);
      if (count > 0) cell.style.backgroundColor = shade(count / most);
    }
    tr.insertCell().textContent = standsFor[j] === null ? 'empty' : names[standsFor[j]];
  });
  return element;
}

function headerCell(scope, text) {
  const th = document.createElement('th');
  th.scope = scope;
  th.textContent = text;
  return th;
}

function shade(fraction) {
  const mix = FULL_SHADE.map((full) => Math.round(255 + (full - 255) * fraction));
  return `rgb(${mix.join(', ')})`;
}

// Which classes more than one cluster stands for, and which none does.
function sharedOut(standsFor, names, [one, many]) {
  const counts = names.map((_, c) => standsFor.filter((s) => s === c).length);
  const split = names.flatMap((name, c) => (counts[c] > 1 ? [`${name} (${counts[c]})`] : []));
  const missing = names.filter((_, c) => counts[c] === 0);
  const parts = [];
  parts.push(split.length
    ? `${cap(many)} with more than one cluster: ${split.join(', ')}.`
    : `No ${one} has more than one cluster.`);
  parts.push(missing.length
    ? `${cap(many)} without a cluster of their own: ${missing.join(', ')}.`
    : `Every ${one} has a cluster of its own.`);
  return parts.join(' ');
}

function cap(text) {
  return text[0].toUpperCase() + text.slice(1);
}

function rowTotal(row) {
  return row.reduce((sum, count) => sum + count, 0);
}

function argmax(row) {
  return row.indexOf(Math.max(...row));
}
