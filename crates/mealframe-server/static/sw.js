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
      if (hit) return hit;
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
