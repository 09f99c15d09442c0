// The page's side of a run: opens sessions, takes steps on the server, and
// keeps what it answers. Says when something changed; draws nothing itself.
//
// Every answer says what the next step would change (the server works it out
// with the same engine). A click on that step shows it at once, while the
// server takes the step; its answer then replaces what was shown (the same,
// unless someone else stepped the session meanwhile), or, if it refuses the
// step, the page goes back to the state the server kept.
//
// Each step carries the version of the run it was asked from: one sent again
// after its answer was lost is not taken twice, and one from a run that moved on
// in another tab is refused with the run as it stands, which the page then shows.

import { api, versionOf } from './api.js';
import { placesCentroids } from './catalog.js';
import { morePointsText, plainWords, settingsProblem } from './messages.js';
import { sameValues } from './packed.js';
import {
  adoptSession, createPage, dropSession, keepSession, keptSession,
} from './state.js';

const EXPIRED = 404;
const MOVED_ON = 412;

export class Stepper {
  #opening = 0; // answers to older requests than the latest are dropped

  #imaging = 0;

  #last = Promise.resolve(true);

  #queued = 0;

  #version = null; // of the run as the last answer showed it

  #followed = false; // a session made elsewhere: its data are not the page's to send again

  /** onImages, if given, gets the centroids as images (MNIST); without it none are fetched.
   * kMax() is the largest k the form allows; keep, whether the session's id is kept for a reload. */
  constructor({ onChange, onImages = null, kMax = () => Infinity, keep = false }) {
    this.page = createPage();
    this.onChange = onChange;
    this.onImages = onImages;
    this.kMax = kMax;
    this.keep = keep;
  }

