// The embed laid out inside the box its frame gives it: the plot takes what the
// title, the controls, the lines and the footer leave (embed.css), and when
// that is too little, the secondary lines fold behind a toggle. The natural
// height, with every line whole and the plot at its natural aspect, is what a
// host that sizes the frame is told: it depends on the width, never on the box.

// Folded when the plot would get less than this share of the box, and less than its natural height.
const PLOT_SHARE = 0.5;

/** Keep `root` fitted to the window; answers fit(), to call when its lines' text changed. */
export function fitToFrame(root, onNaturalHeight) {
  if (!root.querySelector('.plot-frame')) {
    // A bad link's page: its message and the link, as tall as they are.
    const report = () => onNaturalHeight(Math.ceil(contentHeight(root)));
    window.addEventListener('resize', report);
    report();
    return report;
  }
  const plotFrame = root.querySelector('.plot-frame');
  const status = root.querySelector('.status');
  const more = root.querySelector('#more');
  const open = (shown) => {
    root.classList.toggle('shows-lines', shown);
    more.setAttribute('aria-expanded', String(shown));
  };

  const fit = () => {
    // Measured with every line shown; the classes are put back before the browser paints.
    root.classList.remove('is-compact');
    const box = document.documentElement.clientHeight;
    const plot = plotFrame.getBoundingClientRect();
    const aspect = parseFloat(getComputedStyle(root).getPropertyValue('--plot-aspect'));
    const naturalPlot = plot.width / aspect;
    const folded = plot.height < Math.min(PLOT_SHARE * box, naturalPlot);
    root.classList.toggle('is-compact', folded);
    more.hidden = !folded;
    if (folded) {
      const room = box - status.getBoundingClientRect().top - 4;
      root.style.setProperty('--room-below-status', `${Math.max(room, 0)}px`);
    } else {
      open(false);
    }
    onNaturalHeight(Math.ceil(contentHeight(root) - plot.height + naturalRow(plotFrame, naturalPlot)));
  };

  more.addEventListener('click', () => open(!root.classList.contains('shows-lines')));
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && root.classList.contains('shows-lines')) {
      open(false);
      more.focus();
    }
  });
  window.addEventListener('resize', fit);
  fit();
  return fit;
}

// A panel beside the plot (?panel=) makes their row as tall as the taller of the two;
// under the plot, in a narrow frame, it is counted with the other lines.
function naturalRow(plotFrame, naturalPlot) {
  const row = plotFrame.parentElement;
  if (!row.classList.contains('plot-row') || getComputedStyle(row).flexDirection !== 'row') return naturalPlot;
  const panels = [...row.children].filter((part) => part !== plotFrame);
  return Math.max(naturalPlot, ...panels.map((part) => part.scrollHeight));
}

// From the top of the root to the end of its last part: its min-height (the box) left out.
function contentHeight(root) {
  const bottom = root.lastElementChild.getBoundingClientRect().bottom;
  return bottom + parseFloat(getComputedStyle(root).paddingBottom) - root.getBoundingClientRect().top;
}
