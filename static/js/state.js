// What the page remembers. The run itself lives on the server, in the session;
// the page keeps its id and the server's latest answer, only in memory, and
// writes the settings (never the session) into the URL so a link reproduces them.

import { plotRanges } from './scene.js';

export function createPage() {
  return {
    catalog: null, // the data sets, start methods and limits, from GET /api/catalog
    settings: null, // what the form asks for: {dataset: {name, ...}, k, init, seed}
    session: null, // the session on the server: its id, points, true labels and plot ranges
    state: null, // the server's latest answer about it
    images: null, // GET .../centroids, for data sets of images
    placed: [], // starting centroids clicked in, not yet sent
    custom: { points: [], labels: null }, // your own points, until a session takes them
    byTruth: false,
    highlight: null, // a cluster picked in the gallery
    error: '',
  };
}

/** Take a new session's full state (the only answer that carries the points). */
export function adoptSession(page, created) {
  const { points, truth, truth_names: truthNames, ...state } = created;
  const xs = Float64Array.from(points, (p) => p[0]);
  const ys = Float64Array.from(points, (p) => p[1]);
  page.session = {
    id: created.id,
    xs,
    ys,
    ranges: plotRanges(xs, ys, created.dataset.name === 'custom'),
    truth,
    truthNames,
  };
  page.state = state;
  page.images = null;
  page.highlight = null;
}

/** Forget the session, e.g. when its data changed; the next step makes a new one. */
export function dropSession(page) {
  page.session = null;
  page.state = null;
  page.images = null;
  page.highlight = null;
}

// --- The settings in the URL ---------------------------------------------------------

const TOP_LEVEL = ['k', 'init', 'seed'];

/** {dataset, params, k, init, seed} as strings, from a query string. */
export function settingsFromUrl(search) {
  const query = new URLSearchParams(search);
  const params = {};
  for (const [key, value] of query) {
    if (key !== 'dataset' && !TOP_LEVEL.includes(key)) params[key] = value;
  }
  const pick = (key) => query.get(key) ?? undefined;
  return { dataset: pick('dataset'), params, k: pick('k'), init: pick('init'), seed: pick('seed') };
}

/** The settings as a query string (data set, its parameters, k, init, seed), without custom points. */
export function settingsQuery(settings) {
  const { name, points, labels, ...params } = settings.dataset;
  const query = new URLSearchParams({ dataset: name });
  for (const [key, value] of Object.entries(params)) query.set(key, value ?? '');
  for (const key of TOP_LEVEL) query.set(key, settings[key]);
  return query;
}

/** Write the settings into the URL, without the custom points (too many for a link). */
export function writeUrl(settings) {
  history.replaceState(null, '', `?${settingsQuery(settings)}`);
}
