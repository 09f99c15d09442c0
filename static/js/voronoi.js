// The Voronoi cells of the centroids, as polygons clipped to a box.
// k is at most 50, so cutting the box by k - 1 half-planes per centroid is
// cheap and exact; no triangulation needed.

/** One polygon ([[x, y], ...], maybe empty) per centroid: the part of `box`
 * nearer to it than to any other centroid. box = {x: [min, max], y: [min, max]}. */
export function voronoiCells(centroids, box) {
  const corners = [[box.x[0], box.y[0]], [box.x[1], box.y[0]],
    [box.x[1], box.y[1]], [box.x[0], box.y[1]]];
  return centroids.map((p, i) => centroids.reduce(
    (cell, q, j) => (j === i || cell.length === 0 ? cell : nearerToP(cell, p, q)),
    corners,
  ));
}

// |x - p|² <= |x - q|²  <=>  2 (q - p) · x <= |q|² - |p|²
function nearerToP(polygon, p, q) {
  const a = 2 * (q[0] - p[0]);
  const b = 2 * (q[1] - p[1]);
  const c = q[0] ** 2 + q[1] ** 2 - p[0] ** 2 - p[1] ** 2;
  return clipByHalfPlane(polygon, (x, y) => c - a * x - b * y);
}

// Sutherland–Hodgman against one edge: keep where side(x, y) >= 0.
function clipByHalfPlane(polygon, side) {
  const kept = [];
  polygon.forEach((current, i) => {
    const previous = polygon[(i + polygon.length - 1) % polygon.length];
    const sCurrent = side(...current);
    const sPrevious = side(...previous);
    if ((sCurrent >= 0) !== (sPrevious >= 0)) {
      const t = sPrevious / (sPrevious - sCurrent);
      kept.push([previous[0] + t * (current[0] - previous[0]),
        previous[1] + t * (current[1] - previous[1])]);
    }
    if (sCurrent >= 0) kept.push(current);
  });
  return kept;
}
