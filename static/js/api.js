// Every call to the JSON API. Errors arrive as {"error", "status"}; they are
// thrown as ApiError so the page can show the server's own words.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const options = { method, headers: { Accept: 'application/json' } };
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
  if (!response.ok) {
    throw new ApiError(answer?.error ?? `The server answered ${response.status}.`, response.status);
  }
  return answer;
}

// Sessions and steps are asked with ahead=1: each answer also says what the next
// step would change, so the page can draw a click on it at once (stepper.js).
export const api = {
  catalog: () => call('GET', '/catalog'),
  createSession: (settings) => call('POST', '/sessions?ahead=1', settings),
  step: (id, name, body = {}) => call('POST', `/sessions/${encodeURIComponent(id)}/${name}?ahead=1`, body),
  centroids: (id) => call('GET', `/sessions/${encodeURIComponent(id)}/centroids`),
  elbow: (id, kMax) => call('GET', `/sessions/${encodeURIComponent(id)}/elbow?k_max=${kMax}`),
  restarts: (id, n, init) => call('GET', `/sessions/${encodeURIComponent(id)}/restarts?${
    new URLSearchParams(init ? { n, init } : { n })}`),
};
