// Beside the plot: the inertia after every assignment, which can only fall,
// and how many points changed cluster, which reaches 0 at convergence.

import { chartLayout } from './plot.js';

const CONFIG = { displayModeBar: false };
const INK = '#1552a8';
const GOOD = '#17643a';

export function drawObjective(div, history) {
  const assigns = history.filter((step) => step.step === 'assign');
  const x = assigns.map((_, i) => i + 1);
  const last = assigns.at(-1);
  const end = last?.changed === 0 ? { x: assigns.length, y: last.inertia } : null;
  const traces = [
    {
      type: 'scatter', name: 'inertia', x, y: assigns.map((s) => s.inertia),
      mode: 'lines+markers', line: { color: INK, width: 2 }, marker: { size: 6, color: INK },
      hovertemplate: 'Assign %{x}: inertia %{y:.4~g}<extra></extra>',
    },
    {
      type: 'bar', name: 'changed', x, y: assigns.map((s) => s.changed), yaxis: 'y2',
      marker: { color: '#8c96a3' },
      hovertemplate: 'Assign %{x}: %{y} changed<extra></extra>',
    },
    {
      type: 'scatter', name: 'converged', x: end ? [end.x] : [], y: end ? [end.y] : [],
      mode: 'markers', marker: { symbol: 'star', size: 16, color: GOOD, line: { color: '#fff', width: 1 } },
      cliponaxis: false, // the star sits on the curve's last, lowest point: kept whole at the edge
      hovertemplate: 'Converged at Assign %{x}<extra></extra>',
    },
  ];
  return Plotly.react(div, traces, layout(assigns.length, end), CONFIG);
}

function layout(count, end) {
  return {
    ...chartLayout({ l: 52, r: 8, t: 6, b: 34 }, 0.8),
    xaxis: {
      anchor: 'y2', title: { text: 'assignment', standoff: 4 }, tickformat: 'd',
      range: [0.4, Math.max(count, 5) + 0.6], dtick: count > 12 ? undefined : 1,
    },
    yaxis: { domain: [0.42, 1], title: { text: 'inertia' }, exponentformat: 'SI', nticks: 4 },
    yaxis2: { domain: [0, 0.3], title: { text: 'changed' }, rangemode: 'tozero', exponentformat: 'SI', nticks: 3 },
    annotations: [note(count, end)].filter(Boolean),
  };
}

function note(count, end) {
  if (count === 0) {
    return {
      text: 'Appears after the first Assign', showarrow: false,
      xref: 'paper', yref: 'paper', x: 0.5, y: 0.7, font: { color: '#4a5260' },
    };
  }
  if (!end) return null;
  // Beside the star, on the side with room, so that it never reaches the axis's numbers.
  const early = end.x <= (Math.max(count, 5) + 1) / 2;
  return {
    text: 'converged', showarrow: false, x: end.x, y: end.y, yshift: 12,
    xanchor: early ? 'left' : 'right', xshift: early ? 4 : -4, yanchor: 'bottom', font: { color: GOOD },
  };
}
