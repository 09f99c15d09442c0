// Every call to the JSON API. Errors arrive as {"error", "status"}; they are
// thrown as ApiError so the page can show the server's own words.

import { unpackState } from './packed.js';

export class ApiError extends Error {
  constructor(message, status, answer = null, version = null) {
    super(message);
    this.status = status;
    // A 412 (the run moved on in another tab) carries the run as it stands, and its version.
    this.state = unpackState(answer?.state ?? null);
    this.version = version;
    // A 503 while the server prepares MNIST says how far it has got.
    this.preparing = answer?.preparing ?? null;
    this.retryAfter = null;
  }
}

// The version of the session each answer shows (its ETag), kept beside the answer.
const versions = new WeakMap();

/** The version of the session an answer showed, to send with the next step. */
export const versionOf = (answer) => versions.get(answer) ?? null;

// Answers that may have been lost on the way (Wi-Fi, a server restarting): a step
// sent with its version is safe to send again, and is, after these pauses.
const LOST = new Set([0, 502, 503, 504]);
const RETRY_MS = [300, 1000, 2000];

async function call(method, path, body, headers = {}) {
  const options = { method, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${path}`, options);
  } catch {
    throw new ApiError('The server cannot be reached: is it still running?', 0);
  }
  const answer = await response.json().catch(() => null);
  const version = response.headers.get('ETag');
  if (!response.ok) {
    const error = new ApiError(answer?.error ?? `The server answered ${response.status}.`,
      response.status, answer, version);
    error.retryAfter = Number(response.headers.get('Retry-After')) || null;
    throw error;
  }
  if (answer && version) versions.set(answer, version);
  return answer;
}

// Sessions and steps are asked with ahead=1: each answer also says what the next
// step would change, so the page can draw a click on it at once (stepper.js); and
// with packed=1: labels, classes and points come as typed arrays (packed.js).
const AS_THE_PAGE_SHOWS = 'ahead=1&packed=1';

// A step from the version the page saw: sent again, if its answer was lost, it
// answers the state it made rather than taking a second step.
async function step(id, name, body, version) {
  const path = `/sessions/${encodeURIComponent(id)}/${name}?${AS_THE_PAGE_SHOWS}`;
  if (!version) return unpackState(await call('POST', path, body));
  for (let attempt = 0; ; attempt += 1) {
    try {
      return unpackState(await call('POST', path, body, { 'If-Match': version }));
    } catch (error) {
      if (!LOST.has(error.status) || attempt >= RETRY_MS.length) throw error;
      await new Promise((resolve) => { setTimeout(resolve, RETRY_MS[attempt]); });
    }
  }
}

export const api = {
  catalog: () => call('GET', '/catalog'),
  createSession: async (settings) => unpackState(await call('POST', `/sessions?${AS_THE_PAGE_SHOWS}`, settings)),
  session: async (id) => unpackState(await call('GET', `/sessions/${encodeURIComponent(id)}?${AS_THE_PAGE_SHOWS}`)),
  step: (id, name, body = {}, version = null) => step(id, name, body, version),
  centroids: (id) => call('GET', `/sessions/${encodeURIComponent(id)}/centroids`),
  elbow: (id, kMax) => call('GET', `/sessions/${encodeURIComponent(id)}/elbow?k_max=${kMax}`),
  restarts: (id, n, init) => call('GET', `/sessions/${encodeURIComponent(id)}/restarts?${
    new URLSearchParams(init ? { n, init } : { n })}`),
};
