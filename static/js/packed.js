// The API's packed arrays (schemas.Packed, asked for with ?packed=1): the base64
// of a little-endian typed array. The page asks for every state packed, about a
// byte a label where a JSON list takes two to three, and reads them back here
// into typed arrays; the rest of the page reads labels, classes and points
// whichever way they came (a class's stream, say, sends them as lists).

const TYPES = {
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array,
};

/** The typed array a packed array holds; a JSON list, or null, as it is. */
export function unpack(value) {
  if (!value || Array.isArray(value) || ArrayBuffer.isView(value)) return value;
  const text = atob(value.base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  // Typed arrays read in the machine's byte order: little-endian on every machine a browser runs on.
  return new TYPES[value.dtype](bytes.buffer);
}

/** A state as the API answered it (schemas.State or FullState), its arrays unpacked in place. */
export function unpackState(state) {
  if (!state) return state;
  for (const key of ['labels', 'truth', 'points']) {
    if (key in state) state[key] = unpack(state[key]);
  }
  const chances = state.picks?.next;
  if (chances && !Array.isArray(chances.weights)) {
    // Packed: counts of 1/steps (schemas.NextChances).
    chances.weights = Float64Array.from(unpack(chances.weights), (count) => count / chances.steps);
  }
  if (state.next) unpackState(state.next);
  return state;
}

/** The points' x and y, from [[x, y], ...] or from a packed array of them, row after row. */
export function columns(points) {
  if (Array.isArray(points)) {
    return [Float64Array.from(points, (p) => p[0]), Float64Array.from(points, (p) => p[1])];
  }
  const n = points.length / 2;
  const xs = new points.constructor(n);
  const ys = new points.constructor(n);
  for (let i = 0; i < n; i += 1) {
    xs[i] = points[2 * i];
    ys[i] = points[2 * i + 1];
  }
  return [xs, ys];
}

/** The points as [[x, y], ...], whichever way they came. */
export function asPairs(points) {
  if (Array.isArray(points)) return points;
  return Array.from({ length: points.length / 2 }, (_, i) => [points[2 * i], points[2 * i + 1]]);
}

/** Whether two lists of numbers (arrays, typed arrays, or null) hold the same values. */
export function sameValues(a, b) {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
