// The Week page: one tap on a meal's circle marks it followed (a second tap clears it), the ⋯
// panel marks any status; the day strip and a swipe move between days on a phone. Marks go
// through the same offline queue as Today's, so they work without signal and show on both pages.

import { calm, celebrate } from 'mf/app';
import { syncer } from 'mf/sync';

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const GLYPH = { followed: '✓', equivalent: '≈', skipped: '–', deviated: '✕', social: '☺' };
const days = () => $('[data-week-days]');
const rowOf = (slot) => $(`.wmeal[data-slot="${slot}"]`);
let shownDay = null; // the day a phone shows, kept across a reload of the page's content

/** Show `status` ('' for none) on a meal row, its day's count and bar, and the strip's dot. */
function show(row, status) {
  if (!row) return;
  row.dataset.status = status;
  row.classList.toggle('done', !!status);
  const name = $('.meal-name', row).textContent;
  const chip = $('.mark-chip', row);
  chip.className = `mark-chip${status ? ` s-${status}` : ''}`;
  chip.textContent = status ? GLYPH[status] : '';
  chip.setAttribute('aria-label', status ? `${name}: ${status} (tap to clear)` : `Mark ${name} followed`);
  $('input[name="status"]', chip.form).value = status ? '' : 'followed';
  for (const b of $$('.status-grid button', row)) {
    const st = $('input[name="status"]', b.form).value;
    b.setAttribute('aria-pressed', String(st === status));
  }
  const day = row.closest('.day');
  const rows = $$('.wmeal', day);
  const done = rows.filter((r) => r.dataset.status).length;
  $('[data-day-count]', day).textContent = `${done}/${rows.length}`;
  const pct = Math.round((done * 100) / rows.length);
  $('[data-day-bar]', day).style.width = `${pct}%`;
  const dot = $(`[data-strip="${day.dataset.day}"] .dot`);
  if (dot) dot.className = `dot${pct === 100 ? ' full' : pct > 0 ? ' some' : ''}`;
}

/** Show a queued action (also Today's: a mark made there shows here while it waits to sync). */
function apply(a) {
  if (a.kind !== 'mark' && a.kind !== 'clear') return;
  const row = rowOf(a.slot);
  if (!row) return;
  show(row, a.kind === 'mark' ? a.status : '');
  row.classList.add('pending');
}

const sync = syncer({
  user: () => days()?.dataset.user,
  apply,
  url: () => `${location.pathname}${location.search}`,
  loaded: () => placeDays(false),
});

function mark(slot, status, prev) {
  return sync.act(
    {
      kind: 'mark', label: prev ? `Changed to ${status}` : `Marked as ${status}`, slot, status,
      steps: [{ method: 'POST', path: `/api/v1/slots/${slot}/complete`, body: { status, actual_meal_id: null } }],
    },
    () => (prev ? mark(slot, prev, null) : clear(slot, null)),
  );
}

function clear(slot, prev) {
  return sync.act(
    { kind: 'clear', label: 'Status cleared', slot, steps: [{ method: 'DELETE', path: `/api/v1/slots/${slot}/complete` }] },
    prev ? () => mark(slot, prev, null) : null,
  );
}

document.addEventListener('submit', (e) => {
  const form = e.target.closest('form[data-week-mark]');
  if (!form || !days()) return;
  e.preventDefault();
  const row = form.closest('.wmeal');
  const status = new FormData(form).get('status') || '';
  const prev = row.dataset.status || '';
  form.closest('details.menu')?.removeAttribute('open');
  if (status === prev) return;
  if (status) celebrate($('.mark-chip', row));
  if (status) mark(row.dataset.slot, status, prev || null);
  else clear(row.dataset.slot, prev || null);
});

// ----- menus: one open at a time; a tap elsewhere or Escape closes them ---------------------------

document.addEventListener('toggle', (e) => {
  if (!e.target.matches?.('details.menu') || !e.target.open) return;
  for (const d of $$('details.menu[open]')) if (d !== e.target) d.open = false;
}, true);
document.addEventListener('click', (e) => {
  if (e.target.closest('details.menu')) return;
  for (const d of $$('details.menu[open]')) d.open = false;
});
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  for (const d of $$('details.menu[open]')) {
    const inside = d.contains(document.activeElement);
    d.open = false;
    if (inside) d.querySelector('summary')?.focus(); // focus stays where the user was
  }
});

// ----- the day strip and swiping (phones: one day per screen) ----------------------------------------

const swiping = () => getComputedStyle(days()).display === 'flex';
const dayAt = (box) => {
  const x = box.scrollLeft;
  return $$('.day', box).reduce((best, d) => (Math.abs(d.offsetLeft - box.offsetLeft - x) < Math.abs(best.offsetLeft - box.offsetLeft - x) ? d : best));
};
function current(date) {
  shownDay = date;
  for (const a of $$('.day-strip a')) {
    if (a.dataset.strip === date) a.setAttribute('aria-current', 'true');
    else a.removeAttribute('aria-current');
  }
}
function scrollToDay(date, smooth) {
  const box = days();
  const day = date && $(`.day[data-day="${date}"]`, box);
  if (!day || !swiping()) return;
  box.scrollTo({ left: day.offsetLeft - box.offsetLeft, behavior: smooth && !calm() ? 'smooth' : 'instant' });
  current(date);
}

/** Show the day the page is about (after a reload of the content: the one shown before). */
function placeDays(first) {
  const box = days();
  if (!box) return;
  scrollToDay(first ? (location.hash.startsWith('#day-') ? location.hash.slice(5) : $('.day[data-focus]', box)?.dataset.day) : shownDay, false);
  let t;
  box.addEventListener('scroll', () => {
    clearTimeout(t);
    t = setTimeout(() => current(dayAt(box).dataset.day), 80);
  }, { passive: true });
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('.day-strip a[data-strip]');
  if (!a || !swiping()) return;
  e.preventDefault();
  scrollToDay(a.dataset.strip, true);
});

placeDays(true);
sync.showPending().then(sync.sync);
