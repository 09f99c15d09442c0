// Your own points: typed or pasted as "x, y" or "x, y, label" per line, or read
// from a CSV file; a first line that is not numbers is taken for a header.
// A file is read as a stream, a piece at a time with a pause between pieces, and
// counted as it comes, so that a large one neither freezes the page nor is sent
// (or drawn) when it has more points than the server takes.

import { tooManyPoints } from './messages.js';

const SEPARATOR = /[,;\t ]+/;
const PIECE = 1 << 16; // characters read between two pauses: a few thousand lines

/** {points, labels} from text; labels only when every line has one. Throws with the line at fault. */
export function parsePoints(text) {
  const rows = numberedRows(freshLines(), text, true);
  const found = { points: [], labels: [] };
  readRows(rows, found);
  return result(found);
}

/** The same, for a File: read as a stream, a piece at a time with a pause between
 * pieces; counted as it comes, refused in words when empty or over maxPoints. */
export async function readPointsFile(file, maxPoints) {
  const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader();
  const found = { points: [], labels: [] };
  const lines = freshLines();
  for (;;) {
    const { value = '', done } = await reader.read();
    // The stream may hand over the whole file at once: it is cut into pieces here.
    for (let at = 0; at < value.length || (done && at === 0); at += PIECE) {
      const last = done && at + PIECE >= value.length;
      const rows = numberedRows(lines, value.slice(at, at + PIECE), last);
      lines.count += rows.length;
      // Over the limit, the rest is only counted, for the message.
      if (lines.count <= maxPoints) readRows(rows, found);
      await pause();
    }
    if (done) break;
  }
  if (lines.count === 0) throw new Error('This file has no points: it should have x, y on each line.');
  if (lines.count > maxPoints) throw new Error(tooManyPoints('This file has', lines.count, maxPoints));
  return result(found);
}

// The lines of a piece of text that hold something, each with its number in the
// whole text; a first line that is not numbers (a header) left out. `lines`
// carries over what a piece ends with, to the next piece.
function numberedRows(lines, piece, last) {
  const rows = [];
  const text = lines.rest + piece;
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end === -1 && !last) break;
    lines.number += 1;
    const line = text.slice(start, end === -1 ? text.length : end).trim();
    if (line) {
      const header = lines.first && !isNumeric(line.split(SEPARATOR)[0]);
      lines.first = false;
      if (!header) rows.push({ line, number: lines.number });
    }
    if (end === -1) break;
    start = end + 1;
  }
  lines.rest = last ? '' : text.slice(start);
  return rows;
}

function freshLines() {
  return { rest: '', number: 0, count: 0, first: true };
}

function readRows(rows, { points, labels }) {
  for (let i = 0; i < rows.length; i += 1) {
    const { line, number } = rows[i];
    const cells = line.split(SEPARATOR).map(Number);
    if (cells.length < 2 || cells.slice(0, 2).some((v) => !Number.isFinite(v))) {
      throw new Error(`Line ${number} ("${line.slice(0, 30)}") should be x, y: two numbers.`);
    }
    points.push([cells[0], cells[1]]);
    if (cells.length > 2 && Number.isInteger(cells[2]) && cells[2] >= 0) labels.push(cells[2]);
  }
}

function result({ points, labels }) {
  return { points, labels: labels.length === points.length && points.length > 0 ? labels : null };
}

// Lets the page paint and answer clicks between two slices.
function pause() {
  return new Promise((resolve) => { setTimeout(resolve, 0); });
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
