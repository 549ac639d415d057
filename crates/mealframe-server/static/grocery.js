// The Groceries page: tick items off, remove them ("I have it"), move them to another aisle or
// to the staples kept at home, add and tick extra items, dismiss "what changed", share the list
// as text. Every change is shown at once and goes through the offline queue (with an
// Idempotency-Key per step), so the list works in a shop without signal.

import { toast } from 'mf/app';
import { syncer } from 'mf/sync';

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const root = () => $('#grocery');
const user = () => root()?.dataset.user;
const range = () => `from=${root().dataset.from}&to=${root().dataset.to}`;
const api = (path) => `/api/v1/grocery-list${path}?${range()}`;
const itemEl = (key) => $$('.gitem[data-key]').find((el) => el.dataset.key === key);

/** Keep the "n of m left" line true. */
function count() {
  const items = $$('.glist .gitem');
  const left = items.filter((el) => !el.classList.contains('checked')).length;
  const l = $('[data-left]');
  if (l) l.textContent = String(left);
  const t = $('[data-total]');
  if (t) t.textContent = String(items.length);
}

/** Checked items sink to the end of their aisle. */
function place(el) {
  const list = el?.parentElement;
  if (!list) return;
  const firstChecked = [...list.children].find((x) => x !== el && x.classList.contains('checked'));
  if (el.classList.contains('checked')) list.append(el);
  else list.insertBefore(el, firstChecked || null);
}

function setChecked(el, checked) {
  if (!el) return;
  el.classList.toggle('checked', checked);
  const box = $('input[type="checkbox"]', el);
  if (box) box.checked = checked;
  place(el);
}

/** Show an action's effect (at once, and again after a reload while it waits to sync). */
function apply(a) {
  if (a.page !== 'groceries' || a.range !== range()) return;
  switch (a.kind) {
    case 'check': {
      const el = itemEl(a.key);
      setChecked(el, a.checked);
      el?.classList.add('pending');
      break;
    }
    case 'remove':
    case 'staple':
      itemEl(a.key)?.remove();
      break;
    case 'aisle': {
      const el = itemEl(a.key);
      const to = $(`section[data-aisle="${a.category}"] .glist`);
      if (el && to) { to.append(el); place(el); }
      break;
    }
    case 'extra': {
      if ($(`[data-pending-extra="${a.seq}"]`)) break;
      const li = document.createElement('li');
      li.className = 'gitem extra pending';
      li.dataset.pendingExtra = String(a.seq);
      li.innerHTML = '<label class="gcheck"><input type="checkbox" disabled><span class="gname"></span></label>';
      $('.gname', li).textContent = a.name;
      $('[data-extras]')?.append(li);
      break;
    }
    case 'extra-check':
      setChecked($(`[data-extra="${a.id}"]`), a.checked);
      break;
    case 'extra-delete':
      $(`[data-extra="${a.id}"]`)?.remove();
      break;
    case 'seen':
      $('[data-changes]')?.remove();
      $$('.gitem .chip').forEach((c) => c.remove());
      break;
  }
  count();
}

const sync = syncer({ user, apply, url: () => location.pathname + location.search });

/** Queue one change of this list. */
function change(kind, fields, step, label, quiet = true) {
  return sync.act({ page: 'groceries', range: range(), kind, ...fields, label, quiet, steps: [step] });
}

