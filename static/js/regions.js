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
    const figure = this.plot._fullLayout;
    if (!figure?.xaxis) return;
    // Sizes from Plotly, not from the DOM: reading the DOM here would force a layout mid-step.
    const { xaxis, yaxis, width, height } = figure;
    const frame = [xaxis.range, yaxis.range, xaxis._offset, yaxis._offset, width, height];
    const key = JSON.stringify([this.regions, frame]);
    if (key === this.#drawn) return;
    this.#drawn = key;
    const context = this.#cleared(width, height);
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

  #cleared(width, height) {
    const { canvas } = this;
    const scale = window.devicePixelRatio || 1;
    const [pixelsWide, pixelsHigh] = [Math.round(width * scale), Math.round(height * scale)];
    // Setting a canvas's size reallocates it, even to the same size.
    if (canvas.width !== pixelsWide || canvas.height !== pixelsHigh) {
      canvas.width = pixelsWide;
      canvas.height = pixelsHigh;
    }
    const context = canvas.getContext('2d');
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.clearRect(0, 0, width, height);
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
