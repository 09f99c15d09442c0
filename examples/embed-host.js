// The host's side of the K-Means Stepper's message protocol, as a course page
// would write it: frame /embed, size the frame from kmeans:resize, follow
// kmeans:step, and send kmeans:command.

const DEFAULT_APP = 'http://127.0.0.1:5000/embed?dataset=mouse&k=3&init=random&seed=1';

const frame = document.getElementById('stepper');
const log = document.getElementById('log');
const latest = document.getElementById('latest');
const app = new URL(new URLSearchParams(window.location.search).get('app') || DEFAULT_APP);

window.addEventListener('message', (event) => {
  // Only the stepper's own frame, from the stepper's own server, is listened to.
  if (event.source !== frame.contentWindow || event.origin !== app.origin) return;
  const message = event.data;
  if (typeof message?.type !== 'string' || !message.type.startsWith('kmeans:')) return;
  const entry = document.createElement('li');
  const code = document.createElement('code');
  code.textContent = JSON.stringify(message);
  entry.append(code);
  log.append(entry);
  if (message.type === 'kmeans:resize') frame.height = String(message.height);
  if (message.type === 'kmeans:ready') latest.textContent = 'ready';
  if (message.type === 'kmeans:step') {
    latest.textContent = `${message.phase}, iteration ${message.iteration}, `
      + `inertia ${message.inertia ?? '–'}${message.converged ? ', converged' : ''}`;
  }
  if (message.type === 'kmeans:error') latest.textContent = message.message;
});

for (const button of document.querySelectorAll('[data-command]')) {
  button.addEventListener('click', () => {
    // The target origin makes sure the command reaches the stepper and nothing else.
    frame.contentWindow.postMessage({ type: 'kmeans:command', command: button.dataset.command }, app.origin);
  });
}

frame.src = app.href;
