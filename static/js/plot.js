// The main figure: points, centroids, the trail of every centroid and where
// each came from after an update (the regions are drawn under it, by
// regions.js, and so are the points of a large data set, by raster.js). Every
// trace is WebGL: the points need it, and WebGL traces are drawn over SVG ones,
// so the centroids must be WebGL too to stay on top.
// Plotly is loaded as a classic script before the modules, as window.Plotly.

import { picksTraces } from './kmeanspp.js';
import { OUTLINE } from './palette.js';
import { RASTER_FROM } from './raster.js';
import { pointGroupsOf, samePoints } from './scene.js';
import { snapshotButton } from './snapshot.js';

// Centroids are numbered 0 to k - 1, as scikit-learn's labels_.
// Every step redraws the whole figure (Plotly does so whenever a trace's data
// change), so what each redraw need not do is said here. An axis left without
// a type makes Plotly read every point to guess it; tick labels left to
// "hide past div" make it measure each one, forcing a layout of the page in
// the middle of the step. Automargin keeps them inside the figure anyway.
const AXIS = { type: 'linear', zeroline: false, automargin: true, ticklabeloverflow: 'allow' };

const CONFIG = {
  displaylogo: false,
  // Two quick clicks that place points or centroids are no double-click resetting
  // the view mid-click (which made a click land where the old axes had it). The
  // modebar's Reset axes button still resets a zoom.
  doubleClick: false,
  // Sharing uploads the chart to Plotly's cloud: nothing may leave the classroom's server.
  // Plotly's own camera button would leave out what is drawn under the figure.
  modeBarButtonsToRemove: ['sendChartToCloud', 'select2d', 'lasso2d', 'autoScale2d', 'toImage'],
};

const drawnScenes = new WeakMap(); // div -> the scene it shows

/** Draw the scene: the points (one trace per colour), then the trail, the previous
 * centroids, the centroids and the k-means++ picks, each trace named for its part.
 * A scene the plot already shows is not drawn again (a step shown ahead, then confirmed). */
export function drawPlot(div, scene) {
  if (sameScene(drawnScenes.get(div), scene)) return Promise.resolve();
  drawnScenes.set(div, scene);
  // The k-means++ layer only while centres are picked one at a time: the four first stay put.
  const traces = [...pointsTraces(scene), trailTrace(scene), previousTrace(scene), centroidsTrace(scene),
    ...(scene.picks ? picksTraces(scene) : [])];
  // The config only the first time: given again, Plotly compares it deeply on every
  // step, and a changed one makes it build the figure anew (its WebGL context too),
  // which takes seconds on a slow laptop. The camera button (snapshot.js) saves the
  // plot as a PNG named after the data set; the name is read when it is pressed.
  const filename = `kmeans-${scene.name}`;
  let config;
  if (!div._context) {
    config = { ...CONFIG, modeBarButtonsToAdd: [snapshotButton()], toImageButtonOptions: { filename, scale: 2 } };
  } else {
    div._context.toImageButtonOptions.filename = filename;
  }
  return Plotly.react(div, traces, layout(scene, shownRanges(div, scene.ranges)), config)
    .then(() => followZoom(div));
}

function sameScene(a, b) {
  if (!a || !samePoints(a, b) || a.ranges !== b.ranges || a.name !== b.name) return false;
  const rest = ({ centroids, centroidColours, previous, trail, titles, picks }) => JSON.stringify(
    [centroids, centroidColours, previous, trail, titles, picks],
  );
  return rest(a) === rest(b);
}

/** A font size for Plotly that grows with the page's, which grows with the screen (projectors). */
export function textSize(scale) {
  return Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize) * scale);
}

/** What the small charts beside the plot share: a margin, no legend, the page's font. */
export function chartLayout(margin, fontScale) {
  return {
    margin,
    showlegend: false,
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: '#ffffff',
    font: { family: 'system-ui, sans-serif', size: textSize(fontScale), color: '#2a2f37' },
  };
}

