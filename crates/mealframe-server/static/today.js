// The Today page: completion sheet, long-press/swipe, pickers, quick-add, ad-hoc meals, undo and
// yesterday's review. Every action is shown at once, stored in the offline queue, then synced.

import { celebrate, toast } from 'mf/app';
import * as queue from 'mf/queue';
import { syncer } from 'mf/sync';
import { startCapture, voiceRecorder } from 'mf/capture';

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const GLYPH = { followed: '✓', equivalent: '≈', skipped: '–', deviated: '✕', social: '☺' };
const WORD = { followed: 'followed', equivalent: 'equivalent', skipped: 'skipped', deviated: 'deviated', social: 'social' };

let data = readData();
let current = null; // the slot element the sheets act on
let cooldownUntil = 0;
const created = new Map(); // queue seq → id the server gave (ad-hoc slots), for undo

function readData() {
  return JSON.parse($('#mf-data')?.textContent || '{"meals":[],"types":[]}');
}
const mealById = (id) => data.meals.find((m) => m.id === id);
const slotEl = (id) => $(`.slot[data-slot="${id}"]`);

// ----- on-screen changes ------------------------------------------------------------------------

function setStatus(el, status, actualName) {
  if (!el) return;
  el.dataset.status = status || '';
  el.classList.toggle('marked', !!status);
  const box = $('.status', el);
  box.replaceChildren();
  if (status) {
    const i = document.createElement('span');
    i.className = `status-icon s-${status}`;
    i.setAttribute('aria-label', status);
    i.textContent = GLYPH[status];
    box.append(i);
  }
  if (actualName !== undefined) {
    let line = $('[data-actual]', el);
    if (!line && actualName) {
      line = document.createElement('span');
      line.dataset.actual = '';
      line.className = 'actual muted';
      $('.status', el).before(line);
    }
    if (line) line.textContent = actualName ? `Actually ate: ${actualName}` : '';
  }
}

let celebrating = null; // the slot marked by a tap just now: it shows its mark before moving

/** The first unmarked slot is the hero; the rest follow, unmarked first, each by position. */
function relayout() {
  const slots = $$('.slot[data-slot]');
  if (!slots.length) return;
  const pos = (el) => Number(el.dataset.pos || 999);
  const open = slots.filter((s) => !s.dataset.status).sort((a, b) => pos(a) - pos(b));
  const done = slots.filter((s) => s.dataset.status).sort((a, b) => pos(a) - pos(b));
  const list = $('[data-list]');
  let heroBox = $('section[data-hero]');
  slots.forEach((s) => s.classList.remove('next'));
  if (open.length) {
    if (!heroBox) {
      heroBox = document.createElement('section');
      heroBox.setAttribute('aria-labelledby', 'next-title');
      heroBox.dataset.hero = '';
      heroBox.innerHTML = '<p id="next-title" class="eyebrow">Next meal</p>';
      ($('#yesterday') || list).before(heroBox);
    }
    open[0].classList.add('next');
    heroBox.querySelector('.slot')?.remove();
    heroBox.append(open[0]);
  } else heroBox?.remove();
  for (const s of [...open.slice(1), ...done]) list.append(s);
  const complete = $('[data-complete]');
  if (complete) complete.hidden = open.length > 0;
  updateRing();
}

function updateRing() {
  const slots = $$('.slot[data-slot]:not([data-slot^="pending"])');
  const doneCount = slots.filter((s) => s.dataset.status).length;
  const total = slots.length;
  const done = $('[data-done]');
  if (done) done.textContent = String(doneCount);
  const tot = $('[data-total]');
  if (tot) tot.textContent = String(total);
  const arc = $('[data-ring]');
  if (arc && total) arc.style.strokeDashoffset = String(213.63 * (1 - doneCount / total));
}

function pendingSlot(action) {
  const meal = mealById(action.meal) || { name: action.mealName || 'Meal', portion: action.mealPortion || '' };
  const el = document.createElement('article');
  el.className = 'slot adhoc pending';
  el.dataset.slot = `pending-${action.seq}`;
  el.dataset.pos = '999';
  el.innerHTML = '<div class="slot-main"><span class="type">Added</span><span class="name"></span><span class="portion"></span><span class="status"></span></div>';
  $('.name', el).textContent = meal.name;
  $('.portion', el).textContent = meal.portion;
  $('[data-list]').append(el);
  return el;
}

