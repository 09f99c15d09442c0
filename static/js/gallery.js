// MNIST's "look at the means": every centroid drawn as a 28 × 28 digit, with
// its cluster's size, framed in its cluster's colour. One button per cluster,
// so that picking one (mouse or keyboard) highlights its cluster in the plot.

/** The means drawn larger, or back, by a toggle button. */
export function wireLarger(button, container) {
  button.addEventListener('click', () => {
    const larger = button.getAttribute('aria-pressed') !== 'true';
    button.setAttribute('aria-pressed', String(larger));
    container.classList.toggle('large', larger);
  });
}

/** Show the images of GET .../centroids (or placeholders while there are none). */
export function drawGallery(container, gallery, colours, highlight) {
  const k = colours.length;
  if (container.children.length !== k) container.replaceChildren(...colours.map((_, j) => tile(j)));
  [...container.children].forEach((button, j) => {
    const size = gallery?.sizes?.[j];
    const label = size === undefined ? '–' : `${size}`;
    button.querySelector('.size').textContent = label;
    button.setAttribute('aria-label', `Cluster ${j}: ${size ?? 'no'} points`);
    button.setAttribute('aria-pressed', String(highlight === j));
    // A colour per cluster cannot live in the stylesheet; CSSOM is allowed by the CSP.
    button.style.borderColor = colours[j];
    paint(button.querySelector('canvas'), gallery?.images?.[j]);
  });
}

function tile(j) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'digit';
  button.dataset.cluster = String(j);
  const canvas = document.createElement('canvas');
  canvas.width = 28;
  canvas.height = 28;
  const size = document.createElement('span');
  size.className = 'size';
  size.setAttribute('aria-hidden', 'true');
  button.append(canvas, size);
  return button;
}

// MNIST ink is high values; draw it dark on white, as on paper. A mean of many
// digits is a faint blur of them, so each is shown with its own darkest ink black.
function paint(canvas, image) {
  const context = canvas.getContext('2d');
  if (!image) {
    context.fillStyle = '#f0f1f3';
    context.fillRect(0, 0, canvas.width, canvas.height);
    return;
  }
  const pixels = context.createImageData(28, 28);
  const values = image.flat();
  const darkest = Math.max(...values) || 1;
  values.forEach((value, i) => {
    const shade = 255 - Math.round((255 * value) / darkest);
    pixels.data.set([shade, shade, shade, 255], i * 4);
  });
  context.putImageData(pixels, 0, 0);
}