  /** Start from these settings: the run this tab last had for them if the server still
   * has it, else a new session (custom data: once it has points). The old run leaves
   * the screen at once, and the page says it is loading until the new one is here. */
  async open(settings) {
    const { page } = this;
    const ticket = ++this.#opening;
    page.settings = settings;
    page.placed = [];
    page.error = '';
    dropSession(page);
    if (this.#blocked()) {
      this.onChange();
      return;
    }
    const custom = settings.dataset.name === 'custom';
    const kept = this.keep ? keptSession(settings) : null;
    if (!kept && custom && page.custom.points.length === 0) {
      this.onChange();
      return;
    }
    page.loading = true;
    this.onChange();
    try {
      if (kept) await this.#resume(kept, ticket);
      if (!page.session && ticket === this.#opening && !(custom && page.custom.points.length === 0)) {
        await this.#createSession(ticket);
      }
    } catch (error) {
      if (ticket === this.#opening) page.error = plainWords(error.message);
    } finally {
      if (ticket === this.#opening) page.loading = false;
    }
    this.onChange();
  }

  /** Show a session made elsewhere (a notebook's), as it stands: `settings` are its own,
   * as the server said them when it served the page. */
  async follow(id, settings) {
    const { page } = this;
    this.#followed = true;
    page.settings = settings;
    page.loading = true;
    this.onChange();
    try {
      const answer = await api.session(id);
      adoptSession(page, answer);
      this.#version = versionOf(answer);
    } catch (error) {
      page.error = plainWords(error.message);
    } finally {
      page.loading = false;
    }
    this.onChange();
  }

  // The settings cannot make a run: k out of range (a fault, said as an error), or
  // fewer points of your own than k (said as what to do next). Nothing is sent.
  #blocked() {
    const { page } = this;
    const { settings, custom } = page;
    const points = settings.dataset.name === 'custom' ? custom.points.length : 0;
    const fault = settingsProblem(settings, this.kMax());
    page.fault = Boolean(fault);
    page.problem = fault || (points && settings.k > points ? morePointsText(settings.k, points) : '');
    page.loading = false;
    if (fault) page.error = fault;
    return Boolean(page.problem);
  }

  // A session this tab had: taken up where it was, unless the server has forgotten it.
  async #resume(id, ticket) {
    try {
      const answer = await api.session(id);
      if (ticket !== this.#opening) return;
      adoptSession(this.page, answer);
      this.#version = versionOf(answer);
    } catch (error) {
      if (error.status !== EXPIRED) throw error;
    }
  }

  /** Take a step ('init', 'assign', 'update', 'step', 'back' or 'reset') after the one
   * under way; resolves to whether another step would change anything. */
  take(name) {
    // One step on its way and one waiting at most, so that a held key cannot pile them up.
    if (this.#queued > 1) return Promise.resolve(true);
    this.#queued += 1;
    this.#last = this.#last.then(() => this.#take(name)).finally(() => { this.#queued -= 1; });
    return this.#last;
  }

  async #take(name) {
    const { page } = this;
    let before = null;
    let shown = null;
    try {
      if (page.problem) throw new Error(page.problem);
      if (!page.session && this.#followed) return false; // it could not be opened: said already
      if (!page.session) await this.#createSession();
      const [endpoint, body] = request(name, page);
      const { id } = page.session;
      const answer = api.step(id, endpoint, body, this.#version); // on its way before the drawing starts
      before = page.state;
      shown = foreseen(before, name);
      if (shown) {
        page.state = shown;
        page.error = '';
        this.onChange();
      }
      const state = await answer;
      if (id !== page.session?.id) return true; // the settings changed while it was on its way
      // A step that kept the labels of the version it was sent from (an Update) answers
      // without them: they are the ones shown before it.
      if (!('labels' in state)) state.labels = before.labels;
      this.#version = versionOf(state);
      // What was shown ahead, confirmed, stays the same object: nothing is drawn again.
      page.state = shown && sameState(shown, state) ? Object.assign(shown, { next: state.next }) : state;
      page.error = '';
      if (state.has_images && this.onImages) this.#loadImages();
      return !state.converged;
    } catch (error) {
      if (shown && page.state === shown) page.state = before; // refused: back to what the server kept
      page.error = plainWords(error.message);
      if (error.status === MOVED_ON && error.state) {
        page.state = error.state;
        this.#version = error.version;
        return !error.state.converged;
      }
      if (error.status === EXPIRED) await this.#renew();
      return false;
    } finally {
      this.onChange();
    }
  }

  /** A click in the plot: a starting centroid, or a point of your own data set. */
  place(target, point) {
    const { page } = this;
    if (target === 'centroids') {
      const { k } = page.settings;
      if (page.placed.length < k) page.placed = [...page.placed, point];
      else page.error = `All ${k} starting centroids are placed: Init starts from them.`;
    } else if (target === 'points') {
      // Clicked points carry no true label, so the labels no longer cover every point.
      this.setCustom([...page.custom.points, point], null);
      return;
    }
    this.onChange();
  }

  setPlaced(points) {
    this.page.placed = points.slice(0, this.page.settings.k);
    this.onChange();
  }

  /** New custom points: the session that had the old ones is done with. */
  setCustom(points, labels) {
    const { page } = this;
    this.#opening += 1; // a session still on its way was for the old points
    page.custom = { points, labels };
    page.error = '';
    dropSession(page);
    this.#blocked();
    this.onChange();
  }

  /** A message for the student (a file that cannot be read, say), with nothing else changed. */
  say(message) {
    this.page.error = message;
    this.onChange();
  }

  async #createSession(ticket = ++this.#opening) {
    const created = await this.#created(ticket);
    if (ticket !== this.#opening || !created) return;
    adoptSession(this.page, created);
    this.#version = versionOf(created);
    if (this.keep) keepSession(this.page.settings, created.id);
  }

  // A new session; while the server is still preparing the data set (MNIST, once
  // after it starts), the page says how far it has got and asks again.
  async #created(ticket) {
    for (;;) {
      try {
        return await api.createSession(withCustomPoints(this.page.settings, this.page.custom));
      } catch (error) {
        if (!error.preparing) throw error;
        this.page.preparing = { ...error.preparing, message: error.message };
        this.onChange();
        await new Promise((resolve) => { setTimeout(resolve, 1000 * (error.retryAfter ?? 1)); });
        if (ticket !== this.#opening) return null;
      } finally {
        this.page.preparing = null;
      }
    }
  }

  // The server forgot an idle session: start the same settings again (not one made elsewhere).
  async #renew() {
    if (this.#followed) {
      this.page.error += ' Make the run again where it was made (run the notebook cell again).';
      return;
    }
    try {
      await this.#createSession();
      this.page.error += ' A new run has started from the same settings.';
    } catch (error) {
      this.page.error = plainWords(error.message);
    }
  }

  async #loadImages() {
    const ticket = ++this.#imaging;
    const { page } = this;
    const { id } = page.session;
    try {
      const images = page.state.centroids ? await api.centroids(id) : null;
      if (ticket !== this.#imaging || id !== page.session?.id) return;
      page.images = images;
    } catch (error) {
      page.error = error.message;
    }
    this.onImages();
  }
}

// The state after the step `name`, if the last answer foretold it: only the next
// step is foretold, and a state shown ahead foretells nothing itself.
function foreseen(state, name) {
  if (!state?.next || (name !== 'step' && name !== state.next_step)) return null;
  return { ...state, ...state.next, next: null };
}

// The labels compared apart: a typed array would go into JSON as an object, key by key.
function sameState(shown, state) {
  const rest = (s) => JSON.stringify({ ...s, next: null, labels: null });
  return sameValues(shown.labels, state.labels) && rest(shown) === rest(state);
}

// With a start the student places, starting means sending the centroids clicked in.
function request(name, { state, placed, catalog }) {
  const starting = state.phase === 'new' && (name === 'init' || name === 'step');
  if (!starting || !placesCentroids(catalog, state.init)) return [name, {}];
  if (placed.length < state.k) {
    throw new Error(`Place all ${state.k} starting centroids first by clicking in the plot `
      + `(${placed.length} of ${state.k} placed).`);
  }
  return ['init', { centroids: placed }];
}

function withCustomPoints(settings, custom) {
  if (settings.dataset.name !== 'custom') return settings;
  const dataset = { name: 'custom', points: custom.points };
  if (custom.labels) dataset.labels = custom.labels;
  return { ...settings, dataset };
}