/** Refit a Plotly figure whenever its box changes size: with the window, and
 * when the lines of text above it grow or shrink. The main plot shows its data
 * whole again, or the student's zoom, widened for its new size. */
export function keepFitted(div) {
  let pending = false;
  new ResizeObserver(() => {
    if (pending || !div._fullLayout) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (!div.clientWidth || !div.clientHeight) return;
      Plotly.Plots.resize(div).then(() => showView(div));
    });
  }).observe(div);
}

/** Show the plot's data whole, forgetting the student's zoom: after Reset. */
export function refit(div) {
  const view = viewOf(div);
  view.zoom = null;
  view.fits += 1;
  if (div._fullLayout) showView(div);
}

/** Call handler(x, y), in data coordinates, for a click or tap on the plot area. */
export function onPlotClick(div, handler) {
  // Plotly re-dispatches a click of its own after its drag layer saw one. After a
  // tap it builds that click from the touchend, which has no coordinates (0, 0), so
  // the place is taken from where the pointer went down: a click or tap never moves.
  let down = null;
  div.addEventListener('pointerdown', (event) => {
    down = { x: event.clientX, y: event.clientY };
  }, { capture: true });
  div.addEventListener('click', (event) => {
    if (event.isTrusted || !event.target.closest?.('.nsewdrag')) return;
    const at = down ?? { x: event.clientX, y: event.clientY };
    const { xaxis, yaxis } = div._fullLayout;
    const box = div.getBoundingClientRect();
    handler(xaxis.p2c(at.x - box.left - xaxis._offset), yaxis.p2c(at.y - box.top - yaxis._offset));
  });
}

// The points, one trace per colour, each named 'points' and holding the indices of its
// points in the data (`indices`, null for a trace of every point in order). Plotly parses
// a colour given per point at every redraw: 100,000 colour strings took 200 ms of a
// step's 280 ms redraw. A trace of one colour has one to parse. From RASTER_FROM
// points on, raster.js draws them, and the traces stay in the figure, not drawn.
function pointsTraces(scene) {
  const { size, groups } = pointGroupsOf(scene);
  const drawn = scene.xs.length < RASTER_FROM;
  return [...groups.map(({ x, y, indices, colour }) => ({
    type: 'scattergl',
    name: 'points',
    visible: drawn,
    x,
    y,
    indices,
    mode: 'markers',
    marker: { size, color: colour },
    hovertemplate: '(%{x:.3~g}, %{y:.3~g})<extra></extra>',
  })), ...(drawn ? [] : [warmUpTrace(scene.ranges)])];
}

// With the points in the raster, nothing WebGL is drawn until the first centroids, at a
// click: Plotly would build its WebGL programs then, 300 to 500 ms of that click in
// software WebGL (and those of the trail's lines at the first Update). A transparent
// line far off the axes has it build them with the figure, while the data set opens.
function warmUpTrace({ x, y }) {
  const clear = 'rgba(0,0,0,0)';
  const far = ([low, high], by) => low - by * (high - low);
  return {
    type: 'scattergl',
    name: 'warm-up',
    x: [far(x, 10), far(x, 11)],
    y: [far(y, 10), far(y, 11)],
    mode: 'lines+markers',
    line: { color: clear, width: 1.5 },
    marker: { size: 19, color: clear, line: { color: clear, width: 2.5 } },
    hoverinfo: 'skip',
  };
}

// One polyline per centroid, through every position it has had, split by nulls.
// One colour for all: a colour per vertex would be parsed again on every repaint.
function trailTrace({ trail, centroids }) {
  const x = [];
  const y = [];
  if (trail.length > 1) {
    centroids.forEach((_, j) => {
      trail.forEach((positions) => {
        x.push(positions[j][0]);
        y.push(positions[j][1]);
      });
      x.push(null);
      y.push(null);
    });
  }
  return {
    type: 'scattergl',
    name: 'trail',
    x,
    y,
    mode: 'lines+markers',
    line: { color: '#3d4450', width: 1.5 },
    marker: { size: 4, color: '#3d4450' },
    hoverinfo: 'skip',
  };
}