/** Show an action's effect (at once, and again after a reload while it waits to sync). */
function apply(a) {
  const el = a.slot ? slotEl(a.slot) : null;
  switch (a.kind) {
    case 'mark':
      setStatus(el, a.status, a.actualName ?? null);
      yRow(a.slot)?.remove();
      break;
    case 'clear':
      setStatus(el, '', null);
      break;
    case 'adhoc':
      if (!$(`.slot[data-slot="pending-${a.seq}"]`)) pendingSlot(a);
      break;
    case 'remove':
      el?.remove();
      break;
    case 'reassign': {
      const meal = mealById(a.meal);
      if (el && meal) {
        $('.name', el).textContent = meal.name;
        $('.portion', el).textContent = meal.portion;
        setStatus(el, '', undefined);
      }
      break;
    }
  }
  if (el && a.kind !== 'remove') el.classList.add('pending');
  updateYesterdayCount();
  // A slot marked by a tap just now shows its check where it is, then moves down.
  if (a.kind === 'mark' && a.slot === celebrating && celebrate(el)) {
    celebrating = null;
    setTimeout(relayout, 450);
  } else relayout();
}

// ----- queue and sync ----------------------------------------------------------------------------

const sync = syncer({
  user: () => data.user,
  apply,
  url: () => '/',
  loaded: () => { data = readData(); watchEstimates(); },
  shown: relayout,
  results: (report) => {
    for (const a of report.results) {
      if (a.vars?.slot) created.set(a.seq, a.vars.slot);
      // Sent: no longer waiting, even while the page cannot be reloaded yet.
      (a.slot ? slotEl(a.slot) : $(`.slot[data-slot="pending-${a.seq}"]`))?.classList.remove('pending');
    }
  },
});
const act = sync.act;

// ----- the sheets ----------------------------------------------------------------------------------

/** Focus a field once the sheet has slid in, unless the user is already typing somewhere. */
function focusSoon(el) {
  setTimeout(() => {
    if (el && !document.activeElement?.matches('input, select, textarea')) el.focus();
  }, 250);
}

function openSheet(id) {
  const d = document.getElementById(id);
  if (d && !d.open) d.showModal();
  return d;
}
function closeSheets() {
  $$('dialog[open]').forEach((d) => d.close());
}

