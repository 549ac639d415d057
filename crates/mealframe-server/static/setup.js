// Setup pages: edit a day template's slots in place (add, remove, move up and down, with a live
// preview) and fill a week plan faster (copy Monday to the weekdays, Saturday to Sunday). Without
// JavaScript the same buttons post the form and the server returns it changed, so this only saves
// the round trips.
import { toast } from 'mf/app';

const list = document.querySelector('[data-slots]');
if (list) slotEditor(list);

const plan = document.querySelector('[data-plan-form]');
if (plan) planShortcuts(plan);

function slotEditor(list) {
  const form = list.closest('form');
  const preview = form.querySelector('[data-preview]');
  const rows = () => [...list.querySelectorAll('[data-slot-row]')];

  // Numbers, ids, labels and which buttons make sense, after every change.
  const refresh = () => {
    const all = rows();
    all.forEach((row, i) => {
      const n = i + 1;
      row.querySelector('.slot-num').textContent = n;
      const select = row.querySelector('select');
      select.id = `slot-${n}`;
      const label = row.querySelector('label');
      label.htmlFor = select.id;
      label.textContent = `Slot ${n}`;
      const time = row.querySelector('input[name="slot_time"]');
      if (time) {
        time.id = `slot-time-${n}`;
        const tl = row.querySelector('[data-time-label]');
        tl.htmlFor = time.id;
        tl.textContent = `Time of slot ${n} (optional)`;
      }
      const up = row.querySelector('[data-up]');
      const down = row.querySelector('[data-down]');
      const remove = row.querySelector('[data-remove-row]');
      up.setAttribute('aria-label', `Move slot ${n} up`);
      down.setAttribute('aria-label', `Move slot ${n} down`);
      remove.setAttribute('aria-label', `Remove slot ${n}`);
      up.disabled = i === 0;
      down.disabled = i === all.length - 1;
      remove.disabled = all.length === 1;
    });
    const names = all.map((r) => r.querySelector('select'))
      .filter((s) => s.value)
      .map((s) => s.selectedOptions[0].textContent);
    if (preview) preview.textContent = names.join(' → ');
  };

  form.querySelector('[data-add-row]')?.addEventListener('click', (e) => {
    e.preventDefault();
    const last = rows().at(-1);
    const copy = last.cloneNode(true);
    copy.querySelector('select').value = '';
    const time = copy.querySelector('input[name="slot_time"]');
    if (time) time.value = '';
    list.append(copy);
    refresh();
    copy.querySelector('select').focus();
  });

  list.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    const row = e.target.closest('[data-slot-row]');
    if (!button || !row) return;
    e.preventDefault();
    if (button.matches('[data-up]') && row.previousElementSibling) {
      row.previousElementSibling.before(row);
    } else if (button.matches('[data-down]') && row.nextElementSibling) {
      row.nextElementSibling.after(row);
    } else if (button.matches('[data-remove-row]') && rows().length > 1) {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      refresh();
      next?.querySelector('select')?.focus();
      return;
    } else {
      return;
    }
    refresh();
    // Keep the focus on the moved row's button; at the top or bottom, on the other one.
    if (!button.disabled) button.focus();
    else row.querySelector(button.matches('[data-up]') ? '[data-down]' : '[data-up]').focus();
  });

  list.addEventListener('change', refresh);
  refresh();
}

function planShortcuts(form) {
  const box = form.querySelector('[data-plan-shortcuts]');
  if (!box) return;
  const day = (i) => form.querySelector(`[data-day="${i}"]`);
  box.hidden = false;
  box.addEventListener('click', (e) => {
    const button = e.target.closest('[data-copy]');
    if (!button) return;
    const [from, to, what] = button.dataset.copy === 'weekdays'
      ? [0, [1, 2, 3, 4], 'Monday’s template copied to Tuesday–Friday.']
      : [5, [6], 'Saturday’s template copied to Sunday.'];
    for (const i of to) day(i).value = day(from).value;
    toast(what);
  });
}
