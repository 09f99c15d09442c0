// Share and Embed on the full page: a link to the full page that reproduces the
// current run (same data, same starting centroids, same steps), and an <iframe>
// of /embed for a course page, shown in a read-only box with a Copy button.

import { datasetOf, placesCentroids } from './catalog.js';
import { settingsQuery } from './state.js';

// gunicorn, and many proxies, refuse a request line over about 4 KB.
const LONG_LINK = 4000;
export const FRAME_SIZE = { width: 720, height: 520 }; // fits the embed at that width

/** The absolute link to the full page (path '/') or the embed ('/embed') for the page's
 * run; custom points and placed centroids included. */
export function runUrl(base, page, path = '/embed') {
  const { settings, custom, placed } = page;
  const query = settingsQuery(settings);
  if (settings.dataset.name === 'custom') {
    query.set('points', custom.points.flat().join(','));
    if (custom.labels) query.set('labels', custom.labels.join(','));
  }
  if (placesCentroids(page.catalog, settings.init) && placed.length === settings.k) {
    query.set('centroids', placed.flat().join(','));
  }
  // Commas need no escaping in a query, and unescaped they stay readable.
  return new URL(`${path}?${query.toString().replaceAll('%2C', ',')}`, base).href;
}

/** The <iframe> a course author pastes into a page. */
export function iframeSnippet(url, title) {
  return `<iframe src="${escapeHtml(url)}" title="${escapeHtml(title)}" `
    + `width="${FRAME_SIZE.width}" height="${FRAME_SIZE.height}" loading="lazy" `
    + 'style="border: 0; max-width: 100%;"></iframe>';
}

/** What the student should know about the link, or ''. */
export function linkNote(url, page) {
  const { settings, custom, placed } = page;
  if (settings.dataset.name === 'custom' && custom.points.length === 0) {
    return 'Add some points first: the link carries them.';
  }
  if (placesCentroids(page.catalog, settings.init) && placed.length < settings.k) {
    return `The link leaves out the starting centroids until all ${settings.k} are placed; `
      + 'whoever opens it places them.';
  }
  if (url.length > LONG_LINK) {
    return `This link is ${url.length} characters long: some servers refuse links over `
      + `${LONG_LINK}, so fewer points make a safer link.`;
  }
  return '';
}

/** Wire the Share and Embed buttons; answers refresh(), to call when the run changes. */
export function wireShare(root, currentPage) {
  const el = {
    share: root.getElementById('share-link'),
    embed: root.getElementById('share-embed'),
    panel: root.getElementById('share-panel'),
    label: root.getElementById('share-label'),
    text: root.getElementById('share-text'),
    copy: root.getElementById('share-copy'),
    close: root.getElementById('share-close'),
    note: root.getElementById('share-note'),
  };
  let shown = null; // 'share', 'embed' or null
  const refresh = () => {
    const page = currentPage();
    if (!shown || !page.settings) return;
    const url = runUrl(root.location.href, page, shown === 'share' ? '/' : '/embed');
    const text = shown === 'share' ? url : iframeSnippet(url, runTitle(page));
    if (text === el.text.value) return; // keep a selection, and "Copied.", while steps go on
    el.text.value = text;
    el.note.textContent = linkNote(url, page);
  };
  const show = (which) => {
    shown = shown === which ? null : which;
    el.panel.hidden = !shown;
    el.share.setAttribute('aria-expanded', String(shown === 'share'));
    el.embed.setAttribute('aria-expanded', String(shown === 'embed'));
    if (!shown) return;
    el.label.textContent = shown === 'share' ? 'Link to this run' : 'Code to put this run in a course page';
    el.text.rows = shown === 'share' ? 1 : 3;
    refresh();
  };
  el.share.addEventListener('click', () => show('share'));
  el.embed.addEventListener('click', () => show('embed'));
  el.close.addEventListener('click', () => {
    const opener = shown === 'share' ? el.share : el.embed;
    show(shown);
    opener.focus();
  });
  el.copy.addEventListener('click', () => copy(el));
  return { refresh };
}

// The clipboard needs a secure context (HTTPS or localhost) and permission;
// without it the text is selected, for Ctrl+C.
async function copy(el) {
  try {
    await navigator.clipboard.writeText(el.text.value);
    el.note.textContent = 'Copied.';
  } catch {
    el.text.focus();
    el.text.select();
    el.note.textContent = 'The text is selected: press Ctrl+C (or ⌘+C) to copy it.';
  }
}

// The frame's title, read by screen readers: the embed page's own.
function runTitle({ catalog, settings }) {
  const entry = datasetOf(catalog, settings.dataset.name);
  return `K-Means Stepper: ${entry?.title ?? settings.dataset.name}, k = ${settings.k}`;
}

function escapeHtml(text) {
  return text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
}