function openComplete(el) {
  current = el;
  const marked = !!el.dataset.status;
  $('#cs-title').textContent = marked ? 'Change status' : 'Mark completion status';
  $('[data-cs-meal]').textContent = $('.name', el)?.textContent || '';
  $$('#complete-sheet [data-status]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.status === el.dataset.status)));
  $('#complete-sheet [data-clear]').hidden = !marked;
  $('#complete-sheet [data-remove]').hidden = !el.dataset.adhoc;
  $('#complete-sheet [data-change]').hidden = !el.dataset.meal;
  openSheet('complete-sheet');
}

function mark(slotId, status, actual, prev) {
  const actualName = actual ? mealById(actual)?.name ?? '' : null;
  return act(
    {
      kind: 'mark', label: prev?.status ? `Changed to ${WORD[status]}` : `Marked as ${WORD[status]}`, slot: slotId, status, actualName,
      steps: [{ method: 'POST', path: `/api/v1/slots/${slotId}/complete`, body: { status, actual_meal_id: actual ?? null } }],
    },
    () => (prev?.status ? mark(slotId, prev.status, null, null) : clear(slotId, null)),
  );
}

function clear(slotId, prev) {
  return act(
    { kind: 'clear', label: 'Status cleared', slot: slotId, steps: [{ method: 'DELETE', path: `/api/v1/slots/${slotId}/complete` }] },
    prev ? () => mark(slotId, prev, null, null) : null,
  );
}

/** Undo an added meal: drop it from the queue if it has not synced yet, else remove the slot. */
async function undoAdd(a) {
  const waiting = (await queue.pending(data.user)).some((x) => x.seq === a.seq);
  if (waiting) {
    await queue.remove(a.seq);
    $(`.slot[data-slot="pending-${a.seq}"]`)?.remove();
    relayout();
    toast('Removed');
  } else if (created.has(a.seq)) removeAdhoc(created.get(a.seq), null);
}

function addAdhoc(mealId) {
  const meal = mealById(mealId);
  return act(
    { kind: 'adhoc', label: `Added ${meal?.name ?? 'meal'}`, meal: mealId, steps: [{ method: 'POST', path: '/api/v1/today/slots', body: { meal_id: mealId, date: data.date }, as: 'slot' }] },
    undoAdd,
  );
}

function removeAdhoc(slotId, mealId) {
  return act(
    { kind: 'remove', label: 'Meal removed', slot: slotId, steps: [{ method: 'DELETE', path: `/api/v1/slots/${slotId}` }] },
    mealId ? () => addAdhoc(mealId) : null,
  );
}

function reassign(slotId, mealId, typeId, prev) {
  const meal = mealById(mealId);
  const body = { meal_id: mealId };
  if (typeId) body.meal_type_id = typeId;
  return act(
    { kind: 'reassign', label: `Changed to ${meal?.name ?? 'another meal'}`, slot: slotId, meal: mealId, steps: [{ method: 'PUT', path: `/api/v1/slots/${slotId}/reassign`, body }] },
    prev?.meal ? () => reassign(slotId, prev.meal, prev.type || null, null) : null,
  );
}

/** The meal picker: `mode` is 'add' (ad-hoc), 'actual' (what was eaten) or 'change' (reassign). */
let pickerMode = null;
function openPicker(mode, onPick) {
  pickerMode = mode;
  const sheet = openSheet('picker-sheet');
  const capture = $('[data-capture-row]', sheet);
  if (capture) capture.hidden = !(data.ai && (mode === 'add' || mode === 'actual'));
  $('[data-picker-title]', sheet).textContent = { add: 'Add a meal', actual: 'What did you eat?', change: 'Change meal' }[mode];
  const search = $('[data-picker-search]', sheet);
  const typeWrap = $('[data-picker-type-wrap]', sheet);
  const typeSelect = $('[data-picker-type]', sheet);
  typeWrap.hidden = mode !== 'change';
  if (mode === 'change') {
    typeSelect.replaceChildren(...data.types.map((t) => new Option(t.name, t.id)));
    typeSelect.value = current?.dataset.type || data.types[0]?.id || '';
  }
  search.value = '';
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const type = mode === 'change' ? typeSelect.value : null;
    const list = $('[data-picker-list]', sheet);
    const meals = data.meals
      .filter((m) => !type || m.types.includes(type))
      .filter((m) => !q || m.name.toLowerCase().includes(q) || m.portion.toLowerCase().includes(q))
      .slice(0, 100);
    list.replaceChildren(...meals.map((m) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.innerHTML = '<span><b></b><br><small class="muted"></small></span><small class="muted"></small>';
      $('b', b).textContent = m.name + (m.ai ? ' · AI' : '');
      $$('small', b)[0].textContent = m.portion;
      $$('small', b)[1].textContent = m.kcal != null ? `${m.kcal} kcal` : '';
      b.addEventListener('click', () => { closeSheets(); onPick(m.id, mode === 'change' ? typeSelect.value : null); });
      li.append(b);
      return li;
    }));
    if (!meals.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.style.padding = '1rem 0';
      li.textContent = data.meals.length ? 'No meals match your search.' : 'No meals yet — add some in Meals.';
      list.append(li);
    }
  };
  search.oninput = render;
  typeSelect.onchange = render;
  render();
  focusSoon(search);
}

let pendingStatus = null;

