// The main figure: points, centroids, the trail of every centroid and where
// each came from after an update (the regions are drawn under it, by
// regions.js). Every trace is WebGL: the points need it, and WebGL traces are
// drawn over SVG ones, so the centroids must be WebGL too to stay on top.
// Plotly is loaded as a classic script before the modules, as window.Plotly.

import { OUTLINE } from './palette.js';

const CONFIG = {
  displaylogo: false,
  // Sharing uploads the chart to Plotly's cloud: nothing may leave the classroom's server.
  modeBarButtonsToRemove: ['sendChartToCloud', 'select2d', 'lasso2d', 'autoScale2d'],
};

/** Draw the scene; the trace order is fixed so that tests and updates find each part. */
export function drawPlot(div, scene) {
  const traces = [pointsTrace(scene), trailTrace(scene), previousTrace(scene), centroidsTrace(scene)];
  return Plotly.react(div, traces, layout(scene), CONFIG);
}

/** Refit a Plotly figure whenever its box changes size: with the window, and
 * when the lines of text above it grow or shrink. */
export function keepFitted(div) {
  let pending = false;
  new ResizeObserver(() => {
    if (pending || !div._fullLayout) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      Plotly.Plots.resize(div);
    });
  }).observe(div);
}

/** Call handler(x, y), in data coordinates, for a click on the plot area. */
export function onPlotClick(div, handler) {
  div.addEventListener('click', (event) => {
    // Plotly re-dispatches a click of its own after its drag layer saw one.
    if (event.isTrusted || !event.target.closest?.('.nsewdrag')) return;
    const { xaxis, yaxis } = div._fullLayout;
    const box = div.getBoundingClientRect();
    handler(xaxis.p2c(event.clientX - box.left - xaxis._offset),
      yaxis.p2c(event.clientY - box.top - yaxis._offset));
  });
}

function pointsTrace({ xs, ys, pointColours }) {
  return {
    type: 'scattergl',
    name: 'points',
    x: xs,
    y: ys,
    mode: 'markers',
    marker: { size: pointSize(xs.length), color: pointColours },
    hovertemplate: '(%{x:.3~g}, %{y:.3~g})<extra></extra>',
  };
}

function pointSize(n) {
  if (n <= 500) return 8;
  return n <= 3000 ? 6 : 4;
}

// One polyline per centroid, through every position it has had, split by nulls.
function trailTrace({ trail, centroidColours }) {
  const x = [];
  const y = [];
  const color = [];
  if (trail.length > 1) {
    centroidColours.forEach((colour, j) => {
      trail.forEach((positions) => {
        x.push(positions[j][0]);
        y.push(positions[j][1]);
        color.push(colour);
      });
      x.push(null);
      y.push(null);
      color.push(colour);
    });
  }
  return {
    type: 'scattergl',
    name: 'trail',
    x,
    y,
    mode: 'lines+markers',
    line: { color: '#3d4450', width: 1.5 },
    marker: { size: 6, color, line: { color: OUTLINE, width: 1 } },
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
    customdata: positions.map((_, j) => j + 1),
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
    customdata: centroids.map((_, j) => j + 1),
    hovertemplate: 'Centroid %{customdata}<br>(%{x:.3~g}, %{y:.3~g})<extra></extra>',
  };
}

function layout(scene) {
  const { ranges, titles } = scene;
  return {
    // Keep the student's zoom across steps; a new data range starts afresh.
    uirevision: JSON.stringify(ranges),
    margin: { l: 56, r: 12, t: 10, b: 46 },
    showlegend: false,
    hovermode: 'closest',
    dragmode: 'zoom',
    // Transparent, so that the regions drawn under the figure show through.
    plot_bgcolor: 'rgba(0,0,0,0)',
    paper_bgcolor: 'rgba(0,0,0,0)',
    font: { family: 'system-ui, sans-serif', size: 13, color: '#2a2f37' },
    xaxis: { range: ranges.x, zeroline: false, title: { text: titles[0] }, automargin: true },
    yaxis: {
      range: ranges.y,
      zeroline: false,
      title: { text: titles[1] },
      automargin: true,
      ...(ranges.equal ? { scaleanchor: 'x', scaleratio: 1 } : {}),
    },
  };
}
