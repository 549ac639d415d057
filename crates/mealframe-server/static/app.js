// MealFrame: behaviour shared by every page — service worker, offline banner, toasts, sign-out.

const banner = document.getElementById('offline-banner');
const showOnline = () => { if (banner) banner.hidden = navigator.onLine; };
addEventListener('online', showOnline);
addEventListener('offline', showOnline);
showOnline();

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
}

let toastTimer;
/** Show a short message; `action` = { label, run } adds a button (e.g. Undo). */
export function toast(text, action, ms = 4000) {
  const el = document.getElementById('toast');
  if (!el) return;
  clearTimeout(toastTimer);
  el.replaceChildren();
  const span = document.createElement('span');
  span.textContent = text;
  el.append(span);
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = action.label;
    b.addEventListener('click', () => { el.replaceChildren(); action.run(); });
    el.append(b);
  }
  toastTimer = setTimeout(() => el.replaceChildren(), ms);
}

/** Whether the user asked for less motion (animations and vibration stay off). */
export const calm = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** A mark's feedback on `el`: its `celebrate` animation (restarted) and a tick of vibration.
 *  Answers whether it played. */
export function celebrate(el) {
  if (!el || calm()) return false;
  el.classList.remove('celebrate');
  void el.offsetWidth; // restart the animation
  el.classList.add('celebrate');
  navigator.vibrate?.(15);
  setTimeout(() => el.classList.remove('celebrate'), 500);
  return true;
}

/** Forget every page this browser cached for a signed-in user. */
export async function forgetPages() {
  if (!('caches' in self)) return;
  for (const k of await caches.keys()) if (k.startsWith('mf-pages-') || k === 'mf-meta') await caches.delete(k);
  navigator.serviceWorker?.controller?.postMessage({ type: 'logout' });
}

/** Stop reminders on this device (signing out: the plan should not keep showing on it). */
async function forgetPush() {
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    const sub = await reg?.pushManager?.getSubscription();
    if (!sub) return;
    await sendSubscription('DELETE', { endpoint: sub.endpoint }).catch(() => {});
    await sub.unsubscribe();
  } catch { /* signing out goes on */ }
}

for (const form of document.querySelectorAll('form[data-logout]')) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await forgetPush();
    await forgetPages();
    form.submit();
  });
}

// Forms that ask before doing something irreversible.
document.addEventListener('submit', (e) => {
  const message = e.target?.dataset?.confirm;
  if (message && !confirm(message)) e.preventDefault();
}, true);

// Signed out: nobody's pages should stay in this browser's cache.
if (!document.body.dataset.signedIn) forgetPages();

// Theme switch buttons (settings page) apply at once; the form still saves it.
for (const input of document.querySelectorAll('input[name="theme"]')) {
  input.addEventListener('change', () => { document.documentElement.dataset.theme = input.value; });
}

// Calendar feed (settings page): the address is selectable without JavaScript; with it, one tap
// selects it and "Copy URL" puts it on the clipboard.
const feedUrl = document.querySelector('[data-feed-url]');
const copyFeed = document.querySelector('[data-copy-feed]');
if (feedUrl) feedUrl.addEventListener('focus', () => feedUrl.select());
if (feedUrl && copyFeed && navigator.clipboard) {
  copyFeed.hidden = false;
  copyFeed.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(feedUrl.value);
      toast('Feed address copied.');
    } catch {
      feedUrl.select();
      toast('Select the address and copy it.');
    }
  });
}

// Reminders (settings page): turn push notifications on or off for this device. On: ask for
// permission, subscribe with the server's key, store the subscription (POST); off: delete it on
// the server and unsubscribe. The rest of the section is a plain form.
const pushBox = document.querySelector('[data-push]');
if (pushBox) setupPush(pushBox);

function keyBytes(b64) {
  const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function deviceLabel() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

async function sendSubscription(method, body) {
  return fetch('/api/v1/push/subscriptions', {
    method, credentials: 'same-origin', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body),
  });
}

async function setupPush(box) {
  const status = box.querySelector('[data-push-status]');
  const button = box.querySelector('[data-push-toggle]');
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    status.textContent = 'This browser cannot show reminders.';
    return;
  }
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  // A subscription this browser still holds is (re)stored, so the server and the device agree.
  if (sub) sendSubscription('POST', { ...sub.toJSON(), user_agent: deviceLabel() }).catch(() => {});
  const show = () => {
    const on = Boolean(sub);
    status.textContent = on ? 'Reminders are on for this device.' : 'Reminders are off for this device.';
    button.textContent = on ? 'Turn off for this device' : 'Turn on for this device';
    button.className = `btn ${on ? 'btn-outline' : 'btn-primary'} btn-block`;
    button.setAttribute('aria-pressed', String(on));
    button.hidden = false;
    box.dataset.push = on ? 'on' : 'off';
  };
  show();
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      if (sub) {
        await sendSubscription('DELETE', { endpoint: sub.endpoint });
        await sub.unsubscribe();
        sub = null;
        toast('Reminders are off for this device.');
      } else {
        if ((await Notification.requestPermission()) !== 'granted') {
          toast('Notifications are blocked for this site in the browser settings.');
          return;
        }
        sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.pushKey) });
        const resp = await sendSubscription('POST', { ...sub.toJSON(), user_agent: deviceLabel() });
        if (!resp.ok) {
          await sub.unsubscribe();
          sub = null;
          toast('Could not turn reminders on.');
        } else toast('Reminders are on for this device.');
      }
    } catch {
      toast('Could not change reminders on this device.');
    } finally {
      button.disabled = false;
      show();
    }
  });
}

if (document.body.dataset.page === 'today') import('mf/today');
if (document.body.dataset.page === 'groceries') import('mf/grocery');
if (document.body.dataset.page === 'week') import('mf/week');
if (document.body.dataset.page === 'setup') import('mf/setup');