function previousTrace({ previous, centroidColours }) {
  const positions = previous ?? [];
  return {
    type: 'scattergl',
    name: 'previous',
    x: positions.map((p) => p[0]),
    y: positions.map((p) => p[1]),
    mode: 'markers',
    marker: { size: 15, symbol: 'circle-open', color: centroidColours, line: { width: 3 } },
    customdata: positions.map((_, j) => j),
    hovertemplate: 'Centroid %{customdata} was here<extra></extra>',
  };
}

function centroidsTrace({ centroids, centroidColours }) {
  return {
    type: 'scattergl',
    name: 'centroids',
    x: centroids.map((p) => p[0]),
    y: centroids.map((p) => p[1]),
    mode: 'markers',
    marker: { size: 19, color: centroidColours, line: { color: OUTLINE, width: 2.5 } },
    customdata: centroids.map((_, j) => j),
    hovertemplate: 'Centroid %{customdata}<br>(%{x:.3~g}, %{y:.3~g})<extra></extra>',
  };
}

// Plotly writes the student's zoom, and its widening of one axis for equal
// scales (for the plot's size at the time), back into the figure's layout. So
// the ranges given to it are always the data's, or the student's zoom while the
// data stay the same, and Plotly widens them for the plot's size now: after a
// resize too. A refit (Reset, or the modebar's Reset axes) forgets the zoom
// and starts a new revision, so that Plotly keeps nothing of it either.
const views = new WeakMap(); // div -> { zoom: {x, y} | null, fits, following }

function viewOf(div) {
  if (!views.has(div)) views.set(div, { zoom: null, fits: 0, following: false });
  return views.get(div);
}

function followZoom(div) {
  const view = viewOf(div);
  if (view.following) return;
  view.following = true;
  div.on('plotly_relayout', (change) => {
    if ('uirevision' in change) return; // showView's own, never the student's
    const keys = Object.keys(change);
    if (keys.some((key) => /^[xy]axis\.autorange$/.test(key))) {
      queueMicrotask(() => refit(div));
    } else if (keys.some((key) => /^[xy]axis\.range/.test(key))) {
      view.zoom = { x: [...div.layout.xaxis.range], y: [...div.layout.yaxis.range] };
    }
  });
}

// The data's ranges, or the student's zoom, widened by Plotly for the plot's size now.
function showView(div) {
  const { ranges } = drawnScenes.get(div) ?? {};
  if (!ranges) return;
  const shown = viewOf(div).zoom ?? ranges;
  Plotly.relayout(div, {
    uirevision: revisionOf(div, ranges),
    'xaxis.range': [...shown.x],
    'yaxis.range': [...shown.y],
  });
}

function revisionOf(div, ranges) {
  return `${JSON.stringify(ranges)}#${viewOf(div).fits}`;
}

function shownRanges(div, ranges) {
  const revision = revisionOf(div, ranges);
  const view = viewOf(div);
  if (div.layout?.uirevision !== revision) view.zoom = null; // new data: a new view
  const shown = view.zoom ?? ranges;
  return {
    revision,
    equal: ranges.equal,
    x: [...shown.x],
    y: [...shown.y],
  };
}

function layout(scene, ranges) {
  const { titles } = scene;
  return {
    uirevision: ranges.revision,
    margin: { l: 56, r: 12, t: 10, b: 46 },
    showlegend: false,
    hovermode: 'closest',
    dragmode: 'zoom',
    // Transparent, so that the regions drawn under the figure show through.
    plot_bgcolor: 'rgba(0,0,0,0)',
    paper_bgcolor: 'rgba(0,0,0,0)',
    font: { family: 'system-ui, sans-serif', size: textSize(0.92), color: '#2a2f37' },
    xaxis: { ...AXIS, range: ranges.x, title: { text: titles[0] } },
    yaxis: {
      ...AXIS,
      range: ranges.y,
      title: { text: titles[1] },
      ...(ranges.equal ? { scaleanchor: 'x', scaleratio: 1 } : {}),
    },
  };
}
