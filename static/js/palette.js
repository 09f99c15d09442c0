// Cluster colours from Paul Tol's schemes, chosen to stay distinct with the
// common colour-vision deficiencies: "bright" up to 6 clusters, "muted" up to
// 9, then his discrete rainbow, which has a tested subset for every n up to 23.

const BRIGHT = ['#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377'];
const MUTED = ['#CC6677', '#332288', '#DDCC77', '#117733', '#88CCEE', '#882255',
  '#44AA99', '#999933', '#AA4499'];
const RAINBOW = ['#E8ECFB', '#D9CCE3', '#D1BBD7', '#CAACCB', '#BA8DB4', '#AE76A3',
  '#AA6F9E', '#994F88', '#882E72', '#1965B0', '#437DBF', '#5289C7', '#6195CF',
  '#7BAFDE', '#4EB265', '#90C987', '#CAE0AB', '#F7F056', '#F7CB45', '#F6C141',
  '#F4A736', '#F1932D', '#EE8026', '#E8601C', '#E65518', '#DC050C', '#A5170E',
  '#72190E', '#42150A'];
// Tol's picks from RAINBOW (1-based, as he publishes them) for n colours.
const RAINBOW_PICKS = {
  10: [9, 10, 14, 15, 17, 18, 21, 24, 26, 28],
  11: [9, 10, 12, 14, 15, 17, 18, 21, 24, 26, 28],
  12: [3, 6, 9, 10, 12, 14, 15, 17, 18, 21, 24, 26],
  13: [3, 6, 9, 10, 12, 14, 15, 16, 17, 18, 21, 24, 26],
  14: [3, 6, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22, 24, 26],
  15: [3, 6, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22, 24, 26, 28],
  16: [3, 5, 7, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22, 24, 26, 28],
  17: [3, 5, 7, 8, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22, 24, 26, 28],
  18: [3, 5, 7, 8, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22, 24, 26, 27, 28],
  19: [2, 4, 5, 7, 8, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22, 24, 26, 27, 28],
  20: [2, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 20, 22, 24, 26, 27, 28],
  21: [2, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 21, 23, 25, 26, 27, 28],
  22: [2, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 21, 23, 25, 26, 27, 28, 29],
  23: [1, 2, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 21, 23, 25, 26, 27, 28, 29],
};

export const UNASSIGNED = '#BBBBBB';
export const FADED = '#E6E6E6';
export const OUTLINE = '#1F1F1F';

/** n colours, one per cluster; beyond 23 they repeat. */
export function palette(n) {
  if (n <= BRIGHT.length) return BRIGHT.slice(0, n);
  if (n <= MUTED.length) return MUTED.slice(0, n);
  const picks = RAINBOW_PICKS[Math.min(n, 23)].map((index) => RAINBOW[index - 1]);
  const colours = interleave(picks);
  return Array.from({ length: n }, (_, i) => colours[i % colours.length]);
}

// The rainbow runs in hue order; cluster numbers carry no order, so
// neighbouring numbers get colours from opposite halves of it.
function interleave(colours) {
  const half = Math.ceil(colours.length / 2);
  return colours.map((_, i) => colours[i % 2 === 0 ? i / 2 : half + (i - 1) / 2]);
}
