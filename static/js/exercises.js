// The course notebook's exercises ("Playing with this Notebook"), each one
// click away: a button sets up the data and k and moves to the control to try.
// Beside each such control (the form's own, never a copy) a sentence says what
// its current value does to the data and to k-means.

// The exercises, and which parameters each sentence explains, come from the catalog.

import { datasetOf } from './catalog.js';
import { showParams } from './controls.js';
import { formatNumber } from './messages.js';

export class Exercises {
  #reached = new Map(); // MNIST: the ARI at convergence, by k, start and seed, then by components

  #overlaps = new WeakMap(); // session -> points nearer another blob's centre than their own

  constructor(el, catalog, reopen) {
    this.el = el;
    this.catalog = catalog;
    // Where each sentence goes: after the row of the last of its parameters.
    this.explained = Object.entries(catalog.explanations).map(([kind, { params }]) => ({
      id: `explain-${kind}`, after: params.at(-1), describes: params,
    }));
    const buttons = catalog.exercises.map((exercise, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `${i + 1}. ${exercise.title}`;
      button.addEventListener('click', () => this.#start(exercise, catalog, reopen));
      return button;
    });
    el.form.querySelector('#exercises').replaceChildren(...buttons);
  }

  /** Set an exercise up from the data set's defaults, and move to its control. */
  #start(exercise, catalog, reopen) {
    const { el } = this;
    el.dataset.value = exercise.dataset;
    showParams(el, catalog, exercise.params);
    el.k.value = String(exercise.k);
    reopen();
    const control = el.form.querySelector(exercise.focus === 'k' ? '#k' : `#param-${exercise.focus}`);
    control.focus();
    control.scrollIntoView({ block: 'nearest' });
  }

  /** Every sentence, for the session and settings the page now has. */
  show(page) {
    const { settings, session, state } = page;
    if (!settings) return;
    this.#remember(settings, state);
    const texts = this.#sentences();
    const values = (kind) => this.catalog.explanations[kind].params.map((key) => settings.dataset[key]);
    const spread = texts['explain-spread'];
    if (spread) spread.textContent = spreadText(values('spread'), this.#overlap(session), page);
    if (texts['explain-scale']) texts['explain-scale'].textContent = scaleText(values('scale'), session);
    const pca = texts['explain-pca'];
    if (pca) pca.textContent = this.#pcaText(settings, values('pca'), state);
    const versus = this.el.form.querySelector('#explain-k');
    const drawn = this.#classesParam(settings.dataset.name);
    const classes = drawn ? { count: settings.dataset[drawn], noisy: false } : trueClasses(session, datasetOf(this.catalog, settings.dataset.name));
    const k = page.problem ? null : state?.k ?? settings.k;
    versus.hidden = !classes.count || !k;
    if (!versus.hidden) {
      showVersus(versus, datasetOf(this.catalog, settings.dataset.name), classes, k, Boolean(drawn));
    }
  }

  // The parameter that says how many true classes are drawn, if the data set has one.
  #classesParam(name) {
    const params = datasetOf(this.catalog, name)?.params ?? {};
    return Object.keys(params).find((key) => params[key].role === 'classes') ?? null;
  }

  // The sentence elements beside this data set's controls, made when its rows were.
  #sentences() {
    const { params } = this.el;
    const drawn = this.#classesParam(this.el.dataset.value);
    if (drawn) params.querySelector(`[data-param="${drawn}"]`)?.setAttribute('aria-describedby', 'explain-k');
    const found = {};
    for (const { id, after, describes } of this.explained) {
      const row = params.querySelector(`[data-param="${after}"]`)?.closest('.row');
      if (!row) continue;
      let text = params.querySelector(`#${id}`);
      if (!text) {
        text = document.createElement('p');
        text.id = id;
        text.className = 'explain';
        row.after(text);
        for (const key of describes) {
          params.querySelector(`[data-param="${key}"]`).setAttribute('aria-describedby', id);
        }
      }
      found[id] = text;
    }
    return found;
  }

  #overlap(session) {
    if (!session?.truth) return null;
    if (!this.#overlaps.has(session)) this.#overlaps.set(session, nearerAnother(session));
    return this.#overlaps.get(session);
  }

  #remember(settings, state) {
    const [key] = this.catalog.explanations.pca.params;
    if (!(key in settings.dataset) || !state?.converged || !state.metrics) return;
    const run = runKey(state);
    if (!this.#reached.has(run)) this.#reached.set(run, new Map());
    this.#reached.get(run).set(settings.dataset[key], state.metrics.ari);
  }

  #pcaText(settings, [components], state) {
    const [key] = this.catalog.explanations.pca.params;
    const pixels = datasetOf(this.catalog, settings.dataset.name).params[key].maximum;
    const [seen, ...more] = this.catalog.explanations.pca.compare;
    const space = components === null ? `all ${pixels} raw pixels`
      : `the first ${components} principal components`;
    const parts = [components === seen
      ? `k-means clusters in the ${seen} principal components you see, where the digits overlap `
        + `heavily. Try ${more.join(' or ')}, or empty for all ${pixels} raw pixels.`
      : `k-means clusters in ${space}, but the plot shows only the first ${seen}. More of each image `
        + 'counts, so like digits lie closer together and the ARI rises, though the picture '
        + 'looks no better: what helped cannot be drawn.'];
    if (components === null) parts.push('Every step is slower on raw pixels.');
    if (state?.metrics) {
      const how = state.converged ? 'converged' : 'not converged yet';
      parts.push(`Now: ARI ${state.metrics.ari.toFixed(3)}, ${how}.`);
    }
    const reached = state ? this.#reached.get(runKey(state)) : null;
    if (reached?.size) {
      const tried = [...this.catalog.explanations.pca.compare, null]
        .map((n) => `${n ?? 'raw'}: ${reached.has(n) ? reached.get(n).toFixed(3) : 'not run yet'}`);
      parts.push(`ARI at convergence with k = ${state.k} and seed ${state.seed}, by components: `
        + `${tried.join(' · ')}.`);
    }
    return parts.join(' ');
  }
}

