// The entry: loads the catalog, fills the form (from the URL too), opens a
// session, and wires buttons, keys, plot clicks and the form to the steps.

import { api } from './api.js';
import { dataSeedOf } from './catalog.js';
import {
  clickTarget, findElements, readSettings, setupForm, showParams, showSpeed, showStatus,
} from './controls.js';
import { formatPoints, parsePoints } from './custom.js';
import { drawGallery } from './gallery.js';
import { bindKeys } from './keyboard.js';
import { Live } from './live.js';
import { drawObjective } from './objective.js';
import { palette } from './palette.js';
import { drawPlot, keepFitted, onPlotClick } from './plot.js';
import { RegionsLayer } from './regions.js';
import { Runner } from './runner.js';
import { scene } from './scene.js';
import { wireShare } from './share.js';
import { settingsFromUrl, writeUrl } from './state.js';
import { Stepper } from './stepper.js';
import { Teaching } from './teaching.js';

const SETTINGS = ['dataset', 'k', 'start', 'seed'];

async function main() {
  const el = findElements(document);
  const regions = new RegionsLayer(el.regions, el.plot);
  const share = wireShare(document, () => stepper.page);
  let drawnState;
  let teaching = null;
  let live = null;
  const render = () => {
    const { page } = stepper;
    const view = scene(page);
    drawPlot(el.plot, view);
    regions.show(view.regions);
    showStatus(el, page, runner.running);
    renderGallery();
    share.refresh();
    live?.rendered();
    if (page.state !== drawnState) {
      drawnState = page.state;
      afterPaint(() => {
        drawObjective(el.objective, page.state?.history ?? []);
        teaching?.show(page);
      });
    }
  };
  const renderGallery = () => {
    const { state, images, highlight } = stepper.page;
    el.gallerySection.hidden = !state?.has_images;
    if (state?.has_images) drawGallery(el.gallery, images, palette(state.k), highlight);
  };
  const stepper = new Stepper({ onChange: render, onImages: renderGallery });
  const runner = new Runner({
    step: () => stepper.take('step'),
    interval: () => 1000 / Number(el.speed.value),
    onChange: () => showStatus(el, stepper.page, runner.running),
  });

  try {
    stepper.page.catalog = await api.catalog();
  } catch (error) {
    el.error.textContent = error.message;
    return;
  }
  setupForm(el, stepper.page.catalog, settingsFromUrl(window.location.search));
  teaching = new Teaching(document, el, stepper.page.catalog, () => openFromForm(el, stepper, runner));
  wire(el, stepper, runner, render);
  live = new Live(document, { stepper, el, render });
  if (!live.start()) await openFromForm(el, stepper, runner);
}

function wire(el, stepper, runner, render) {
  const act = (name) => {
    runner.stop();
    stepper.take(name);
  };
  for (const [name, button] of Object.entries(el.buttons)) {
    button.addEventListener('click', () => (name === 'run' ? runner.toggle() : act(name)));
  }
  bindKeys(document, { step: () => act('step'), back: () => act('back'), run: () => runner.toggle() });
  onPlotClick(el.plot, (x, y) => onPlotPoint(el, stepper, [x, y]));
  keepFitted(el.plot);
  keepFitted(el.objective);
  wireSettings(el, stepper, runner);
  wireCustomData(el, stepper);
  el.speed.addEventListener('input', () => showSpeed(el));
  el.byTruth.addEventListener('change', () => {
    stepper.page.byTruth = el.byTruth.checked;
    render();
  });
  el.gallery.addEventListener('click', (event) => {
    const tile = event.target.closest('[data-cluster]');
    if (!tile) return;
    const cluster = Number(tile.dataset.cluster);
    stepper.page.highlight = stepper.page.highlight === cluster ? null : cluster;
    render();
  });
}

function wireSettings(el, stepper, runner) {
  el.form.addEventListener('change', (event) => {
    const isSetting = SETTINGS.includes(event.target.id) || event.target.dataset.param;
    if (!isSetting) return;
    if (event.target === el.dataset) showParams(el, stepper.page.catalog);
    openFromForm(el, stepper, runner);
  });
  el.newData.addEventListener('click', () => {
    const seedParam = dataSeedOf(stepper.page.catalog, el.dataset.value);
    const seed = seedParam && el.params.querySelector(`[data-param="${seedParam}"]`);
    if (seed) {
      seed.value = String(Math.floor(Math.random() * 1e6));
      openFromForm(el, stepper, runner);
    } else {
      el.customPoints.value = '';
      stepper.setCustom([], null);
    }
  });
  el.manualCentroids.addEventListener('change', () => {
    withParsed(el, stepper, el.manualCentroids.value, ({ points }) => stepper.setPlaced(points));
  });
}

function wireCustomData(el, stepper) {
  el.customPoints.addEventListener('change', () => {
    withParsed(el, stepper, el.customPoints.value, ({ points, labels }) => stepper.setCustom(points, labels));
  });
  el.csv.addEventListener('change', async () => {
    const [file] = el.csv.files;
    if (!file) return;
    el.customPoints.value = await file.text();
    el.customPoints.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

function onPlotPoint(el, stepper, point) {
  const target = clickTarget(el, stepper.page);
  if (!target) return;
  stepper.place(target, point);
  const { page } = stepper;
  if (target === 'centroids') el.manualCentroids.value = formatPoints(page.placed);
  else el.customPoints.value = formatPoints(page.custom.points);
}

function withParsed(el, stepper, text, use) {
  try {
    use(parsePoints(text));
  } catch (error) {
    stepper.page.error = error.message;
    el.error.textContent = error.message;
  }
}

function openFromForm(el, stepper, runner) {
  runner.stop();
  const settings = readSettings(el);
  writeUrl(settings);
  el.manualCentroids.value = '';
  return stepper.open(settings);
}

// The plot a student waits for goes first; the charts beside it after it is on screen.
function afterPaint(draw) {
  requestAnimationFrame(() => setTimeout(draw, 0));
}

main();
