// Restarts: the same k from the next seeds, each run to convergence on the
// server, drawn as a strip of final inertias with the best and this run marked.
// Asked for only by its button; forgotten when the run's settings change.

import { api } from './api.js';
import { startOf } from './catalog.js';
import { formatNumber } from './messages.js';
import { chartLayout, keepFitted } from './plot.js';

const CONFIG = { displayModeBar: false };
const DOT = '#5b6573';
const BEST = '#17643a';
const CURRENT = '#a3161b';

export class Restarts {
  #key = null; // the run and start method the strip shown is for

  #answer = null;

  #page = null;

  #drawn = null; // the state the strip last marked

  constructor({ section, init, run, result, chart, best }, catalog, useSeed) {
    Object.assign(this, { section, init, runButton: run, result, chart, bestButton: best, catalog });
    this.starts = catalog.limits.restarts.default;
    run.textContent = `Try ${this.starts} restarts`;
    init.append(...catalog.starts.filter((start) => start.seeded)
      .map((start) => new Option(start.title, start.name)));
    keepFitted(chart);
    run.addEventListener('click', () => this.#fetch());
    init.addEventListener('change', () => this.#clear());
    section.addEventListener('toggle', () => this.#page && this.show(this.#page));
    best.addEventListener('click', () => useSeed(this.#answer.best.seed, this.#answer.init));
  }

  /** Keep the strip while the run is the same one; mark its latest inertia. */
  show(page) {
    this.#page = page;
    const { state } = page;
    this.runButton.disabled = !state;
    if (this.#key !== null && this.#key !== this.#keyOf(state)) this.#clear();
    if (this.#answer && this.section.open && state !== this.#drawn) this.#draw(this.#answer, state);
  }

  #keyOf(state) {
    if (!state) return null;
    return JSON.stringify([this.#page.session?.id, state.k, state.seed, this.init.value]);
  }

  #clear() {
    this.#key = null;
    this.#answer = null;
    this.result.textContent = '';
    this.bestButton.hidden = true;
    this.#drawn = null;
    Plotly.purge(this.chart);
  }

  async #fetch() {
    const { session, state } = this.#page;
    if (!state) return;
    const key = this.#keyOf(state);
    this.#clear();
    this.#key = key;
    this.runButton.disabled = true;
    this.result.textContent = `Running ${this.starts} starts to convergence…`;
    try {
      for (;;) {
        const answer = await api.restarts(session.id, this.starts, this.init.value || undefined);
        if (key !== this.#key) return;
        this.#answer = answer;
        this.#draw(answer, this.#page.state);
        if (answer.complete) break;
      }
    } catch (error) {
      if (key === this.#key) this.result.textContent = error.message;
    } finally {
      this.runButton.disabled = !this.#page.state;
    }
  }

  #draw(answer, state) {
    const { starts, best } = answer;
    const current = state?.inertia ?? null;
    const traces = [
      {
        type: 'scatter', name: 'starts', x: starts.map((s) => s.inertia), y: starts.map((s) => s.seed),
        mode: 'markers', marker: { size: 8, color: DOT },
        hovertemplate: 'seed %{y}: inertia %{x:.6~g}<extra></extra>',
      },
      {
        // best is null until a first run is done (a slow run spans several answers).
        type: 'scatter', name: 'best', x: best ? [best.inertia] : [], y: best ? [best.seed] : [], mode: 'markers',
        marker: { size: 15, symbol: 'star', color: BEST },
        hovertemplate: 'best: seed %{y}, inertia %{x:.6~g}<extra></extra>',
      },
      {
        type: 'scatter', name: 'this run', x: current === null ? [] : [current], y: [state.seed],
        mode: 'markers', marker: { size: 14, symbol: 'circle-open', color: CURRENT, line: { width: 2.5 } },
        hovertemplate: 'this run: inertia %{x:.6~g}<extra></extra>',
      },
    ];
    Plotly.react(this.chart, traces, layout(), CONFIG);
    this.#drawn = state;
    this.result.textContent = resultText(answer, state, startOf(this.catalog, answer.init));
    this.bestButton.hidden = !answer.complete || (best.seed === state?.seed && answer.init === state.init);
    if (best) this.bestButton.textContent = `Start again from seed ${best.seed}`;
  }
}

function layout() {
  return {
    ...chartLayout({ l: 44, r: 10, t: 6, b: 34 }, 0.75),
    xaxis: { title: { text: 'inertia at convergence', standoff: 2 }, exponentformat: 'SI', nticks: 5 },
    yaxis: { title: { text: 'seed' }, tickformat: 'd', autorange: 'reversed' },
  };
}

function resultText({ starts, best, n, init, complete, running }, state, start) {
  const parts = [];
  if (running) {
    parts.push(`Ran ${starts.length} of ${n} starts; start ${starts.length + 1} (seed `
      + `${running.seed}) has taken ${running.passes} passes so far…`);
  }
  if (best) {
    const tied = starts.filter((s) => s.inertia <= best.inertia * (1 + 1e-9)).length;
    const more = complete ? '' : ` (of ${n}, more coming)`;
    parts.push(`Best of ${starts.length}${more} ${start?.starts ?? init} `
      + `starts: inertia ${formatNumber(best.inertia)} (seed ${best.seed}), reached by ${tied}.`);
  }
  const current = state?.inertia;
  if (!best) return parts.join(' ');
  if (current === null || current === undefined) {
    parts.push('This run has no inertia yet: take a step.');
  } else {
    const above = (current - best.inertia) / best.inertia;
    const where = above <= 1e-9 ? 'as good as the best'
      : `${(100 * above).toFixed(1)} % above the best`;
    parts.push(`This run (seed ${state.seed}): ${formatNumber(current)}, ${where}`
      + `${state.converged ? ', converged.' : '; not converged yet, so it can still fall.'}`);
  }
  return parts.join(' ');
}
