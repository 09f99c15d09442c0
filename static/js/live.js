// The live classroom on the stepper's page. A teacher makes the run a class
// ("Teach this live"); a student on /join/CODE follows it: each step the
// teacher takes arrives as Server-Sent Events and is drawn as if clicked here.
// "Try the next step yourself" makes the teacher's run the student's own
// session; "Follow the teacher again" goes back to the class.
//
// A followed run has no session id on this page (the server never sends the
// teacher's): the stepper's steps are refused here while following, and the
// server would have nothing to step anyway. The teacher's token lives in
// sessionStorage (no cookie: the stepper is embedded where they are blocked).

import { ApiError } from './api.js';
import { showRunSettings } from './controls.js';
import { unpackState } from './packed.js';
import { adoptSession } from './state.js';

const POLL_MS = 3000;
const STORED = 'kmeans-class'; // sessionStorage: {code, token} of the class this tab teaches
const JOIN_PATH = /^\/join\/([^/]+)\/?$/;

/** How many students follow, and how many runs they forked from the class, in words. */
export function followingText(count, forks = 0) {
  const following = count === 0 ? 'no student is following yet'
    : `${count} student${count === 1 ? ' is' : 's are'} following`;
  if (forks === 0) return following;
  return `${following}; ${forks} run${forks === 1 ? '' : 's'} forked to try alone`;
}

