// Lloyd's algorithm beside the plot: its lines in short pseudo-code (the words
// from the catalog, the notation in MathML from the page), the line of the step
// due next lit and the one just taken marked. Which is which comes from the
// state's phase, through the catalog's table of phases: a phase the server adds
// (a sub-step of the Init) lights the line of the step it belongs to.

import { startOf } from './catalog.js';

export class AlgorithmPanel {
  #lines = []; // [{step, item, words}] in the order shown

  #start = null; // the start method whose line is shown

  #shown = '';

  /** root: the panel (templates/algorithm.html); catalog: its words and phases. */
  constructor(root, catalog) {
    this.root = root;
    this.catalog = catalog;
    this.words = catalog.algorithm;
    const byId = (id) => root.querySelector(`#${id}`);
    this.list = byId('algorithm-lines');
    this.now = byId('algorithm-now');
    this.formulas = byId('algorithm-formulas').content;
    byId('algorithm-title').textContent = this.words.title;
    const objective = byId('algorithm-objective');
    objective.replaceChildren(this.words.objective, ' ', this.#formula('objective'));
  }

  /** Light the line of the step due next and mark the one just taken, for the page as it stands. */
  show(page) {
    const init = page.state?.init ?? page.settings?.init;
    if (init !== this.#start) this.#build(init);
    const { next, taken } = this.#where(page.state);
    const { words } = this;
    let statement = '';
    for (const [index, line] of this.#lines.entries()) {
      const lit = line.step !== undefined && line.step === next;
      const marked = line.step !== undefined && line.step === taken && !lit;
      line.item.classList.toggle('is-next', lit);
      line.item.classList.toggle('is-taken', marked);
      line.badge.textContent = (lit && words.next_badge) || (marked && words.taken_badge) || '';
      if (lit) line.item.setAttribute('aria-current', 'step');
      else line.item.removeAttribute('aria-current');
      const said = { number: index + 1, line: line.words };
      if (lit) statement = fill(next === 'converged' ? words.done : words.next, said) + statement;
      if (marked) statement += ` ${fill(words.taken, said)}`;
    }
    // Said once per change: a screen reader hears the new line, not every redraw.
    if (statement !== this.#shown) {
      this.#shown = statement;
      this.now.textContent = statement;
    }
  }

  // The steps to light: due next (or the end, once converged) and just taken. With no
  // run yet, as before any step; a phase the catalog does not list, by the state's next step.
  #where(state) {
    const { phases } = this.catalog;
    const place = state ? phases[state.phase] ?? { taken: null, next: state.next_step }
      : Object.values(phases).find((phase) => phase.taken === null);
    return { next: state?.converged ? 'converged' : place.next, taken: place.taken };
  }

  #build(init) {
    this.#start = init;
    const start = startOf(this.catalog, init)?.line ?? '';
    this.#lines = this.words.lines.map((line) => {
      const item = document.createElement('li');
      const words = fill(line.text, { start });
      const text = document.createElement('span');
      text.className = 'algorithm-words';
      text.textContent = words;
      const badge = document.createElement('span');
      badge.className = 'algorithm-badge';
      item.append(text, badge);
      if (line.formula) {
        const formula = document.createElement('div');
        formula.className = 'algorithm-formula';
        formula.append(this.#formula(line.formula));
        item.append(formula);
      }
      item.classList.toggle('is-inner', Boolean(line.inner));
      return { step: line.step, item, words, badge };
    });
    this.list.replaceChildren(...this.#lines.map((line) => line.item));
    this.#shown = '';
  }

  #formula(name) {
    return this.formulas.querySelector(`[data-formula="${name}"]`).cloneNode(true);
  }
}

// A sentence of the teaching file with its {placeholders} filled in.
function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, key) => String(values[key] ?? whole));
}
