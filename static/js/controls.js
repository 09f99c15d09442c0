// The form (data set, its parameters from the catalog, k, start, seed), and
// what the buttons and status lines show for the page's current state.

import {
  applyLimit, dataSeedOf, datasetOf, picksOneAtATime, placesCentroids,
} from './catalog.js';
import { formatPoints } from './custom.js';
import { showPicksLegend } from './kmeanspp.js';
import { happenedText, nextStepText, summaryText } from './messages.js';

/** The stepper's own elements, found once: the full page and the embed both have them. */
export function findStepperElements(root) {
  const byId = (id) => root.querySelector(`#${id}`);
  return {
    buttons: Object.fromEntries([...root.querySelectorAll('[data-action]')]
      .map((button) => [button.dataset.action, button])),
    speed: byId('speed'),
    speedValue: byId('speed-value'),
    next: byId('next'),
    happened: byId('happened'),
    error: byId('error'),
    plot: byId('plot'),
    regions: byId('regions'),
    raster: byId('raster'),
    summary: byId('summary'),
    picksLegend: byId('picks-legend'),
  };
}

/** The full page's elements, found once. */
export function findElements(root) {
  const byId = (id) => root.getElementById(id);
  return {
    ...findStepperElements(root),
    form: byId('settings'),
    stage: byId('stage'),
    dataset: byId('dataset'),
    description: byId('dataset-description'),
    params: byId('params'),
    newData: byId('new-data'),
    custom: byId('custom'),
    customPoints: byId('custom-points'),
    csv: byId('csv'),
    k: byId('k'),
    start: byId('start'),
    seed: byId('seed'),
    placing: byId('placing'),
    manualCentroids: byId('manual-centroids'),
    clickMode: byId('click-mode'),
    byTruth: byId('by-truth'),
    objective: byId('objective'),
    gallerySection: byId('gallery-section'),
    gallery: byId('gallery'),
  };
}

/** Fill the form from the catalog and from settings found in the URL. */
export function setupForm(el, catalog, wanted) {
  const { starts, limits } = catalog;
  el.dataset.replaceChildren(...catalog.datasets.map((entry) => new Option(entry.title, entry.name)));
  el.start.replaceChildren(...starts.map((start) => new Option(start.title, start.name)));
  applyLimit(el.speed, limits.speed);
  showSpeed(el);
  setForm(el, catalog, wanted);
}

/** Set every setting of the form (data set, its parameters, k, start, seed) to
 * `wanted`, strings as the URL gives them; what is missing or unknown, to its default. */
function setForm(el, catalog, wanted) {
  const { datasets, starts, limits } = catalog;
  el.dataset.value = datasetOf(catalog, wanted.dataset) ? wanted.dataset : datasets[0].name;
  el.start.value = starts.some((start) => start.name === wanted.init)
    ? wanted.init : starts.find((start) => start.default).name;
  applyLimit(el.k, limits.k, wanted.k || limits.k.default);
  applyLimit(el.seed, limits.seed, wanted.seed || limits.seed.default);
  setParams(el, catalog, wanted.params ?? {});
}

// The parameter inputs set to `values`: rows of the data set shown already are
// replaced one by one, so the sentences after them (exercises.js) stay.
function setParams(el, catalog, values) {
  const entry = datasetOf(catalog, el.dataset.value);
  if (el.params.dataset.shown !== entry.name) {
    showParams(el, catalog, values);
    return;
  }
  for (const [key, spec] of Object.entries(entry.params)) {
    const old = el.params.querySelector(`[data-param="${key}"]`);
    const row = paramRow(key, spec, values[key]);
    const described = old.getAttribute('aria-describedby');
    if (described) row.querySelector('input').setAttribute('aria-describedby', described);
    old.closest('.row').replaceWith(row);
  }
}

/** Set every control to the run the page shows, as the server holds it (`page.state`):
 * the same for a run opened here, followed in a class, or forked from one. */