document.addEventListener('click', (e) => {
  const t = e.target;
  if (t.closest('[data-close]')) { closeSheets(); return; }
  const quick = t.closest('[data-quick]');
  if (quick) {
    const el = quick.closest('.slot[data-slot]');
    celebrating = el.dataset.slot;
    mark(el.dataset.slot, quick.dataset.quick, null, { status: el.dataset.status || null });
    return;
  }
  const slot = t.closest('.slot[data-slot]');
  if (slot && !slot.dataset.slot.startsWith('pending-')) {
    if (Date.now() < cooldownUntil || slot.dataset.suppress) { delete slot.dataset.suppress; return; }
    openComplete(slot);
    return;
  }
  const option = t.closest('#complete-sheet [data-status]');
  if (option && current) {
    const status = option.dataset.status;
    const prev = { status: current.dataset.status || null };
    closeSheets();
    if (status === 'equivalent' || status === 'deviated') {
      pendingStatus = { slot: current.dataset.slot, status, prev };
      openSheet('actual-sheet');
    } else mark(current.dataset.slot, status, null, prev);
    return;
  }
  if (t.closest('[data-clear]') && current) { const prev = current.dataset.status; closeSheets(); clear(current.dataset.slot, prev); return; }
  if (t.closest('[data-remove]') && current) { const meal = current.dataset.meal; closeSheets(); removeAdhoc(current.dataset.slot, meal); return; }
  if (t.closest('[data-change]') && current) {
    const prev = { meal: current.dataset.meal, type: current.dataset.type };
    const slotId = current.dataset.slot;
    closeSheets();
    openPicker('change', (meal, type) => reassign(slotId, meal, type !== prev.type ? type : null, prev));
    return;
  }
  if (t.closest('[data-pick-actual]') && pendingStatus) {
    const p = pendingStatus;
    closeSheets();
    openPicker('actual', (meal) => mark(p.slot, p.status, meal, p.prev));
    return;
  }
  if (t.closest('[data-skip-actual]') && pendingStatus) { closeSheets(); mark(pendingStatus.slot, pendingStatus.status, null, pendingStatus.prev); return; }
  if (t.closest('[data-quick-add]') && pendingStatus) {
    closeSheets();
    const types = $('[data-quick-types]');
    types.replaceChildren(new Option('— none —', ''), ...data.types.map((x) => new Option(x.name, x.id)));
    $('[data-quick-form]').reset();
    openSheet('quick-sheet');
    focusSoon($('#q-name'));
    return;
  }
  if (t.closest('[data-add]')) { pendingStatus = null; openPicker('add', (meal) => addAdhoc(meal)); return; }
  if (t.closest('[data-voice]')) {
    const p = pickerMode === 'actual' || t.closest('#actual-sheet') ? pendingStatus : null;
    closeSheets();
    const sheet = openSheet('voice-sheet');
    const status = $('[data-voice-status]', sheet);
    status.textContent = 'Hold the button while you talk, or tap to start and tap again to stop.';
    const rec = voiceRecorder($('[data-voice-record]', sheet), (text) => { status.textContent = text; }, (audio) => {
      sheet.close();
      const shown = { name: 'Voice note meal', portion_description: 'Estimating…' };
      const create = { method: 'POST', path: '/api/v1/captures', form: { audio }, as: 'meal' };
      if (p) markWithNewMeal(p, shown, create);
      else addNewMeal(shown, 'Voice note added — estimating', create);
    });
    sheet.addEventListener('close', () => rec.cancel(), { once: true });
    return;
  }
  if (t.closest('[data-describe]')) {
    describing = pickerMode === 'actual' || t.closest('#actual-sheet') ? pendingStatus : null;
    closeSheets();
    $('[data-describe-form]').reset();
    openSheet('describe-sheet');
    focusSoon($('#ds-text'));
    return;
  }
  if (t.closest('[data-capture]')) {
    const p = pickerMode === 'actual' || t.closest('#actual-sheet') ? pendingStatus : null;
    closeSheets();
    startCapture((photo) => {
      const shown = { name: 'Photo meal', portion_description: 'Estimating…' };
      const create = { method: 'POST', path: '/api/v1/captures', form: { image: photo }, as: 'meal' };
      if (p) markWithNewMeal(p, shown, create);
      else addNewMeal(shown, 'Photo added — estimating', create);
    });
    return;
  }
  const yMark = t.closest('[data-y-mark]');
  if (yMark) { mark(yMark.closest('[data-y-slot]').dataset.ySlot, yMark.dataset.yMark, null, null); return; }
  if (t.closest('[data-y-all]')) {
    for (const row of $$('[data-y-slot]')) mark(row.dataset.ySlot, 'followed', null, null);
  }
});

// A described meal: queued like every action (so it also works offline), estimated by the
// server in the background; the page shows it at once and fills in when the estimate is in.
let describing = null; // the pending mark the description answers, if any
document.addEventListener('submit', (e) => {
  const form = e.target.closest('[data-describe-form]');
  if (!form) return;
  e.preventDefault();
  const text = String(new FormData(form).get('text') || '').trim();
  if (!text) return;
  closeSheets();
  const shown = { name: text.length > 60 ? `${text.slice(0, 59)}…` : text, portion_description: 'Estimating…' };
  const create = { method: 'POST', path: '/api/v1/captures', body: { text }, as: 'meal' };
  if (describing) markWithNewMeal(describing, shown, create);
  else addNewMeal(shown, 'Meal added — estimating', create);
  describing = null;
});

document.addEventListener('submit', (e) => {
  const form = e.target.closest('[data-quick-form]');
  if (!form || !pendingStatus) return;
  e.preventDefault();
  const f = new FormData(form);
  const meal = { name: f.get('name'), portion_description: f.get('portion_description'), source: 'manual', meal_type_ids: f.get('meal_type_id') ? [f.get('meal_type_id')] : [] };
  if (f.get('calories_kcal')) meal.calories_kcal = Number(f.get('calories_kcal'));
  if (f.get('protein_g')) meal.protein_g = String(f.get('protein_g'));
  closeSheets();
  markWithNewMeal(pendingStatus, meal);
});

