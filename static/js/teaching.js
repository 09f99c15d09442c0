// What the page offers beyond the steps (issue 7): the notebook's exercises,
// what to look for in each data set, the metrics and the cluster × true label
// table, the elbow, restarts and exports. Drawn after the plot, and only the
// parts whose section is open.

import { datasetOf } from './catalog.js';
import { Elbow } from './elbow.js';
import { Exercises } from './exercises.js';
import { showExports } from './exports.js';
import { drawContingency, showMetrics } from './judge.js';
import { palette } from './palette.js';
import { Restarts } from './restarts.js';

export class Teaching {
  #page = null;

  #judged = null; // the state the table was last drawn for

  constructor(root, el, catalog, reopen) {
    const byId = (id) => root.getElementById(id);
    this.catalog = catalog;
    this.parts = {
      lookFor: byId('look-for'),
      metrics: byId('metrics-line'),
      judge: byId('judge-section'),
      contingency: byId('contingency'),
      notes: byId('contingency-notes'),
      exports: { json: byId('export-json'), csv: byId('export-csv') },
    };
    this.exercises = new Exercises(el, catalog, reopen);
    this.elbow = new Elbow({
      section: byId('elbow-section'), chart: byId('elbow'),
      status: byId('elbow-status'), note: byId('elbow-note'),
    });
    const useSeed = (seed, init) => {
      el.seed.value = String(seed);
      el.start.value = init;
      reopen();
    };
    this.restarts = new Restarts({
      section: byId('restarts-section'), init: byId('restarts-init'), run: byId('restarts-run'),
      result: byId('restarts-result'), chart: byId('restarts'), best: byId('restarts-best'),
    }, catalog, useSeed);
    this.parts.judge.addEventListener('toggle', () => this.#page && this.#judge(this.#page));
  }

  /** Bring every part up to date with the page. */
  show(page) {
    this.#page = page;
    const { lookFor, metrics, exports } = this.parts;
    const name = page.settings?.dataset.name;
    lookFor.textContent = datasetOf(this.catalog, name)?.look_for ?? '';
    const truth = page.session?.truth ?? page.custom.labels;
    // Without true labels the table would stay empty: the metrics line says why.
    this.parts.judge.hidden = !truth;
    showMetrics(metrics, page.state, Boolean(truth));
    this.#judge(page);
    showExports(exports, page.session);
    this.exercises.show(page);
    this.elbow.show(page);
    this.restarts.show(page);
  }

  #judge({ state }) {
    const { judge, contingency, notes } = this.parts;
    if (!judge.open || state === this.#judged) return;
    this.#judged = state;
    const classes = state && datasetOf(this.catalog, state.dataset.name)?.classes;
    drawContingency(contingency, notes, state, palette(state?.k ?? 0), classes);
  }
}
