// What every page that changes data offline shares (Today, Groceries): an action is stored in
// the offline queue, shown at once, and sent when the network allows; after a pass that changed
// something, the page's content is reloaded from the server and the actions still waiting are
// shown on top of it again.
//
// `body[data-sync]` is "busy" from the moment an action is taken (synchronously, before its
// IndexedDB write) until the sync pass that sends it has ended; "idle" otherwise. Tests and
// assistive tooling can wait on it instead of guessing.

import { toast } from 'mf/app';
import * as queue from 'mf/queue';

/**
 * `user()` names whose queue this is; `apply(action)` shows one action on the page; `url()` is
 * the page to reload after a sync; `loaded()` runs once reloaded content is in place, before the
 * pending actions are shown on it; `shown()` after they were; `results(report)` sees each
 * flush's report.
 */
export function syncer({ user, apply, url, loaded = () => {}, shown = () => {}, results = () => {} }) {
  let acting = 0;
  let syncing = false;
  let again = false;
  let stale = false; // a reload was put off while a sheet was open
  const setState = (state) => { document.body.dataset.sync = state; };

  async function showPending() {
    const items = await queue.pending(user());
    items.forEach(apply);
    shown();
  }

  /**
   * Put off a reload while the user has a sheet open: replacing the page would close it under
   * their finger (tapping the next meal right after marking one is the common case). The reload
   * runs once the sheet closes; the action chosen in it, if any, brings its own sync pass.
   */
  function deferredForSheet() {
    const sheet = document.querySelector('#main dialog[open]');
    if (!sheet) return false;
    stale = true;
    sheet.addEventListener('close', () => setTimeout(() => { if (stale && !syncing && !acting) sync(); }), { once: true });
    return true;
  }

  // A reload that could not reach the server is tried again, after 5 s and then less often.
  let retryTimer = null;
  let retries = 0;
  function retryLater() {
    stale = true;
    clearTimeout(retryTimer);
    const wait = Math.min(60, 5 * 2 ** retries) * 1000;
    retries += 1;
    retryTimer = setTimeout(() => { if (stale && !syncing && !acting) sync(); }, wait);
  }

  /** Reload the page's content from the server, keeping any still-pending actions. */
  async function refresh() {
    if (deferredForSheet()) return;
    let resp;
    try {
      resp = await fetch(url(), { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
    } catch {
      retryLater();
      return;
    }
    if (!resp.ok || resp.redirected) return;
    // The service worker answered with its kept copy (the network failed after the sync): that
    // copy predates what was just sent, so the page stays as it is and reloads once it can.
    if (resp.headers.get('X-MF-From-Cache')) {
      retryLater();
      return;
    }
    const doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
    const main = doc.getElementById('main');
    if (!main) return;
    // Checked again: a sheet may have been opened while the page was on its way.
    if (deferredForSheet()) return;
    stale = false;
    retries = 0;
    document.getElementById('main').replaceWith(main);
    loaded();
    await showPending();
  }

  // One flush at a time; an action queued during a flush asks for another pass once it ends.
  async function sync() {
    if (!navigator.onLine) {
      if (!syncing && !acting) setState('idle');
      return;
    }
    if (syncing) {
      again = true;
      return;
    }
    syncing = true;
    try {
      let changed = false;
      let waiting = 0;
      do {
        again = false;
        const report = await queue.flush(user());
        results(report);
        for (const d of report.dropped) toast(`Not saved: ${d.label} (${d.message})`, null, 7000);
        changed ||= report.done > 0 || report.dropped.length > 0 || stale;
        waiting = report.waiting;
        // Reload only when nothing new arrived meanwhile (an action taken during the reload
        // also sets `again`, and gets its own pass).
        if (!again && changed && waiting === 0) {
          await refresh();
          changed = false;
        }
      } while (again && navigator.onLine);
    } catch {
      /* stays queued */
    } finally {
      syncing = false;
      if (!acting) setState('idle');
    }
  }

  /** Queue an action, show it, say so (with Undo when `undo` is given), and try to send it. */
  async function act(action, undo) {
    acting += 1;
    setState('busy');
    try {
      action.user = user();
      action.created = Date.now();
      action.seq = await queue.add(action);
      apply(action);
      if (action.label && !action.quiet) toast(action.label, undo ? { label: 'Undo', run: () => undo(action) } : null);
    } finally {
      acting -= 1;
    }
    sync();
    return action;
  }

  addEventListener('online', sync);
  return { act, sync, showPending, refresh };
}
