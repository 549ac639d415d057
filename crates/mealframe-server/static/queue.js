// The offline queue: every Today action is stored in IndexedDB before it is sent, replayed in
// order when the network is back, and sent with an Idempotency-Key so that a replay never
// applies twice. An action is a list of steps; a step may use the result of an earlier one
// (quick-add a meal, then link it as what was eaten).

const DB_NAME = 'mealframe';
const STORE = 'queue';

function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(result?.result ?? result);
    t.onerror = () => reject(t.error);
  });
}

export const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

/** Store an action; returns its sequence number. */
export async function add(action) {
  action.steps.forEach((s) => { s.key ??= uuid(); });
  action.vars ??= {};
  action.done ??= 0;
  return tx('readwrite', (s) => s.add(action));
}

/** This user's pending actions, oldest first. */
export async function pending(user) {
  const all = await tx('readonly', (s) => s.getAll());
  return (all || []).filter((a) => a.user === user).sort((a, b) => a.seq - b.seq);
}

export async function remove(seq) {
  return tx('readwrite', (s) => s.delete(seq));
}

async function save(action) {
  return tx('readwrite', (s) => s.put(action));
}

/** Replace `$name` placeholders in a step body with results of earlier steps. */
function resolve(value, vars) {
  if (value instanceof Blob) return value;
  if (typeof value === 'string' && value.startsWith('$')) return vars[value.slice(1)];
  if (Array.isArray(value)) return value.map((v) => resolve(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, vars)]));
  return value;
}

/** File names for uploaded Blobs (servers read the container from them). */
const FILE_EXTENSIONS = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'audio/webm': 'webm', 'audio/mp4': 'm4a', 'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/wav': 'wav' };

/**
 * A step's request body: JSON from `body`, or multipart from `form` (field → value; a Blob, such
 * as a photo kept in IndexedDB while offline, goes as a file).
 */
function requestBody(step, vars) {
  if (step.form) {
    const form = new FormData();
    for (const [k, v] of Object.entries(resolve(step.form, vars))) {
      if (v instanceof Blob) form.append(k, v, `${k}.${FILE_EXTENSIONS[v.type] || 'bin'}`);
      else if (v != null) form.append(k, String(v));
    }
    return { body: form, headers: {} };
  }
  if (step.body === undefined) return { body: undefined, headers: { 'Content-Type': 'application/json' } };
  return { body: JSON.stringify(resolve(step.body, vars)), headers: { 'Content-Type': 'application/json' } };
}

/** Send one step: 'ok' (with the JSON result), 'retry' (keep it queued) or a permanent failure. */
async function send(step, vars) {
  let resp;
  try {
    const { body, headers } = requestBody(step, vars);
    resp = await fetch(step.path, {
      method: step.method,
      credentials: 'same-origin',
      headers: { ...headers, 'Idempotency-Key': step.key, Accept: 'application/json' },
      body,
    });
  } catch {
    return { outcome: 'retry' };
  }
  if (resp.ok) {
    const text = await resp.text();
    return { outcome: 'ok', result: text ? JSON.parse(text) : null };
  }
  // Not signed in (session expired), busy, rate limited or a server fault: try again later.
  if ([401, 408, 409, 425, 429].includes(resp.status) || resp.status >= 500) return { outcome: 'retry' };
  let message = `HTTP ${resp.status}`;
  try {
    const body = await resp.json();
    const d = body.detail;
    message = typeof d === 'string' ? d : d?.error?.message ?? (Array.isArray(d) ? d.map((i) => i.msg).join('; ') : message);
  } catch { /* not JSON */ }
  return { outcome: 'drop', message };
}

/**
 * Replay this user's queue in order. One tab at a time (Web Locks); stops at the first action that
 * must wait; drops (and reports) actions the server refuses for good.
 */
export async function flush(user) {
  const run = async () => {
    const report = { done: 0, dropped: [], waiting: 0, results: [] };
    const actions = await pending(user);
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      let stop = false;
      while (a.done < a.steps.length) {
        const step = a.steps[a.done];
        const r = await send(step, a.vars);
        if (r.outcome === 'retry') { stop = true; break; }
        if (r.outcome === 'drop') { a.dropped = r.message; break; }
        if (step.as) a.vars[step.as] = r.result?.id;
        a.done += 1;
        await save(a);
      }
      if (stop) { report.waiting = actions.length - i; break; }
      await remove(a.seq);
      if (a.dropped) report.dropped.push({ label: a.label, message: a.dropped });
      else { report.done += 1; report.results.push(a); }
    }
    return report;
  };
  return navigator.locks ? navigator.locks.request('mf-sync', run) : run();
}