export function showRunSettings(el, page) {
  const { state, catalog, custom } = page;
  setForm(el, catalog, runValues(state));
  if (state.dataset.name === 'custom') showPoints(el, custom.points, custom.labels, 'this run');
}

// A run's settings as the URL would give them. Its data set's description (state.dataset)
// holds every parameter, defaults too, so no control is left at a default of its own.
function runValues({ dataset, k, init, seed }) {
  const { name, ...params } = dataset;
  const text = (value) => (value === null || value === undefined ? '' : String(value));
  return {
    dataset: name,
    params: Object.fromEntries(Object.entries(params).map(([key, value]) => [key, text(value)])),
    k: String(k),
    init,
    seed: String(seed),
  };
}

// Thousands of lines in a text box take the browser seconds to lay out: a large
// data set is named there, not listed.
const LISTED = 2000;

/** Your own points in their text box, or, too many to list, a line naming them. */
export function showPoints(el, points, labels, source) {
  const listed = points.length <= LISTED;
  el.customPoints.value = listed ? formatPoints(points, labels) : '';
  el.customPoints.placeholder = listed ? ''
    : `${points.length.toLocaleString('en-US')} points from ${source}: too many to list here.`;
}

/** The speed beside its slider. */
export function showSpeed(el) {
  el.speedValue.textContent = `${el.speed.value} steps/s`;
}

/** The parameter inputs of the chosen data set, from its schema. */
export function showParams(el, catalog, values = {}) {
  const entry = datasetOf(catalog, el.dataset.value);
  el.description.textContent = entry.description;
  const rows = Object.entries(entry.params).map(([key, spec]) => paramRow(key, spec, values[key]));
  el.params.replaceChildren(el.params.querySelector('legend'), ...rows);
  el.params.dataset.shown = entry.name;
}

function paramRow(key, spec, value) {
  const row = document.createElement('div');
  row.className = spec.type === 'boolean' ? 'row checkbox' : 'row';
  const label = document.createElement('label');
  label.htmlFor = `param-${key}`;
  label.textContent = spec.label;
  label.title = spec.help;
  const input = document.createElement('input');
  input.id = `param-${key}`;
  input.dataset.param = key;
  input.dataset.kind = spec.type;
  if (spec.nullable) input.dataset.nullable = 'true';
  if (spec.type === 'boolean') {
    input.type = 'checkbox';
    input.checked = value === undefined ? spec.default : value === 'true';
  } else if (spec.slider) {
    return sliderRow(row, label, input, spec.slider, value ?? spec.default);
  } else {
    input.type = 'number';
    input.min = spec.minimum;
    input.max = spec.maximum;
    input.step = spec.type === 'integer' ? '1' : 'any';
    input.value = value ?? spec.default ?? '';
    if (spec.nullable) input.placeholder = spec.empty;
  }
  row.append(label, input);
  return row;
}

// A range with its value shown beside it; a value from a link beyond the range widens it.
function sliderRow(row, label, input, range, value) {
  row.classList.add('slider');
  input.type = 'range';
  input.min = String(Math.min(range.min, Number(value)));
  input.max = String(Math.max(range.max, Number(value)));
  const onGrid = Math.abs(Math.round(value / range.step) * range.step - value) < 1e-9;
  input.step = onGrid ? String(range.step) : 'any';
  input.value = String(value);
  const output = document.createElement('output');
  output.htmlFor = input.id;
  output.textContent = input.value;
  input.addEventListener('input', () => { output.textContent = input.value; });
  row.append(label, input, output);
  return row;
}

/** What the form asks for, as the body of POST /api/sessions (custom points apart). */
export function readSettings(el) {
  const name = el.dataset.value;
  const dataset = { name };
  for (const input of el.params.querySelectorAll('[data-param]')) {
    dataset[input.dataset.param] = paramValue(input);
  }
  return { dataset, k: whole(el.k.value), init: el.start.value, seed: whole(el.seed.value) };
}