async function call(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api${path}`, { method, headers, body: body && JSON.stringify(body) });
  } catch {
    throw new ApiError('The server cannot be reached: is it still running?', 0);
  }
  if (response.status === 204) return null;
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(answer?.error ?? `The server answered ${response.status}.`, response.status);
  return answer;
}

const classPath = (code) => `/classes/${encodeURIComponent(code)}`;

export class Live {
  #mode = null; // a student's: 'follow', 'fork' or 'ended'; null for a teacher or on one's own

  #code = null; // the class followed

  #events = null; // its EventSource

  #run = null; // the class's run as last heard: {points..., state}

  #hold = false;

  #over = false; // the class followed has ended

  #trouble = ''; // why the class cannot be followed, when it did not simply end

  #teaching = null; // {code, token, session}: the class this tab teaches

  #polling = 0;

  #unfolded = false; // a phone's follower opened the settings, folded away under the plot

  constructor(root, { stepper, el, render }) {
    this.stepper = stepper;
    this.el = el;
    this.render = render;
    const byId = (id) => root.getElementById(id);
    this.ui = {
      bar: byId('live'),
      teachStart: byId('teach-start'),
      teachPanel: byId('teach-panel'),
      teachCode: byId('teach-code'),
      followers: byId('teach-followers'),
      projector: byId('teach-projector'),
      hold: byId('teach-hold'),
      end: byId('teach-end'),
      follow: byId('follow'),
      status: byId('follow-status'),
      settings: byId('follow-settings'),
      fork: byId('follow-fork'),
      again: byId('follow-again'),
      error: byId('live-error'),
    };
    this.ui.teachStart.addEventListener('click', () => this.#teach());
    this.ui.hold.addEventListener('change', () => this.#change({ hold: this.ui.hold.checked }));
    this.ui.end.addEventListener('click', () => this.#end());
    this.ui.fork.addEventListener('click', () => this.#fork());
    this.ui.again.addEventListener('click', () => this.#followAgain());
    this.ui.settings.addEventListener('click', () => {
      this.#unfolded = !this.#unfolded;
      this.#show();
    });
    // Every step the page takes (buttons, keys, Run) passes here first.
    const take = stepper.take.bind(stepper);
    stepper.take = (name) => (this.refuses() ? Promise.resolve(false) : take(name));
  }

  /** On /join/CODE, follow that class (true); otherwise go on teaching a class this tab taught. */
  start() {
    const match = JOIN_PATH.exec(window.location.pathname);
    if (!match) {
      const stored = JSON.parse(sessionStorage.getItem(STORED) ?? 'null');
      if (stored) this.#showTeaching({ ...stored, session: null });
      return false;
    }
    this.#code = decodeURIComponent(match[1]);
    this.#mode = 'follow';
    this.#listen();
    this.#show();
    return true;
  }

  /** Whether a step must be refused: the run on the page is the class's, not one's own. */
  refuses() {
    const { page } = this.stepper;
    const followed = page.session && page.session.id === null;
    if (!followed || (this.#mode !== 'follow' && this.#mode !== 'ended')) return false;
    page.error = this.#mode === 'follow'
      ? 'This is the teacher\'s run: only the teacher steps it. Press "Try the next step yourself" to step on your own.'
      : 'The class has ended: change a setting to start a run of your own.';
    this.render();
    return true;
  }

  /** After each drawing: a teacher who opened another run teaches that one now. */
  rendered() {
    const id = this.stepper.page.session?.id;
    const teaching = this.#teaching;
    if (teaching && id && id !== teaching.session) {
      teaching.session = id;
      this.#change({ session: id });
    }
  }

  // --- Following -------------------------------------------------------------------

  #listen() {
    const events = new EventSource(`/api${classPath(this.#code)}/events`);
    this.#events = events;
    events.addEventListener('run', (event) => {
      const { state, hold } = JSON.parse(event.data);
      this.#run = unpackState(state);
      this.#hold = hold;
      if (this.#mode === 'follow') this.#showRun();
      this.#show();
    });
    events.addEventListener('step', (event) => {
      const state = unpackState(JSON.parse(event.data).state); // packed if the teacher's page asked so
      this.#run = { ...this.#run, ...state };
      if (this.#mode === 'follow') {
        this.stepper.page.state = state;
        this.stepper.page.error = '';
        this.render();
      }
      this.#show();
    });
    events.addEventListener('hold', (event) => {
      this.#hold = JSON.parse(event.data).hold;
      if (this.#hold && this.#mode === 'fork') this.#followAgain();
      this.#show();
    });
    events.addEventListener('end', () => this.#ended());
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED) this.#whyClosed();
    });
  }

  // The stream was refused (not a dropped connection, which the browser reopens): say why.
  async #whyClosed() {
    try {
      const answer = await call('GET', classPath(this.#code));
      if (answer.ended) this.#ended();
      else this.#ended('The class cannot be followed right now; reload the page to try again.');
    } catch (error) {
      this.#ended(error.message);
    }
  }

  // One sentence on the status line: the class ended, or `trouble`, why it cannot be followed.
  #ended(trouble = '') {
    this.#events?.close();
    this.#over = true;
    this.#trouble = trouble;
    if (this.#mode !== 'fork') this.#mode = 'ended';
    this.#show();
  }

  #showRun() {
    const { page } = this.stepper;
    adoptSession(page, { ...this.#run, id: null }); // no id: nothing here can step it
    page.settings = settingsOf(page.state);
    page.error = '';
    showRunSettings(this.el, page);
    this.render();
  }

  async #fork() {
    try {
      const forked = await call('POST', `${classPath(this.#code)}/fork?ahead=1`);
      const { page } = this.stepper;
      adoptSession(page, forked);
      page.settings = settingsOf(forked);
      page.error = '';
      this.#mode = 'fork';
      showRunSettings(this.el, page);
      this.#show();
      this.render();
    } catch (error) {
      this.ui.error.textContent = error.message;
    }
  }

  #followAgain() {
    this.#mode = 'follow';
    this.ui.error.textContent = '';
    if (this.#run) this.#showRun();
    this.#show();
  }

  // --- Teaching --------------------------------------------------------------------

  async #teach() {
    const { session } = this.stepper.page;
    if (!session?.id) {
      this.ui.error.textContent = 'Open a run first: there is nothing to teach yet.';
      return;
    }
    try {
      const opened = await call('POST', '/classes', { body: { session: session.id } });
      sessionStorage.setItem(STORED, JSON.stringify({ code: opened.code, token: opened.token }));
      this.#showTeaching({ code: opened.code, token: opened.token, session: session.id });
    } catch (error) {
      this.ui.error.textContent = error.message;
    }
  }

  #showTeaching(teaching) {
    this.#teaching = teaching;
    this.ui.error.textContent = '';
    this.ui.teachCode.textContent = teaching.code;
    this.ui.projector.href = `/class/${encodeURIComponent(teaching.code)}`;
    this.ui.hold.checked = false;
    this.#show();
    this.#poll();
  }

  async #poll() {
    const ticket = ++this.#polling;
    const teaching = this.#teaching;
    if (!teaching) return;
    try {
      const answer = await call('GET', classPath(teaching.code), { token: teaching.token });
      if (answer.ended) {
        this.#stopTeaching('The class has ended.');
        return;
      }
      this.ui.followers.textContent = followingText(answer.followers, answer.forks);
      this.ui.hold.checked = answer.hold;
    } catch (error) {
      if (error.status === 404 || error.status === 410) {
        this.#stopTeaching(error.message);
        return;
      }
    }
    setTimeout(() => { if (ticket === this.#polling) this.#poll(); }, POLL_MS);
  }

  async #change(changes) {
    const teaching = this.#teaching;
    if (!teaching) return;
    try {
      await call('PATCH', classPath(teaching.code), { body: changes, token: teaching.token });
    } catch (error) {
      this.ui.error.textContent = error.message;
      if (error.status === 404 || error.status === 410 || error.status === 403) this.#stopTeaching(error.message);
    }
  }

  async #end() {
    const teaching = this.#teaching;
    if (!teaching) return;
    // For every student at once, and for good: asked first.
    if (!window.confirm(`End class ${teaching.code}? Every student's page stops following it.`)) return;
    try {
      await call('DELETE', classPath(teaching.code), { token: teaching.token });
      this.#stopTeaching(`Class ${teaching.code} has ended.`);
    } catch (error) {
      this.ui.error.textContent = error.message;
    }
  }

  #stopTeaching(message) {
    this.#teaching = null;
    this.#polling += 1;
    sessionStorage.removeItem(STORED);
    this.ui.error.textContent = message;
    this.#show();
  }

  // --- What the bar shows ----------------------------------------------------------

  #show() {
    const { ui } = this;
    const student = this.#mode !== null;
    ui.bar.classList.toggle('following', student);
    ui.follow.hidden = !student;
    ui.teachStart.hidden = Boolean(this.#teaching);
    ui.teachPanel.hidden = !this.#teaching;
    const following = this.#mode === 'follow';
    // Disabled, not inert: a screen reader still reads the teacher's settings out.
    this.el.form.querySelector('#settings-fields').disabled = following;
    this.el.form.classList.toggle('following', following);
    // On a phone (live.css) the settings fold away under the plot while following.
    this.el.form.classList.toggle('folded', following && !this.#unfolded);
    ui.settings.hidden = !following;
    ui.settings.setAttribute('aria-expanded', String(following && this.#unfolded));
    ui.settings.textContent = this.#unfolded ? 'Hide the settings' : 'Show the settings';
    if (!student) return;
    const iteration = this.#run?.iteration ?? 0;
    const held = this.#hold ? ' The teacher holds the class on this step.' : '';
    ui.status.textContent = {
      follow: `Following class ${this.#code}: the teacher's run, live.${held}`,
      fork: this.#over ? 'You are trying it yourself: the class has ended.'
        : `You are trying it yourself: the class is at iteration ${iteration}.`,
      ended: this.#trouble || `Class ${this.#code} has ended: this is its run as it ended. `
        + 'Change a setting to start a run of your own.',
    }[this.#mode];
    ui.fork.hidden = this.#mode !== 'follow';
    ui.fork.disabled = this.#hold || !this.#run;
    ui.again.hidden = this.#mode !== 'fork' || this.#over;
  }
}

function settingsOf({ dataset, k, init, seed }) {
  return { dataset, k, init, seed };
}