/**
 * Create `meal` in the library (or, with `create`, another step that answers a meal: a capture)
 * and link it as what was eaten instead (one queued action).
 */
function markWithNewMeal(p, meal, create = { method: 'POST', path: '/api/v1/meals', body: meal, as: 'meal' }) {
  act(
    {
      kind: 'mark', label: `Marked as ${WORD[p.status]} — ${meal.name}`, slot: p.slot, status: p.status, actualName: meal.name,
      steps: [
        create,
        { method: 'POST', path: `/api/v1/slots/${p.slot}/complete`, body: { status: p.status, actual_meal_id: '$meal' } },
      ],
    },
    () => (p.prev?.status ? mark(p.slot, p.prev.status, null, null) : clear(p.slot, null)),
  );
}

/** Create `meal` in the library (or with `create`, as above) and add it to today (one queued action). */
function addNewMeal(meal, label, create = { method: 'POST', path: '/api/v1/meals', body: meal, as: 'meal' }) {
  return act(
    {
      kind: 'adhoc', label, mealName: meal.name, mealPortion: meal.portion_description,
      steps: [
        create,
        { method: 'POST', path: '/api/v1/today/slots', body: { meal_id: '$meal', date: data.date }, as: 'slot' },
      ],
    },
    undoAdd,
  );
}

// ----- yesterday's review ------------------------------------------------------------------------

const yRow = (slotId) => $(`[data-y-slot="${slotId}"]`);
function updateYesterdayCount() {
  const box = $('#yesterday');
  if (!box) return;
  const left = $$('[data-y-slot]', box).length;
  const count = $('[data-y-count]', box);
  if (count) count.textContent = `${left} not marked`;
  if (!left) box.remove();
}

// ----- long-press and swipe: mark followed ---------------------------------------------------------

let gesture = null;
document.addEventListener('pointerdown', (e) => {
  const el = e.target.closest('.slot[data-slot]');
  if (!el || e.target.closest('.slot-actions') || el.dataset.status || el.dataset.slot.startsWith('pending-') || Date.now() < cooldownUntil) return;
  const bar = $('.progress', el);
  gesture = { el, bar, x: e.clientX, y: e.clientY, timer: setTimeout(() => finish(), 600), start: performance.now() };
  if (bar) {
    bar.style.transition = 'width .6s linear';
    requestAnimationFrame(() => { bar.style.width = '100%'; });
  }
});
function cancel() {
  if (!gesture) return;
  clearTimeout(gesture.timer);
  if (gesture.bar) { gesture.bar.style.transition = ''; gesture.bar.style.width = '0'; }
  gesture.el.style.transform = '';
  gesture = null;
}
function finish() {
  if (!gesture) return;
  const el = gesture.el;
  cancel();
  el.dataset.suppress = '1';
  cooldownUntil = Date.now() + 400;
  celebrating = el.dataset.slot;
  mark(el.dataset.slot, 'followed', null, { status: null });
}
document.addEventListener('pointermove', (e) => {
  if (!gesture) return;
  const dx = e.clientX - gesture.x;
  const dy = e.clientY - gesture.y;
  if (Math.abs(dy) > 30 || dx < -10) { cancel(); return; }
  if (dx > 0) gesture.el.style.transform = `translateX(${Math.min(dx / 7, 20)}px)`;
  if (dx > 140) finish();
});
document.addEventListener('pointerup', cancel);
document.addEventListener('pointercancel', cancel);

// ----- meals being estimated ----------------------------------------------------------------------

// While a described meal is being estimated on the server, look again now and then (often at
// first, then less): the page fills in once the estimate is in, also after the app was closed.
let polls = 0;
let pollTimer = null;
function watchEstimates() {
  clearTimeout(pollTimer);
  if (!data.processing?.length) { polls = 0; return; }
  const wait = Math.min(30, 2 + polls * 2) * 1000;
  polls += 1;
  pollTimer = setTimeout(() => (navigator.onLine ? sync.refresh() : watchEstimates()), wait);
}

// ----- start ---------------------------------------------------------------------------------------

watchEstimates();

sync.showPending().then(sync.sync);

// A reminder's "Followed" / "Skip" marked a slot from its notification (the service worker): show
// it — sent already (reload from the server) or queued offline (send it, which reloads).
navigator.serviceWorker?.addEventListener('message', (e) => {
  if (e.data?.type !== 'reminder-marked') return;
  if (e.data.outcome === 'queued') sync.sync();
  else if (e.data.outcome === 'sent') sync.refresh();
});
