// The camera button of the plot's tool bar: the plot saved as a PNG as the student
// sees it. Plotly's own button saves its figure alone, but the regions are drawn on a
// canvas under the figure (regions.js), and a large data set's points on one in it,
// over its gridlines and under its traces (raster.js): the picture is put together
// here, a white ground, the regions, the figure's gridlines, the points, then the rest
// of the figure.

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
  const draw = (layer) => {
    if (layer.width && layer.height) context.drawImage(layer, 0, 0, picture.width, picture.height);
  };
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, picture.width, picture.height);
  div.parentElement.querySelectorAll(':scope > canvas').forEach(draw);
  const points = [...div.querySelectorAll('.svg-container > canvas:not([hidden])')];
  if (points.length) {
    draw(await figureImage(div, [], { showgrid: true, unseen: true }));
    points.forEach(draw);
    draw(await figureImage(div, div.data, { showgrid: false }));
  } else {
    draw(await figureImage(div, div.data));
  }
  const link = document.createElement('a');
  link.download = `${filename}.png`;
  link.href = picture.toDataURL('image/png');
  link.click();
}

const CLEAR = 'rgba(0,0,0,0)';

/** The figure as an image at the picture's scale, of ``data``, its axes with or without
 * their gridlines (``showgrid``), and ``unseen``: with their lines and text in no
 * colour (the same text, so the same margins and plot area). */
async function figureImage(div, data, { showgrid, unseen = false } = {}) {
  const { width, height } = div._fullLayout;
  const { scale } = div._context.toImageButtonOptions;
  const axis = (name) => {
    const given = div.layout[name] || {};
    const changed = { ...given, ...(showgrid === undefined ? {} : { showgrid }) };
    if (!unseen) return changed;
    return {
      ...changed,
      showline: false,
      tickcolor: CLEAR,
      tickfont: { ...given.tickfont, color: CLEAR },
      title: { ...given.title, font: { ...given.title?.font, color: CLEAR } },
    };
  };
  const layout = { ...div.layout, xaxis: axis('xaxis'), yaxis: axis('yaxis') };
  const image = new Image();
  image.src = await Plotly.toImage({ data, layout }, { format: 'png', width, height, scale });
  await image.decode();
  return image;
}
