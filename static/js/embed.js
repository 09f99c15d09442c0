// The entry of /embed: the stepper with only the controls its query asked for,
// opened from the settings the server checked, talking to the page that frames it.

import { AlgorithmPanel } from './algorithm.js';
import { placesCentroids } from './catalog.js';
import {
  canReset, findStepperElements, nextControl, showLines, showPickButton, showSpeed,
} from './controls.js';
import { fitToFrame } from './framefit.js';
import { bindKeys } from './keyboard.js';
import { drawPlot, keepFitted, onPlotClick, refit } from './plot.js';
import { connectToHost } from './protocol.js';
import { PointsRaster } from './raster.js';
import { RegionsLayer } from './regions.js';
import { Runner } from './runner.js';
import { scene } from './scene.js';
import { Stepper } from './stepper.js';

async function main() {
  const root = document.getElementById('embed');
  const el = findStepperElements(root);
  let act = () => {}; // until the run is open
  const host = connectToHost({
    allowed: root.dataset.frameAncestors,
    onCommand: (command) => act(command),
  });
  const fit = fitToFrame(root, host.resize);
  if (root.dataset.error) {
    host.error(root.dataset.error);
    return;
  }
  const options = JSON.parse(root.dataset.options);
  const regions = new RegionsLayer(el.regions, el.plot);
  const raster = new PointsRaster(el.raster, el.plot);
  const catalog = JSON.parse(root.dataset.catalog);
  const panel = root.querySelector('#algorithm');
  const algorithm = panel && new AlgorithmPanel(panel, catalog);
  let reported = null;
  let shownError = '';
  const render = () => {
    const { page } = stepper;
    const view = scene(page);
    drawPlot(el.plot, view);
    regions.show(view.regions);
    raster.show(view);
    showStatus(el, page, runner.running);
    algorithm?.show(page);
    fit();
    if (page.error && page.error !== shownError) host.error(page.error);
    shownError = page.error;
  };
  const stepper = new Stepper({ onChange: render });
  stepper.page.catalog = catalog;
  // Every step that changed the state is reported, whoever asked for it.
  const take = async (name) => {
    const goOn = await stepper.take(name);
    const { state } = stepper.page;
    if (state && state !== reported) {
      reported = state;
      host.step(name, state);
    }
    return goOn;
  };
  const speed = () => Number(el.speed?.value ?? options.speed);
  const runner = new Runner({
    step: () => take('step'),
    interval: () => 1000 / speed(),
    onChange: () => {
      showStatus(el, stepper.page, runner.running);
      fit();
    },
  });

  if (options.custom) stepper.page.custom = options.custom;
  if (options.session) await stepper.follow(options.session, options.settings);
  else await stepper.open(options.settings);
  if (options.centroids) stepper.setPlaced(options.centroids);
  reported = stepper.page.state;
  // Commands are obeyed from here on, once there is a run to step.
  act = (name) => {
    if (name === 'run') return runner.running || runner.start();
    runner.stop();
    if (name === 'reset') refit(el.plot);
    return name === 'stop' || take(name);
  };
  wire(el, stepper, runner, act);
  host.ready();
  if (options.autoplay) runner.start();
}

function wire(el, stepper, runner, act) {
  for (const [name, button] of Object.entries(el.buttons)) {
    button.addEventListener('click', () => (name === 'run' ? runner.toggle() : act(name)));
  }
  // Keys only for what the page's author chose to show.
  const { step, back, run } = el.buttons;
  bindKeys(document, {
    step: () => step && act('step'),
    back: () => back && act('back'),
    run: () => run && runner.toggle(),
  });
  onPlotClick(el.plot, (x, y) => {
    const { page } = stepper;
    const placing = placesCentroids(page.catalog, page.settings.init)
      && (!page.state || page.state.phase === 'new');
    if (placing) stepper.place('centroids', [x, y]);
  });
  keepFitted(el.plot);
  el.speed?.addEventListener('input', () => showSpeed(el));
}

function showStatus(el, page, running) {
  const { state } = page;
  const converged = Boolean(state?.converged);
  const { buttons } = el;
  const enable = {
    init: Boolean(page.session),
    assign: Boolean(page.session),
    update: Boolean(page.session),
    step: Boolean(page.session) && !converged,
    run: Boolean(page.session) && (!converged || running),
    back: Boolean(state?.can_back),
    reset: canReset(state),
  };
  const due = page.session && !converged ? nextControl(state, buttons) : null;
  // Without the half-step buttons, Step is the one that takes it.
  const next = due && !buttons[due] ? 'step' : due;
  for (const [name, button] of Object.entries(buttons)) {
    button.disabled = !enable[name];
    button.classList.toggle('is-next', name === next);
  }
  showPickButton(buttons.pick, page, Boolean(page.session));
  if (buttons.run) {
    buttons.run.textContent = running ? 'Stop' : 'Run';
    buttons.run.classList.toggle('is-running', running);
  }
  showLines(el, page);
}

main();
