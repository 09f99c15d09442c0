// The embed's messages with the page that frames it (window.postMessage).
//
// To the parent: {type: 'kmeans:ready'} once the run is open, {type:
// 'kmeans:resize', height} whenever its natural height changes (framefit.js), {type:
// 'kmeans:step', action, phase, iteration, inertia, converged} after every step
// and {type: 'kmeans:error', message} when something went wrong. None carries
// the session id, so they may go to any origin: the browser only lets origins in
// the CSP's frame-ancestors frame the embed at all.
//
// From the parent only, and only from an origin in that same list (unless it
// is "*"): {type: 'kmeans:command', command: 'step' | 'pick' | 'back' | 'reset' | 'run' | 'stop'}.

export const COMMANDS = ['step', 'pick', 'back', 'reset', 'run', 'stop'];

/** Listen to the parent's commands and report to it; `allowed` is the frame-ancestors list. */
export function connectToHost({ win = window, allowed, onCommand }) {
  const parent = win.parent !== win ? win.parent : null;
  const post = (message) => parent?.postMessage(message, '*');
  win.addEventListener('message', (event) => {
    const command = commandOf(event, parent, allowed, win.location.origin);
    if (command) onCommand(command);
  });
  let reportedHeight = null;
  return {
    resize: (height) => {
      if (height === reportedHeight) return;
      reportedHeight = height;
      post({ type: 'kmeans:resize', height });
    },
    ready: () => post({ type: 'kmeans:ready' }),
    error: (message) => post({ type: 'kmeans:error', message }),
    step: (action, state) => post({
      type: 'kmeans:step',
      action,
      phase: state.phase,
      iteration: state.iteration,
      inertia: state.inertia,
      converged: state.converged,
    }),
  };
}

/** The command a message carries, if the page obeys it: from the parent, from an allowed origin. */
export function commandOf(event, parent, allowed, self) {
  if (!parent || event.source !== parent) return null;
  if (!originAllowed(event.origin, allowed, self)) return null;
  const { data } = event;
  if (data?.type !== 'kmeans:command' || !COMMANDS.includes(data.command)) return null;
  return data.command;
}

// A source as CSP writes one: "https:", "https://school.example", "*.school.example:8443".
const HOST_SOURCE = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^/:*]+)(?::(\d+|\*))?(?:\/.*)?$/i;
const DEFAULT_PORTS = { 'http:': '80', 'https:': '443' };

/** Whether an origin is in a frame-ancestors list ("*", or sources separated by spaces or commas). */
export function originAllowed(origin, allowed, self) {
  const sources = allowed.split(/[\s,]+/).filter(Boolean);
  if (sources.includes('*')) return true;
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null": a sandboxed or file: page
  }
  return sources.some((source) => (source === "'self'" ? origin === self : matches(url, source)));
}

function matches(url, source) {
  if (/^[a-z][a-z0-9+.-]*:$/i.test(source)) return url.protocol === source.toLowerCase();
  const parts = HOST_SOURCE.exec(source);
  if (!parts) return false;
  const [, scheme, wildcard, host, port] = parts;
  // Without a scheme CSP takes the page's own, or its secure upgrade.
  const schemeOk = scheme ? url.protocol === `${scheme.toLowerCase()}:` : url.protocol in DEFAULT_PORTS;
  const name = host.toLowerCase();
  const hostOk = wildcard ? url.hostname.endsWith(`.${name}`) : url.hostname === name;
  const portOk = port === '*' || (url.port || DEFAULT_PORTS[url.protocol]) === (port ?? DEFAULT_PORTS[url.protocol]);
  return schemeOk && hostOk && portOk;
}
