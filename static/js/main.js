// The entry: loads the catalog, fills the form (from the URL too), opens a
// session, and wires buttons, keys, plot clicks and the form to the steps.

import { AlgorithmPanel } from './algorithm.js';
import { api } from './api.js';
import { dataSeedOf, placesCentroids } from './catalog.js';
import {
  clickTarget, findElements, readSettings, setupForm, showParams, showPoints, showRunSettings, showSpeed,
  showStatus,
} from './controls.js';
import { formatPoints, parsePoints, readPointsFile } from './custom.js';
import { drawGallery, wireLarger } from './gallery.js';
import { bindKeys } from './keyboard.js';
import { Live } from './live.js';
import { drawObjective } from './objective.js';
import { palette } from './palette.js';
import { drawPlot, keepFitted, onPlotClick, refit } from './plot.js';
import { PointsRaster } from './raster.js';
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
  const raster = new PointsRaster(el.raster, el.plot);
  const share = wireShare(document, () => stepper.page);
  let drawn = {};
  let teaching = null;
  let algorithm = null;
  let live = null;
  const render = () => {
    const { page } = stepper;
    const view = scene(page);
    drawPlot(el.plot, view);
    regions.show(view.regions);
    raster.show(view);
    showStatus(el, page, runner.running);
    algorithm?.show(page);
    renderGallery();
    share.refresh();
    live?.rendered();
    const shown = { state: page.state, session: page.session, loading: page.loading, problem: page.problem };
    if (Object.keys(shown).some((key) => shown[key] !== drawn[key])) {
      drawn = shown;
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
  const stepper = new Stepper({
    onChange: render, onImages: renderGallery, kMax: () => Number(el.k.max || Infinity), keep: true,
  });
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
  const wanted = settingsFromUrl(window.location.search);
  setupForm(el, stepper.page.catalog, wanted);
  algorithm = new AlgorithmPanel(document.getElementById('algorithm'), stepper.page.catalog);
  teaching = new Teaching(document, el, stepper.page.catalog, () => openFromForm(el, stepper, runner));
  wire(el, stepper, runner, render);
  // Back and Forward: the settings of that entry, and the run this tab had for them.
  window.addEventListener('popstate', () => {
    setupForm(el, stepper.page.catalog, settingsFromUrl(window.location.search));
    openFromForm(el, stepper, runner);
  });
  live = new Live(document, { stepper, el, render });
  if (live.start()) return;
  if (wanted.points) useLinkedPoints(el, stepper, wanted);
  await openFromForm(el, stepper, runner);
  // The form as the server holds the run: a reload finds a kept run, whose values win.
  if (stepper.page.state) showRunSettings(el, stepper.page);
  if (wanted.centroids && placesCentroids(stepper.page.catalog, stepper.page.settings.init)) {
    stepper.setPlaced(wanted.centroids);
    el.manualCentroids.value = formatPoints(stepper.page.placed);
  }
}

// A shared link's own points (see share.js), before its run opens.
function useLinkedPoints(el, stepper, { points, labels }) {
  const labelled = labels?.length === points.length ? labels : null;
  stepper.page.custom = { points, labels: labelled };
  showPoints(el, points, labelled, 'the link');
}

function wire(el, stepper, runner, render) {
  const act = (name) => {
    runner.stop();
    if (name === 'reset') refit(el.plot); // as in the embed: all of the points again
    stepper.take(name);
  };
  for (const [name, button] of Object.entries(el.buttons)) {
    button.addEventListener('click', (event) => {
      if (name === 'run') {
        runner.toggle();
        return;
      }
      // Clicked or tapped (not pressed from the keyboard): the keys go to the stepper
      // again, so Space takes the next step instead of pressing this button twice.
      if (event.detail > 0) el.stage.focus({ preventScroll: true });
      act(name);
    });
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
  wireLarger(document.getElementById('gallery-larger'), el.gallery);
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
    try {
      const { points, labels } = await readPointsFile(file, stepper.page.catalog.limits.points.maximum);
      showPoints(el, points, labels, file.name);
      stepper.setCustom(points, labels);
    } catch (error) {
      stepper.say(error.message);
    } finally {
      el.csv.value = ''; // the same file chosen again is read again
    }
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
    stepper.say(error.message);
  }
}

function openFromForm(el, stepper, runner) {
  runner.stop();
  const settings = readSettings(el);
  writeUrl(settings);
  el.manualCentroids.value = '';
  return stepper.open(settings).then(() => {
    // A run taken up again after a reload brings its own points back.
    const { custom } = stepper.page;
    if (settings.dataset.name === 'custom' && !el.customPoints.value && custom.points.length) {
      showPoints(el, custom.points, custom.labels, 'this run');
    }
  });
}

// The plot a student waits for goes first; the charts beside it after it is on screen.
function afterPaint(draw) {
  requestAnimationFrame(() => setTimeout(draw, 0));
}

main();