// Numbers the server will check; what is not a number goes as typed, so its message says so.
function paramValue(input) {
  if (input.dataset.kind === 'boolean') return input.checked;
  if (input.value === '' && input.dataset.nullable) return null;
  return input.dataset.kind === 'integer' ? whole(input.value) : Number(input.value);
}

function whole(text) {
  const value = Number(text);
  return Number.isInteger(value) && text !== '' ? value : text;
}

// --- What the page shows about the run -----------------------------------------------

/** Buttons, status lines and optional parts, for the page as it stands. */
export function showStatus(el, page, running) {
  const { state, settings } = page;
  const custom = settings.dataset.name === 'custom';
  const hasData = !page.loading && !page.problem
    && (Boolean(page.session) || (custom && page.custom.points.length > 0));
  const converged = Boolean(state?.converged);
  const { buttons } = el;
  for (const name of ['init', 'assign', 'update']) buttons[name].disabled = !hasData;
  buttons.step.disabled = !hasData || converged;
  buttons.run.disabled = !hasData || (converged && !running);
  buttons.run.textContent = running ? 'Stop' : 'Run';
  buttons.run.classList.toggle('is-running', running);
  buttons.back.disabled = !state?.can_back;
  buttons.reset.disabled = !canReset(state);
  const next = hasData && !converged ? nextControl(state, buttons) : null;
  for (const [name, button] of Object.entries(buttons)) button.classList.toggle('is-next', name === next);
  showPickButton(buttons.pick, page, hasData);

  showLines(el, page);

  const truth = page.session?.truth ?? page.custom.labels;
  el.byTruth.disabled = !truth;
  el.byTruth.checked = page.byTruth && Boolean(truth);
  showOptionalParts(el, page.catalog, settings);
}

function showOptionalParts(el, catalog, settings) {
  const custom = settings.dataset.name === 'custom';
  const manual = placesCentroids(catalog, settings.init);
  el.custom.hidden = !custom;
  el.placing.hidden = !manual;
  el.clickMode.hidden = !(custom && manual);
  el.newData.disabled = !custom && !dataSeedOf(catalog, settings.dataset.name);
}

/** What a click in the plot adds now: 'points', 'centroids' or nothing. */
export function clickTarget(el, page) {
  const custom = page.settings.dataset.name === 'custom';
  const placing = placesCentroids(page.catalog, page.settings.init)
    && (!page.state || page.state.phase === 'new');
  if (custom && placing) return el.form.elements['click-mode'].value;
  if (custom) return 'points';
  return placing ? 'centroids' : null;
}

/** The lines around the plot: what comes next, what just happened, any error, the summary. */
export function showLines(el, page) {
  const { state } = page;
  el.next.textContent = nextStepText(page);
  const happened = happenedText(state);
  el.happened.textContent = happened.text;
  el.happened.className = `happened ${happened.tone}`.trim();
  el.error.textContent = page.error;
  el.summary.textContent = summaryText(state);
  showPicksLegend(el.picksLegend, state?.picks);
}

/** The k-means++ pick button: shown for a start that picks one centre at a time,
 * enabled until the centroids are chosen. */
export function showPickButton(button, page, enabled) {
  if (!button) return;
  const { state, settings, catalog } = page;
  button.hidden = !picksOneAtATime(catalog, settings.init);
  button.disabled = !enabled || Boolean(state && state.phase !== 'new');
}

/** Whether Reset has anything to forget: a step, or a centre picked. */
export function canReset(state) {
  return Boolean(state) && (state.phase !== 'new' || state.can_back);
}

/** The control of the step that comes next: the pick while centres are picked one at a time. */
export function nextControl(state, buttons) {
  return state?.picks?.next && buttons.pick ? 'pick' : state?.next_step ?? 'init';
}
