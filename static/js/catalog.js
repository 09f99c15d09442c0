// What the server's catalog (GET /api/catalog) says about a data set or a start
// method: the page holds no copy of its names, words or limits.

/** The catalog's entry for the data set `name`. */
export function datasetOf(catalog, name) {
  return catalog.datasets.find((entry) => entry.name === name);
}

/** The catalog's entry for the start method `name`. */
export function startOf(catalog, name) {
  return catalog.starts.find((start) => start.name === name);
}

/** Whether the start method `name` takes centroids the student places, not a seed. */
export function placesCentroids(catalog, name) {
  return startOf(catalog, name)?.seeded === false;
}

/** Whether the start method `name` can take its Init one centre at a time (k-means++). */
export function picksOneAtATime(catalog, name) {
  return Boolean(startOf(catalog, name)?.picks);
}

/** The parameter of a data set that seeds its generator ("New data" draws another), or null. */
export function dataSeedOf(catalog, name) {
  const params = datasetOf(catalog, name)?.params ?? {};
  return Object.keys(params).find((key) => params[key].role === 'seed') ?? null;
}

/** An <input>'s bounds and value from one of the catalog's limits. */
export function applyLimit(input, limit, value = limit.default) {
  input.min = String(limit.minimum);
  input.max = String(limit.maximum);
  input.value = String(value);
}
