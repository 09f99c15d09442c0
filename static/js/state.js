// What the page remembers. The run itself lives on the server, in the session;
// the page keeps the server's latest answer in memory, the session's id in the
// tab's sessionStorage (under its settings, so a reload, Back or Forward finds
// the run again; no cookie), and the settings, never the session, in the URL, so
// that a link reproduces them and each change of settings is a history entry.

import { asPairs, columns } from './packed.js';
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
    loading: false, // a session is being made: the old one is gone, the new one not here yet
    preparing: null, // meanwhile, the server is preparing the data set: how far it has got
    problem: '', // why the settings cannot make a run yet, in plain words, or ''
    fault: false, // whether that is a fault (k out of range), not only too few points of your own
    highlight: null, // a cluster picked in the gallery
    error: '',
  };
}

/** Take a new session's full state (the only answer that carries the points). */
export function adoptSession(page, created) {
  const { points, truth, truth_names: truthNames, ...state } = created;
  const [xs, ys] = columns(points);
  page.session = {
    id: created.id,
    xs,
    ys,
    ranges: plotRanges(xs, ys, created.dataset.name === 'custom'),
    truth,
    truthNames,
  };
  // Your own points come back with the run (after a reload): labels by their names.
  if (created.dataset.name === 'custom') {
    page.custom = { points: asPairs(points), labels: truth && Array.from(truth, (index) => Number(truthNames[index])) };
  }
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
const CARRIED = ['points', 'labels', 'centroids']; // your own points and centroids, in a shared link

/** {dataset, params, k, init, seed, points, labels, centroids} as strings, from a query string. */
export function settingsFromUrl(search) {
  const query = new URLSearchParams(search);
  const params = {};
  for (const [key, value] of query) {
    if (key !== 'dataset' && !TOP_LEVEL.includes(key) && !CARRIED.includes(key)) params[key] = value;
  }
  const pick = (key) => query.get(key) ?? undefined;
  return {
    dataset: pick('dataset'), params, k: pick('k'), init: pick('init'), seed: pick('seed'),
    points: pairs(pick('points')), labels: pick('labels')?.split(',').map(Number), centroids: pairs(pick('centroids')),
  };
}

function pairs(text) {
  if (!text) return undefined;
  const numbers = text.split(',').map(Number);
  return Array.from({ length: Math.floor(numbers.length / 2) }, (_, i) => [numbers[2 * i], numbers[2 * i + 1]]);
}

/** The settings as a query string (data set, its parameters, k, init, seed), without custom points. */
export function settingsQuery(settings) {
  const { name, points, labels, ...params } = settings.dataset;
  const query = new URLSearchParams({ dataset: name });
  for (const [key, value] of Object.entries(params)) query.set(key, value ?? '');
  for (const key of TOP_LEVEL) query.set(key, settings[key]);
  return query;
}

/** Write the settings into the URL, without the custom points (too many for a link):
 * a new history entry when they changed (so Back returns to the last ones), else in place. */
export function writeUrl(settings) {
  const search = `?${settingsQuery(settings)}`;
  if (search === window.location.search) return;
  const first = history.state?.stepper !== true;
  history[first ? 'replaceState' : 'pushState']({ stepper: true }, '', search);
}

// --- The session of each settings, for this tab ---------------------------------------

const KEPT = 'kmeans-stepper:session:';

/** The id of the session last made for these settings in this tab, or null. */
export function keptSession(settings) {
  try {
    return sessionStorage.getItem(KEPT + settingsQuery(settings));
  } catch {
    return null; // storage switched off: a reload starts afresh
  }
}

export function keepSession(settings, id) {
  try {
    sessionStorage.setItem(KEPT + settingsQuery(settings), id);
  } catch {
    // storage switched off or full: nothing kept
  }
}
