// The projector view: how many students follow, and whether the class has ended.

import { followingText } from './live.js';

const POLL_MS = 3000;

const code = document.body.dataset.code;
const line = document.getElementById('projector-followers');

async function refresh() {
  try {
    const response = await fetch(`/api/classes/${encodeURIComponent(code)}`, { headers: { Accept: 'application/json' } });
    const answer = await response.json();
    if (!response.ok) {
      line.textContent = answer.error;
      return;
    }
    if (answer.ended) {
      line.textContent = 'This class has ended.';
      return;
    }
    const text = followingText(answer.followers, answer.forks);
    line.textContent = `${text[0].toUpperCase()}${text.slice(1)}.`;
  } catch {
    line.textContent = 'The server cannot be reached.';
  }
  setTimeout(refresh, POLL_MS);
}

refresh();
