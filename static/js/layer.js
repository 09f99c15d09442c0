// A canvas under the plot's figure, drawn in the figure's own axes: the regions
// (regions.js) and a large data set's points (raster.js). It is drawn again when
// what it shows changes, or the axes do (a zoom, a pan, a resize), never otherwise.

export class CanvasLayer {
  #drawn = null; // { shown, frame } last drawn

  #following = false;

  constructor(canvas, plot) {
    this.canvas = canvas;
    this.plot = plot;
    this.shown = null;
  }

  /** Show something new (null: nothing), drawn by ``paint``. */
  show(shown) {
    this.shown = shown;
    this.#follow();
    this.draw();
  }

  /** Whether two things shown draw alike (by default, the same object). */
  same(a, b) {
    return a === b;
  }

  /** Draw ``this.shown`` on the cleared canvas, whose pixels are ``scale`` CSS pixels
   * (the layer's subclass). */
  paint() {
    throw new Error('a CanvasLayer paints in its subclass');
  }

  /** Redraw if what is shown or the axes changed since the last time. */
  draw() {
    const figure = this.plot._fullLayout;
    if (!figure?.xaxis) return;
    // Sizes from Plotly, not from the DOM: reading the DOM here would force a layout mid-step.
    const { xaxis, yaxis, width, height } = figure;
    const frame = JSON.stringify([xaxis.range, yaxis.range, xaxis._offset, yaxis._offset, width, height]);
    if (this.#drawn && this.#drawn.frame === frame && this.same(this.#drawn.shown, this.shown)) return;
    this.#drawn = { shown: this.shown, frame };
    const { canvas } = this;
    const scale = window.devicePixelRatio || 1;
    const [pixelsWide, pixelsHigh] = [Math.round(width * scale), Math.round(height * scale)];
    // Setting a canvas's size reallocates it, even to the same size.
    if (canvas.width !== pixelsWide || canvas.height !== pixelsHigh) {
      canvas.width = pixelsWide;
      canvas.height = pixelsHigh;
    }
    const context = canvas.getContext('2d');
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, pixelsWide, pixelsHigh);
    if (this.shown) this.paint(context, figure, scale);
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
}
