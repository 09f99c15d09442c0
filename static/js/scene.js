// What the plot shows, worked out from what the page remembers: the colour of
// every point, the centroids, where they came from, and their regions.

import { datasetOf } from './catalog.js';
import { FADED, UNASSIGNED, palette } from './palette.js';

// An empty custom plot still needs axes to click into.
const CUSTOM_CANVAS = { x: [0, 10], y: [0, 10] };

// What a data set that is still loading shows: nothing, on its own axes.
const NOTHING = { xs: new Float64Array(0), ys: new Float64Array(0), ranges: { x: [0, 1], y: [0, 1], equal: false } };

export function scene(page) {
  const data = page.session
    ?? (page.settings.dataset.name === 'custom' ? customData(page.custom) : NOTHING);
  const { state } = page;
  const colours = palette(state?.k ?? page.settings.k);
  // While k-means++ picks them one at a time, the centres picked so far.
  const centroids = state?.centroids ?? state?.picks?.centres ?? page.placed;
  const { ranges } = data;
  return {
    xs: data.xs,
    ys: data.ys,
    points: pointGroups(page, data, colours),
    centroids,
    centroidColours: colours.slice(0, centroids.length),
    previous: state?.phase === 'updated' ? state.trail.at(-2) : null,
    trail: state?.trail ?? [],
    regions: showsRegions(state) ? { centroids: state.centroids, colours: colours.slice(0, state.k) } : null,
    ranges,
    picks: state?.picks ?? null,
    name: page.settings.dataset.name,
    titles: (state && datasetOf(page.catalog, state.dataset.name)?.axes) ?? ['x', 'y'],
  };
}

// Points typed in but not yet sent: their labels as the server will give them,
// class indices into the sorted distinct labels.
function customData({ points, labels }) {
  const xs = Float64Array.from(points, (p) => p[0]);
  const ys = Float64Array.from(points, (p) => p[1]);
  const classes = labels ? [...new Set(labels)].sort((a, b) => a - b) : null;
  return {
    xs,
    ys,
    ranges: plotRanges(xs, ys, true),
    truth: labels && labels.map((label) => classes.indexOf(label)),
    truthNames: classes && classes.map(String),
  };
}

// Every point's colour, as groups of one colour each: ``colours``, the distinct colours
// (FADED first, so that a highlighted cluster is drawn over the faded ones), and
// ``groupOf``, each label's group; ``labels`` null when every point is UNASSIGNED.
// ``size``: a marker's width in CSS pixels.
function pointGroups(page, data, colours) {
  const size = pointSize(data.xs.length);
  const labels = page.byTruth ? data.truth : page.state?.labels;
  if (!labels) return { labels: null, colours: [UNASSIGNED], groupOf: null, size };
  const scheme = page.byTruth ? truthColours(data.truthNames) : (label) => colours[label];
  const highlight = page.byTruth ? null : page.highlight;
  const count = page.byTruth ? data.truthNames.length : colours.length;
  const colourOf = (label) => (highlight === null || label === highlight ? scheme(label) : FADED);
  const distinct = [...new Set(Array.from({ length: count }, (_, label) => colourOf(label)))]
    .sort((a, b) => (b === FADED) - (a === FADED));
  const groupOf = Int32Array.from({ length: count }, (_, label) => distinct.indexOf(colourOf(label)));
  return { labels, colours: distinct, groupOf, size };
}

function pointSize(n) {
  if (n <= 500) return 8;
  return n <= 3000 ? 6 : 4;
}

/** Whether two scenes show the same points in the same colours. */
export function samePoints(a, b) {
  const [p, q] = [a.points, b.points];
  return a.xs === b.xs && a.ys === b.ys && p.labels === q.labels
    && sameList(p.colours, q.colours) && sameList(p.groupOf, q.groupOf);
}

function sameList(a, b) {
  return a === b || (a !== null && b !== null && a.length === b.length && a.every((v, i) => v === b[i]));
}

const split = new WeakMap(); // a scene's points -> their groups, worked out once for every layer

/** The scene's points split by colour: ``{ size, groups }``, each group ``{ x, y, indices,
 * colour }`` with the indices of its points in the data (null: every point, in order). */
export function pointGroupsOf({ xs, ys, points }) {
  if (!split.has(points)) split.set(points, { size: points.size, groups: splitByColour(xs, ys, points) });
  return split.get(points);
}

function splitByColour(xs, ys, { labels, colours, groupOf }) {
  if (!labels || colours.length === 1) return [{ x: xs, y: ys, indices: null, colour: colours[0] }];
  const sizes = new Int32Array(colours.length);
  for (let i = 0; i < labels.length; i += 1) sizes[groupOf[labels[i]]] += 1;
  const groups = Array.from(sizes, (size, g) => ({
    x: new Float64Array(size), y: new Float64Array(size), indices: new Int32Array(size), colour: colours[g],
  }));
  const filled = new Int32Array(colours.length);
  for (let i = 0; i < labels.length; i += 1) {
    const g = groupOf[labels[i]];
    const group = groups[g];
    const at = filled[g];
    group.x[at] = xs[i];
    group.y[at] = ys[i];
    group.indices[at] = i;
    filled[g] += 1;
  }
  return groups;
}

// The true classes come as indices into their names: one colour per class.
function truthColours(names) {
  const colours = palette(names.length);
  return (index) => colours[index];
}

// Regions mean something only where the plot is the clustered space.
function showsRegions(state) {
  return Boolean(state?.centroids) && state.view_is_space;
}

/** Axis ranges around the points, fixed for a session so steps do not jump the view. */
export function plotRanges(xs, ys, custom) {
  const x = span(xs, custom ? CUSTOM_CANVAS.x : null);
  const y = span(ys, custom ? CUSTOM_CANVAS.y : null);
  const ratio = (x[1] - x[0]) / (y[1] - y[0]);
  // Equal scales show distances truly, unless one axis would squash the other flat.
  return { x, y, equal: ratio > 1 / 3 && ratio < 3 };
}

function span(values, atLeast) {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  if (atLeast) {
    low = Math.min(low, atLeast[0]);
    high = Math.max(high, atLeast[1]);
  }
  const pad = high > low ? (high - low) * 0.06 : 1;
  return [low - pad, high + pad];
}