document.addEventListener('change', (e) => {
  const box = e.target.closest('.gitem input[type="checkbox"]');
  if (box) {
    const el = box.closest('.gitem');
    const checked = box.checked;
    if (el.dataset.key) {
      const key = el.dataset.key;
      change('check', { key, checked }, { method: 'PUT', path: api(`/items/${encodeURIComponent(key)}`), body: { checked } },
        `${checked ? 'Checked' : 'Unchecked'} ${$('.gname', el).textContent.trim()}`);
    } else if (el.dataset.extra) {
      const id = el.dataset.extra;
      change('extra-check', { id, checked }, { method: 'PUT', path: api(`/extras/${id}`), body: { checked } },
        `${checked ? 'Checked' : 'Unchecked'} ${$('.gname', el).textContent.trim()}`);
    }
    return;
  }
  const aisle = e.target.closest('[data-aisle-choice]');
  if (aisle) {
    const el = aisle.closest('.gitem');
    const category = aisle.value;
    change('aisle', { key: el.dataset.key, category },
      { method: 'PUT', path: `/api/v1/grocery-list/ingredients/${encodeURIComponent(el.dataset.ingredient)}`, body: { category } },
      `Moved ${$('.gname', el).textContent.trim()}`, false);
    el.querySelector('details')?.removeAttribute('open');
  }
});

document.addEventListener('click', (e) => {
  const t = e.target;
  const item = t.closest('.gitem');
  const name = item ? $('.gname', item)?.textContent.trim() : '';
  if (t.closest('[data-remove]')) {
    change('remove', { key: item.dataset.key }, { method: 'PUT', path: api(`/items/${encodeURIComponent(item.dataset.key)}`), body: { removed: true } },
      `Removed ${name}`, false);
  } else if (t.closest('[data-staple]')) {
    change('staple', { key: item.dataset.key }, { method: 'PUT', path: `/api/v1/grocery-list/ingredients/${encodeURIComponent(item.dataset.ingredient)}`, body: { staple: true } },
      `${name}: kept at home from now on`, false);
  } else if (t.closest('[data-unstaple]')) {
    const li = t.closest('[data-ingredient]');
    change('unstaple', {}, { method: 'PUT', path: `/api/v1/grocery-list/ingredients/${encodeURIComponent(li.dataset.ingredient)}`, body: { staple: false } },
      'Back on the list', false);
    li.remove();
  } else if (t.closest('[data-restore]')) {
    const li = t.closest('[data-key]');
    change('restore', {}, { method: 'PUT', path: api(`/items/${encodeURIComponent(li.dataset.key)}`), body: { removed: false } },
      'Restored', false);
    li.remove();
  } else if (t.closest('[data-delete]')) {
    const id = item.dataset.extra;
    change('extra-delete', { id }, { method: 'DELETE', path: api(`/extras/${id}`) }, `Deleted ${name}`, false);
  } else if (t.closest('[data-seen]')) {
    change('seen', {}, { method: 'POST', path: api('/seen') }, 'Marked as seen');
  } else if (t.closest('[data-share]')) {
    share();
  }
});

document.addEventListener('submit', (e) => {
  const form = e.target.closest('[data-add-extra]');
  if (!form) return;
  e.preventDefault();
  const input = form.elements.name;
  const name = input.value.trim();
  if (!name) return;
  change('extra', { name }, { method: 'POST', path: api('/extras'), body: { name } }, `Added ${name}`, false);
  input.value = '';
});

/** The list as plain text, read from the page (so it works offline too). */
function asText() {
  const lines = [`Groceries · ${$('header small')?.textContent.trim() ?? ''}`];
  for (const section of $$('section.aisle')) {
    const rows = $$('.gitem', section).filter((el) => !el.classList.contains('checked'));
    if (!rows.length) continue;
    lines.push('', $('h2', section).textContent.trim());
    for (const el of rows) {
      const amount = $('.gamount', el)?.textContent.trim();
      lines.push(`- ${$('.gname', el).textContent.replace(/\s*new$/, '').trim()}${amount ? `: ${amount}` : ''}`);
    }
  }
  return lines.join('\n');
}

async function share() {
  const text = asText();
  try {
    if (navigator.share) {
      await navigator.share({ title: 'Groceries', text });
      return;
    }
    await navigator.clipboard.writeText(text);
    toast('List copied');
  } catch (err) {
    if (err?.name !== 'AbortError') toast('Could not share the list');
  }
}

sync.showPending().then(sync.sync);
