// The camera button of the plot's tool bar: the plot saved as a PNG as the student
// sees it. Plotly's own button saves its figure alone, but the regions and a large
// data set's points are drawn on canvases under the figure (regions.js, raster.js):
// the picture is put together here, a white ground, those canvases, then the figure.

/** The button, for Plotly's `modeBarButtonsToAdd`; the file's name and scale are read
 * from the figure's `toImageButtonOptions` when it is pressed. Made when a figure is
 * (a page that never draws one, such as a bad link's, may not load Plotly at all). */
export function snapshotButton() {
  return {
    name: 'snapshot',
    title: 'Download plot as a PNG',
    icon: Plotly.Icons.camera,
    click: (div) => save(div),
  };
}

async function save(div) {
  const { filename, scale } = div._context.toImageButtonOptions;
  const { width, height } = div._fullLayout;
  const picture = document.createElement('canvas');
  [picture.width, picture.height] = [Math.round(width * scale), Math.round(height * scale)];
  const context = picture.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, picture.width, picture.height);
  for (const layer of div.parentElement.querySelectorAll(':scope > canvas')) {
    if (layer.width && layer.height) context.drawImage(layer, 0, 0, picture.width, picture.height);
  }
  const figure = new Image();
  figure.src = await Plotly.toImage(div, { format: 'png', width, height, scale });
  await figure.decode();
  context.drawImage(figure, 0, 0, picture.width, picture.height);
  const link = document.createElement('a');
  link.download = `${filename}.png`;
  link.href = picture.toDataURL('image/png');
  link.click();
}
