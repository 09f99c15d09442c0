// Run: the session is stepped with one /step after another on a timer, so the
// student sees every step at the speed they chose and can stop at any point.

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

export class Runner {
  #generation = 0;

  running = false;

  /** step() takes one step and resolves to whether to go on; interval() is ms per step. */
  constructor({ step, interval, onChange }) {
    this.step = step;
    this.interval = interval;
    this.onChange = onChange;
  }

  toggle() {
    if (this.running) this.stop();
    else this.start();
  }

  stop() {
    if (!this.running) return;
    this.#generation += 1; // the loop sees this after its step in flight
    this.running = false;
    this.onChange();
  }

  async start() {
    const generation = ++this.#generation;
    this.running = true;
    this.onChange();
    while (generation === this.#generation) {
      const started = performance.now();
      if (!(await this.step())) break;
      await sleep(Math.max(0, this.interval() - (performance.now() - started)));
    }
    if (generation === this.#generation) {
      this.running = false;
      this.onChange();
    }
  }
}
