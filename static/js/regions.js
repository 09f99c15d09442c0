// The Voronoi regions of the centroids, drawn faintly on a canvas under the
// plot, in the plot's own axes. They stay out of Plotly's figure because
// Plotly redraws every shape on every repaint (a third of a step's time),
// although the regions change only when the centroids move.

import { CanvasLayer } from './layer.js';
import { voronoiCells } from './voronoi.js';

const FILL_ALPHA = 0.16;
const EDGE = 'rgba(40, 44, 52, 0.45)';

/** Shows {centroids, colours} (view coordinates), or nothing for null. */
export class RegionsLayer extends CanvasLayer {
  same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  paint(context, { xaxis, yaxis }, scale) {
    context.setTransform(scale, 0, 0, scale, 0, 0);
    paint(context, this.shown, xaxis, yaxis);
  }
}

function paint(context, { centroids, colours }, xaxis, yaxis) {
  const toPixel = ([x, y]) => [xaxis._offset + xaxis.l2p(x), yaxis._offset + yaxis.l2p(y)];
  const box = { x: [...xaxis.range].sort((a, b) => a - b), y: [...yaxis.range].sort((a, b) => a - b) };
  context.save();
  context.beginPath();
  context.rect(xaxis._offset, yaxis._offset, xaxis._length, yaxis._length);
  context.clip();
  voronoiCells(centroids, box).forEach((cell, j) => {
    if (cell.length < 3) return;
    context.beginPath();
    cell.map(toPixel).forEach(([px, py], i) => (i === 0 ? context.moveTo(px, py) : context.lineTo(px, py)));
    context.closePath();
    context.globalAlpha = FILL_ALPHA;
    context.fillStyle = colours[j];
    context.fill();
    context.globalAlpha = 1;
    context.strokeStyle = EDGE;
    context.lineWidth = 1;
    context.stroke();
  });
  context.restore();
}
