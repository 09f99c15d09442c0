// The Voronoi regions of the centroids, drawn faintly on a canvas under the
// plot, in the plot's own axes. They stay out of Plotly's figure because
// Plotly redraws every shape on every repaint (a third of a step's time),
// although the regions change only when the centroids move.

import { voronoiCells } from './voronoi.js';

const FILL_ALPHA = 0.16;
const EDGE = 'rgba(40, 44, 52, 0.45)';

export class RegionsLayer {
  #drawn = '';

  #following = false;

  constructor(canvas, plot) {
    this.canvas = canvas;
    this.plot = plot;
    this.regions = null;
  }

  /** Show {centroids, colours} (view coordinates), or nothing for null. */
  show(regions) {
    this.regions = regions;
    this.#follow();
    this.draw();
  }

  /** Redraw if the regions or the axes changed since the last time. */
  draw() {
    const axes = this.plot._fullLayout;
    if (!axes?.xaxis) return;
    const { xaxis, yaxis } = axes;
    const frame = [xaxis.range, yaxis.range, xaxis._offset, yaxis._offset, xaxis._length,
      yaxis._length, this.canvas.clientWidth, this.canvas.clientHeight];
    const key = JSON.stringify([this.regions, frame]);
    if (key === this.#drawn) return;
    this.#drawn = key;
    const context = this.#fitted();
    if (this.regions) paint(context, this.regions, xaxis, yaxis);
  }

  // Zooming, panning and resizing move the axes without a new figure.
  #follow() {
    if (this.#following || !this.plot.on) return;
    this.#following = true;
    const redraw = () => this.draw();
    for (const event of ['plotly_afterplot', 'plotly_relayout', 'plotly_relayouting']) {
      this.plot.on(event, redraw);
    }
  }

  #fitted() {
    const { canvas } = this;
    const scale = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * scale);
    canvas.height = Math.round(canvas.clientHeight * scale);
    const context = canvas.getContext('2d');
    context.setTransform(scale, 0, 0, scale, 0, 0);
    return context;
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