function runKey(state) {
  return `${state.k} ${state.init} ${state.seed}`;
}

// The true classes k is judged against. The catalog's noise class (the mouse's) is
// no cluster: k-means gives its points to the nearest centroids, so it is not counted.
function trueClasses(session, entry) {
  const names = session?.truthNames ?? [];
  const noise = Boolean(entry?.noise_class) && names.includes(entry.noise_class);
  return { count: names.length - (noise ? 1 : 0), noisy: noise };
}

function spreadText([spreadOf], overlap, { state, loading }) {
  const spread = `Spread ${spreadOf}: `;
  const ari = state?.metrics
    ? ` ARI now ${state.metrics.ari.toFixed(3)}${state.converged ? ' (converged)' : ''}.`
    : '';
  if (!overlap) return `${spread}${loading ? 'drawing the blobs…' : 'no blobs are drawn until the run can start.'}`;
  if (overlap.nearer === 0) {
    return `${spread}every point is nearer its own blob's centre than any other: the blobs `
      + `stand apart. Slide right to make them overlap.${ari}`;
  }
  return `${spread}the blobs overlap: ${overlap.nearer} of ${overlap.total} points are nearer `
    + "another blob's centre than their own, and k-means' straight boundaries give them to "
    + `that blob whatever the start.${ari}`;
}

/** Points nearer another true class's mean than their own's (what even ideal centroids miss). */
function nearerAnother({ xs, ys, truth }) {
  const classes = [...new Set(truth)];
  const means = classes.map((label) => {
    let x = 0;
    let y = 0;
    let n = 0;
    truth.forEach((t, i) => {
      if (t === label) { x += xs[i]; y += ys[i]; n += 1; }
    });
    return { label, x: x / n, y: y / n };
  });
  let nearer = 0;
  truth.forEach((t, i) => {
    const own = means.find((m) => m.label === t);
    const distance = (m) => (xs[i] - m.x) ** 2 + (ys[i] - m.y) ** 2;
    if (means.some((m) => m !== own && distance(m) < distance(own))) nearer += 1;
  });
  return { nearer, total: truth.length };
}

function scaleText([scale, standardize], session) {
  const stretch = scale === 1 ? '' : ` (x stretched ×${scale})`;
  if (standardize) {
    return `Standardized${stretch}: each axis is centred and divided by its own standard `
      + 'deviation, which puts the axes back on equal footing: both count alike in every distance.';
  }
  if (!session) return `Stretch ×${scale}…`;
  const ratio = deviation(session.xs) / deviation(session.ys);
  if (ratio >= 3 || ratio <= 1 / 3) {
    const [big, small, stripes] = ratio >= 3 ? ['x', 'y', 'vertical'] : ['y', 'x', 'horizontal'];
    const times = formatNumber(Math.max(ratio, 1 / ratio));
    return `Now ${big} spreads ${times} times as far as ${small}${stretch}: distances are dominated `
      + `by the ${big} axis, so k-means cuts the plane into ${stripes} stripes and all but ignores `
      + `${small}. Tick Standardize to put the axes back on equal footing.`;
  }
  return `Both axes spread about alike${stretch}, so both count in distances. Try stretching x `
    + "by 100, the notebook's X[:,0] *= 100.";
}

// Found once for a session's points: every step redraws this text, and 100,000 points
// summed twice on every step cost a student's laptop tens of milliseconds a click.
const deviations = new WeakMap(); // a session's xs or ys -> their standard deviation

function deviation(values) {
  if (!deviations.has(values)) {
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    deviations.set(values, Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length) || 1);
  }
  return deviations.get(values);
}

// "4 blobs generated | 3 clusters asked for", and what k-means makes of the difference.
function showVersus(target, entry, { count: classes, noisy: noise }, k, generated) {
  const [one, many] = noise ? ['true cluster', 'true clusters']
    : entry?.classes ?? ['true class', 'true classes'];
  const made = generated ? 'generated' : 'true';
  const noun = noise ? `cluster${classes === 1 ? '' : 's'} plus noise` : classes === 1 ? one : many;
  const side = (before, count, after) => {
    const span = document.createElement('span');
    span.className = 'versus';
    const number = document.createElement('strong');
    number.textContent = String(count);
    span.append(before, number, after);
    return span;
  };
  let verdict;
  if (k < classes) {
    verdict = `k is too small: k-means must merge ${many}.`;
  } else if (k > classes) {
    verdict = `k is too large: k-means must split a ${one}.`;
  } else {
    verdict = `k is right: one cluster per ${one}.`;
  }
  const line = document.createElement('span');
  line.className = 'versus-line';
  line.append(side(`${made}: `, classes, ` ${noun}`), side('asked: k = ', k, ''));
  const aside = noise ? ' The noise is no cluster: each of its points joins the nearest centroid.' : '';
  target.replaceChildren(line, `${verdict}${aside} k-means always makes exactly k clusters, right or `
    + 'wrong; the elbow (under Which k?) can hint.');
}
