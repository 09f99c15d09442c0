// The points of a large data set, stamped by the page into a canvas in the figure, in
// the plot's own axes: over its gridlines and the regions, under its WebGL traces (the
// centroids, their trail), where Plotly draws its own markers. Plotly draws its WebGL
// markers again at every frame, and a browser rendering WebGL in software (Chromium's
// SwiftShader, on a laptop with no usable GPU) spends about 5 µs a point on them, on
// the page's main thread: half a second a step at 100,000 points. Stamped into the canvas's pixels,
// 100,000 points take about 10 ms. Up to RASTER_FROM points Plotly draws them itself
// (a point then shows its coordinates on hover).

import { CanvasLayer } from './layer.js';
import { pointGroupsOf, samePoints } from './scene.js';

export const RASTER_FROM = 20000;

export class PointsRaster extends CanvasLayer {
  #scene = null;

  #groups = null;

  /** Draw the scene's points if there are RASTER_FROM or more; nothing if not. */
  show(scene) {
    if (!this.#scene || !samePoints(this.#scene, scene)) {
      this.#scene = scene;
      this.#groups = scene.xs.length >= RASTER_FROM ? pointGroupsOf(scene) : null;
    }
    this.canvas.hidden = !this.#groups; // Plotly draws them (the camera button reads this too)
    super.show(this.#groups);
  }

  draw() {
    this.#place();
    super.draw();
  }

  // Between the figure's first layer (its background, gridlines and axes) and its WebGL
  // traces: put there once Plotly has built them, and again should it build them anew.
  #place() {
    const below = this.plot.querySelector('.svg-container > .main-svg');
    if (below && this.canvas.previousElementSibling !== below) below.after(this.canvas);
  }

  paint(context, { xaxis, yaxis }, scale) {
    const { width, height } = context.canvas;
    const image = context.createImageData(width, height);
    const area = {
      left: Math.round(xaxis._offset * scale),
      top: Math.round(yaxis._offset * scale),
      right: Math.round((xaxis._offset + xaxis._length) * scale),
      bottom: Math.round((yaxis._offset + yaxis._length) * scale),
    };
    stamp(new Uint32Array(image.data.buffer), width, area, this.shown, context, {
      x: (x) => (xaxis._offset + xaxis.l2p(x)) * scale,
      y: (y) => (yaxis._offset + yaxis.l2p(y)) * scale,
      radius: (this.shown.size * scale) / 2 - 0.25,
    });
    context.putImageData(image, 0, 0);
  }
}

// Every point a disc of its group's colour, group after group (a later group over an
// earlier one, as Plotly draws its traces), inside the plot area only.
function stamp(pixels, stride, area, { groups }, context, { x: toX, y: toY, radius }) {
  const reach = Math.ceil(radius);
  const disc = [];
  for (let dy = -reach; dy <= reach; dy += 1) {
    for (let dx = -reach; dx <= reach; dx += 1) {
      if (dx * dx + dy * dy <= radius * radius) disc.push([dx, dy]);
    }
  }
  groups.forEach(({ x, y, colour }) => {
    const value = opaque(context, colour);
    for (let i = 0; i < x.length; i += 1) {
      const [px, py] = [Math.round(toX(x[i])), Math.round(toY(y[i]))];
      for (const [dx, dy] of disc) {
        const [cx, cy] = [px + dx, py + dy];
        if (cx >= area.left && cx < area.right && cy >= area.top && cy < area.bottom) {
          pixels[cy * stride + cx] = value;
        }
      }
    }
  });
}

// A CSS colour as one opaque RGBA pixel, in the byte order of the platform (an
// ImageData's bytes are R, G, B, A).
function opaque(context, colour) {
  context.fillStyle = colour;
  const hex = context.fillStyle; // the browser's own parse: "#rrggbb" for an opaque colour
  const bytes = new Uint8ClampedArray([1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)).concat(255));
  return new Uint32Array(bytes.buffer)[0];
}
