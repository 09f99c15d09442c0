// The words a student reads: what the next step will do and why. What a step
// did comes from the server, in its events; what a start method does, from its catalog.

import { placesCentroids, startOf } from './catalog.js';

/** The line above the plot: the next step, in a teacher's words. */
export function nextStepText(page) {
  const { state, settings } = page;
  const custom = settings.dataset.name === 'custom';
  if (page.loading && page.preparing) return preparingText(page);
  if (page.loading) return `Loading ${titleOf(page)}… (the first time can take a few seconds)`;
  if (page.problem) return page.fault ? 'Change k to start a run.' : page.problem;
  if (!page.session && !custom) return 'The run could not start: the message below says why.';
  if (!page.session && page.custom.points.length === 0) {
    return 'Click in the plot to add points, or upload a CSV of x,y.';
  }
  if (state?.converged) {
    return 'Done: every point is with its nearest centroid and every centroid at the mean '
      + 'of its points. Back undoes a step; Reset starts again.';
  }
  const next = state?.next_step ?? 'init';
  if (state?.picks?.next) return state.picks.next.prompt;
  if (next === 'init') return initText(page.placed.length, settings, page.catalog);
  if (next === 'assign') {
    return 'Next, Assign: every point joins its nearest centroid, '
      + 'since no other choice gives a smaller inertia.';
  }
  return 'Next, Update: every centroid moves to the mean of its points, '
    + 'where their squared distances add up least.';
}

function titleOf({ catalog, settings }) {
  return catalog.datasets?.find((entry) => entry.name === settings.dataset.name)?.title ?? settings.dataset.name;
}

/** What is wrong with these settings' k, in plain words, or '' when nothing is. */
export function settingsProblem({ k }, kMax) {
  const most = Number.isFinite(kMax) ? kMax : null;
  if (!Number.isInteger(k) || k < 1 || (most !== null && k > most)) {
    return most === null ? 'k must be a whole number, 1 or more.'
      : `k must be a whole number from 1 to ${most}.`;
  }
  return '';
}

/** Your own points, fewer than k: not a fault but a run still being made. What to do
 * next, said where the next step is said (not as an error, which would push the plot
 * down under a finger that is tapping points in). */
export function morePointsText(k, points) { // short: two lines on a phone, as kept for it
  const more = k - points;
  return `Click to add ${more} more point${more === 1 ? '' : 's'}: k = ${k} needs one per cluster. Or lower k.`;
}

function tooFewPoints(k, points) {
  return `k = ${k} is more than the ${points} point${points === 1 ? '' : 's'}: k-means needs `
    + 'at least one point for each cluster.';
}

/** The server's words, where they name its fields, in a student's. */
/** The server is preparing the data set: its words, and that the page asks again. */
function preparingText({ preparing }) {
  return `${preparing.message.replace(/; try again in a moment$/, '')}. The page asks again `
    + 'every second and opens the run as soon as it is ready.';
}

export function plainWords(message) {
  const fewer = /^k=(\d+) should be <= n_samples=(\d+)$/.exec(message);
  if (fewer) return tooFewPoints(Number(fewer[1]), Number(fewer[2]));
  const many = /^dataset\.points has (\d+) points; between \d+ and (\d+) are allowed$/.exec(message);
  if (many) return tooManyPoints('These data have', Number(many[1]), Number(many[2]));
  return message.replaceAll('dataset.', '').replaceAll('n_samples', 'the number of points');
}

/** "This file has 200,000 points; the most is 100,000." */
export function tooManyPoints(what, count, most) {
  const number = (n) => n.toLocaleString('en-US');
  return `${what} ${number(count)} points; the most is ${number(most)}.`;
}

function initText(placed, { k, init }, catalog) {
  if (!placesCentroids(catalog, init)) {
    return `Next, Init: choose ${k} starting centroids; ${startOf(catalog, init).next}.`;
  }
  if (placed < k) return `Click in the plot to place starting centroid ${placed} (${placed + 1} of ${k}).`;
  return `Next, Init: start from the ${k} centroids you placed.`;
}

/** The line under it: what the last step did, from the server's events. */
export function happenedText(state) {
  if (!state) return { text: '', tone: '' };
  const events = state.events ?? [];
  const tone = events.some((e) => e.type === 'converged') ? 'converged'
    : events.some((e) => e.type === 'empty_cluster') ? 'relocated' : '';
  // "Converged: no point changed cluster" says all the Assign's own line would.
  const said = tone === 'converged' ? events.filter((e) => e.type !== 'assign') : events;
  return { text: said.map((e) => e.message).join(' '), tone };
}

/** A line of numbers under the objective chart. */
export function summaryText(state) {
  if (!state || state.phase === 'new') return 'No step taken yet.';
  const parts = [`Iteration ${state.iteration}`];
  if (state.inertia !== null) parts.push(`inertia ${formatNumber(state.inertia)}`);
  if (state.changed !== null) parts.push(`${state.changed} changed at the last Assign`);
  return `${parts.join(' · ')}.`;
}

export function formatNumber(value) {
  return Math.abs(value) >= 1e5 ? value.toExponential(3) : value.toPrecision(4);
}
