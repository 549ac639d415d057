// MealFrame service worker: static assets cache-first (their URLs are versioned); the Today,
// Week and Groceries pages network-first, kept per user (and per query string) so that an
// offline start shows the last page at once; everything else straight from the network (API
// data is never served stale from a cache).
// Signing out (or another user signing in) drops the cached pages.

const VERSION = '__VERSION__';
const ASSETS = `mf-assets-${VERSION}`;
const PRECACHE = [__PRECACHE__];
const PAGES = ['/', '/week', '/groceries'];
const META = 'mf-meta';

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(ASSETS).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('mf-assets-') && k !== ASSETS) await caches.delete(k);
    await self.clients.claim();
  })());
});

async function currentUser() {
  const hit = await (await caches.open(META)).match('/__mf/user');
  return hit ? hit.text() : null;
}

async function rememberUser(user) {
  const before = await currentUser();
  if (before !== user) {
    for (const k of await caches.keys()) if (k.startsWith('mf-pages-') && k !== `mf-pages-${user}`) await caches.delete(k);
    await (await caches.open(META)).put('/__mf/user', new Response(user));
  }
}

function offlinePage() {
  const html = `<!doctype html><html lang="en" data-theme="dark"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline · MealFrame</title><body style="font-family:system-ui;background:#241e19;color:#f0ece6;display:grid;place-content:center;min-height:100vh;padding:1rem;text-align:center">
<h1>You are offline</h1><p>Today, Week and Groceries open offline once you have opened them online. Everything else needs a connection.</p><p><a style="color:#e6b766" href="/">Open Today</a></p>`;
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

async function cacheFirst(req) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const resp = await fetch(req);
  if (resp.ok) (await caches.open(ASSETS)).put(req, resp.clone());
  return resp;
}

/**
 * A kept page, marked as such: a page script that reloads its content after a sync must not
 * take an old copy for the server's answer (it would hide what was just sent).
 */
function fromCache(hit) {
  const headers = new Headers(hit.headers);
  headers.set('X-MF-From-Cache', '1');
  return new Response(hit.body, { status: hit.status, statusText: hit.statusText, headers });
}

async function pageNetworkFirst(req, key) {
  try {
    const resp = await fetch(req);
    const user = resp.headers.get('x-mf-user');
    if (resp.ok && user) {
      await rememberUser(user);
      await (await caches.open(`mf-pages-${user}`)).put(key, resp.clone());
    }
    return resp;
  } catch {
    const user = await currentUser();
    if (user) {
      const hit = await (await caches.open(`mf-pages-${user}`)).match(key);
      if (hit) return fromCache(hit);
    }
    return offlinePage();
  }
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/static/')) {
    e.respondWith(cacheFirst(req));
    return;
  }
  const html = req.mode === 'navigate' || (req.headers.get('accept') || '').includes('text/html');
  if (html && PAGES.includes(url.pathname)) {
    const key = url.pathname === '/' ? '/' : `${url.pathname}${url.search}`;
    e.respondWith(pageNetworkFirst(req, key));
  } else if (req.mode === 'navigate') {
    e.respondWith(fetch(req).catch(() => offlinePage()));
  }
});

self.addEventListener('message', (e) => {
  if (e.data?.type === 'logout') {
    e.waitUntil((async () => {
      for (const k of await caches.keys()) if (k.startsWith('mf-pages-') || k === META) await caches.delete(k);
    })());
  }
});

// ----- reminders (Web Push) ----------------------------------------------------------------------
// A push carries a JSON payload the server encrypted to this browser (`app::reminders`): a meal
// reminder with "Followed" / "Skip" actions, or the planning nudge. An action marks the slot
// through the same idempotent write as Today's offline queue (POST …/complete with an
// Idempotency-Key); offline, the write goes into that queue (IndexedDB `mealframe`/`queue`) and
// Today sends it when it next opens. A plain tap opens (or focuses) the payload's page.

const ACTIONS = { followed: 'Followed', skipped: 'Skip' };

self.addEventListener('push', (e) => {
  let p = {};
  try { p = e.data ? e.data.json() : {}; } catch { /* not JSON: show a plain reminder */ }
  const options = {
    body: p.body || '',
    icon: '/static/icons/icon-192.png',
    badge: '/static/icons/icon-192.png',
    tag: p.slot_id ? `slot-${p.slot_id}` : (p.kind || 'mealframe'),
    data: p,
    actions: (p.actions || []).filter((a) => ACTIONS[a]).map((a) => ({ action: a, title: ACTIONS[a] })),
  };
  e.waitUntil(self.registration.showNotification(p.title || 'MealFrame', options));
});

function queueDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('mealframe', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function enqueue(action) {
  const d = await queueDb();
  await new Promise((resolve, reject) => {
    const t = d.transaction('queue', 'readwrite');
    t.objectStore('queue').add(action);
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
  });
}

/** Mark the slot of a reminder; returns 'sent', 'queued' or 'refused'. */
async function markFromNotification(data, status) {
  const step = {
    method: 'POST',
    path: `/api/v1/slots/${data.slot_id}/complete`,
    body: { status, actual_meal_id: null },
    key: self.crypto.randomUUID(),
  };
  let resp = null;
  try {
    resp = await fetch(step.path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': step.key, Accept: 'application/json' },
      body: JSON.stringify(step.body),
    });
  } catch { /* offline */ }
  if (resp && resp.ok) return 'sent';
  if (resp && !([401, 408, 409, 425, 429].includes(resp.status) || resp.status >= 500)) return 'refused';
  const user = await currentUser();
  if (!user) return 'refused';
  await enqueue({
    kind: 'mark', label: `Marked as ${status === 'followed' ? 'Followed' : 'Skipped'}`, slot: data.slot_id, status,
    steps: [step], vars: {}, done: 0, user, created: Date.now(),
  });
  return 'queued';
}

async function openPage(url) {
  const target = new URL(url || '/', self.location.origin);
  for (const c of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
    if (new URL(c.url).pathname === target.pathname && 'focus' in c) return c.focus();
  }
  return self.clients.openWindow(target.href);
}

/** What a click on `notification` (its button `action`, or '' for the body) does. */
async function notificationClicked(notification, action) {
  const data = notification.data || {};
  notification.close();
  if (ACTIONS[action] && data.slot_id) {
    const outcome = await markFromNotification(data, action);
    for (const c of await self.clients.matchAll({ type: 'window' })) c.postMessage({ type: 'reminder-marked', outcome, slot: data.slot_id });
    return outcome;
  }
  await openPage(data.url);
  return 'opened';
}

self.addEventListener('notificationclick', (e) => {
  e.waitUntil(notificationClicked(e.notification, e.action));
});
