// The plot's k-means++ layer while the Init is taken one centre at a time (the
// state's "picks"): every point's chance of being drawn next as a circle of that
// area, the last pick's candidates labelled with the total D² each would leave,
// and a star on the one kept. Its words (the legend) come from the server.

import { formatNumber } from './messages.js';

const CHANCE = 'rgba(230, 120, 0, 0.6)';
const CANDIDATE = '#1f1f1f';
const KEPT = '#111111';
const KEPT_OUTLINE = '#ffffff';
const LARGEST = 30; // px across the circle of the likeliest point

/** The layer's three traces, drawn over the others: chances (none once all k are
 * picked), candidates, kept. */
export function picksTraces({ picks, xs, ys }) {
  const chances = picks?.next?.weights ?? [];
  const last = picks?.last;
  const candidates = last?.positions ?? [];
  const kept = last ? candidates.filter((_, i) => last.candidates[i] === last.kept).slice(0, 1) : [];
  return [
    {
      type: 'scattergl',
      name: 'chances',
      x: chances.length ? xs : [],
      y: chances.length ? ys : [],
      mode: 'markers',
      // Area in proportion to the chance: the diameter grows with its square root.
      marker: { size: chances.map((w) => LARGEST * Math.sqrt(w)), color: CHANCE },
      customdata: chances.map((w) => 100 * w * picks.next.largest),
      hovertemplate: '%{customdata:.2~g} %<extra></extra>',
    },
    {
      type: 'scattergl',
      name: 'candidates',
      x: candidates.map((p) => p[0]),
      y: candidates.map((p) => p[1]),
      mode: 'markers+text',
      marker: { size: 16, symbol: 'diamond-open', color: CANDIDATE, line: { width: 2.5 } },
      text: (last?.potentials ?? []).map((potential) => `ΣD² ${formatNumber(potential)}`),
      textposition: 'top center',
      textfont: { color: CANDIDATE },
      hoverinfo: 'skip',
    },
    {
      type: 'scattergl',
      name: 'kept',
      x: kept.map((p) => p[0]),
      y: kept.map((p) => p[1]),
      mode: 'markers',
      marker: { size: 24, symbol: 'star', color: KEPT, line: { color: KEPT_OUTLINE, width: 1.5 } },
      hoverinfo: 'skip',
    },
  ];
}

/** The layer's legend under the plot, hidden when no centre is being picked. */
export function showPicksLegend(element, picks) {
  if (!element) return;
  element.hidden = !picks;
  element.textContent = picks?.legend ?? '';
}
