// Links to take a run away: every step as JSON, each point and its cluster as
// CSV. The server names the files; the links follow the session.

/** Point the links at the session, or switch them off while there is none. */
export function showExports(links, session) {
  for (const [link, file] of [[links.json, 'export.json'], [links.csv, 'export.csv']]) {
    if (session?.id) { // a followed class's run has none
      link.href = `/api/sessions/${encodeURIComponent(session.id)}/${file}`;
      link.removeAttribute('aria-disabled');
    } else {
      link.removeAttribute('href');
      link.setAttribute('aria-disabled', 'true');
    }
  }
}
