// Which k? The elbow (best inertia for each k) with the silhouette beside it,
// fetched only while its section is open. The server computes it once per data
// set; a cold answer may stop short ("complete": false), so it is asked again,
// and what has come so far is drawn meanwhile.

import { api } from './api.js';
import { formatNumber } from './messages.js';
import { chartLayout, keepFitted } from './plot.js';

const CONFIG = { displayModeBar: false, responsive: false };
const INERTIA = '#1552a8';
const SILHOUETTE = '#8a4b00';

export class Elbow {
  #key = null; // the data set (and k_max) the curve shown is for

  #curve = null;

  #drawnK = null;

  #page = null;

  constructor({ section, chart, status, note }) {
    Object.assign(this, { section, chart, status, note });
    keepFitted(chart);
    section.addEventListener('toggle', () => this.show(this.#page));
  }

  /** Bring the curve up to date with the page's session, if the section is open. */
  show(page) {
    this.#page = page;
    const { session, state } = page ?? {};
    if (!this.section.open || !state) return;
    // At least the catalog's default k_max, or up to the run's k when it is larger.
    const kMax = Math.min(Math.max(page.catalog.limits.elbow_k_max.default, state.k), state.n_samples);
    const dataKey = JSON.stringify([state.dataset, state.dataset.name === 'custom' ? session.id : null]);
    const key = `${dataKey} ${kMax}`;
    if (key === this.#key) {
      if (this.#curve && this.#drawnK !== state.k) this.#draw(this.#curve, state.k);
      return;
    }
    this.#key = key;
    this.#curve = null;
    this.#fetch(session.id, kMax, key);
  }

  async #fetch(id, kMax, key) {
    this.status.textContent = `Computing the elbow for k = 1 to ${kMax}…`;
    try {
      for (;;) {
        const curve = await api.elbow(id, kMax);
        if (key !== this.#key) return; // the data set changed meanwhile
        this.#curve = curve;
        this.#draw(curve, this.#page.state?.k);
        if (curve.complete) break;
        this.status.textContent = `${progressText(curve)} ${curve.silhouette_note}`;
      }
      this.status.textContent = `Best inertia of ${this.#curve.starts} k-means++ starts for each k. `
        + `${this.#curve.silhouette_note}`;
    } catch (error) {
      if (key !== this.#key) return;
      this.#key = null; // so that opening the section again retries
      this.status.textContent = error.message;
    }
  }

  #draw(curve, k) {
    const at = curve.k.indexOf(k);
    const traces = [
      {
        type: 'scatter', name: 'inertia', x: curve.k, y: curve.inertia, mode: 'lines+markers',
        line: { color: INERTIA, width: 2 }, marker: { size: 6, color: INERTIA },
        hovertemplate: 'k = %{x}: inertia %{y:.4~g}<extra></extra>',
      },
      {
        type: 'scatter', name: 'silhouette', x: curve.k, y: curve.silhouette, yaxis: 'y2',
        mode: 'lines+markers', line: { color: SILHOUETTE, width: 1.5, dash: 'dot' },
        marker: { size: 6, color: SILHOUETTE, symbol: 'diamond' },
        hovertemplate: 'k = %{x}: silhouette %{y:.3f}<extra></extra>',
      },
    ];
    Plotly.react(this.chart, traces, layout(curve, k), CONFIG);
    this.#drawnK = k;
    this.note.textContent = noteText(curve, k, at);
  }
}

function layout(curve, k) {
  return {
    ...chartLayout({ l: 50, r: 44, t: 8, b: 34 }, 0.75),
    xaxis: {
      title: { text: 'k', standoff: 2 }, dtick: curve.k_max > 12 ? undefined : 1,
      range: [0.5, curve.k_max + 0.5],
    },
    yaxis: {
      title: { text: 'inertia', font: { color: INERTIA } }, exponentformat: 'SI', nticks: 4,
      rangemode: 'tozero',
    },
    yaxis2: {
      title: { text: 'silhouette', font: { color: SILHOUETTE } }, overlaying: 'y', side: 'right',
      range: [-0.1, 1], tickvals: [0, 0.5, 1], showgrid: false,
    },
    // The run's own k, as a band across the chart.
    shapes: [{
      type: 'rect', xref: 'x', yref: 'paper', x0: k - 0.4, x1: k + 0.4, y0: 0, y1: 1,
      fillcolor: '#dce8fa', opacity: 0.7, line: { width: 0 }, layer: 'below',
    }],
  };
}

/** How far an incomplete elbow has got: the k's done, and the starts of the next. */
function progressText({ k, k_max: kMax, progress }) {
  const done = k.length ? `Computed k = 1 to ${k.length} of ${kMax}; ` : '';
  if (!progress) return `${done}computing k = ${k.length + 1}…`;
  return `${done}computing k = ${progress.k}: ${progress.starts_done} of ${progress.starts} `
    + 'starts done…';
}

function noteText(curve, k, at) {
  const parts = ['Inertia always falls as k grows (more centroids, shorter distances), so look '
    + 'for the elbow, where one more cluster stops paying off. The silhouette (−1 to 1) is '
    + 'highest where clusters are tight and far apart.'];
  const scored = curve.silhouette.map((s, i) => [s, curve.k[i]]).filter(([s]) => s !== null);
  if (scored.length) {
    const [best, bestK] = scored.reduce((a, b) => (b[0] > a[0] ? b : a));
    parts.push(`Highest silhouette so far: ${best.toFixed(2)} at k = ${bestK}.`);
  }
  if (at >= 0) {
    const silhouette = curve.silhouette[at];
    parts.push(`Shaded, this run's k = ${k}: best inertia ${formatNumber(curve.inertia[at])}`
      + `${silhouette === null ? '' : `, silhouette ${silhouette.toFixed(2)}`}.`);
  }
  return parts.join(' ');
}
