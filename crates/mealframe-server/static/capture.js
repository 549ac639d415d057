// AI meal capture on the Today page: photo → (shrunk in the browser) → the server's vision model →
// a suggestion the user confirms. Analysis needs a connection; saving goes through the offline
// queue like every other action. Nothing is saved until the user presses Save.

const $ = (sel, root = document) => root.querySelector(sel);

const MESSAGES = {
  400: null, // the server's own text ("Could not identify food…", "Invalid file type…")
  413: 'That photo is too large. Try another one.',
  429: 'Too many photos in a short time. Try again later.',
  502: 'The analysis service is unavailable right now. Try again.',
  503: 'Photo capture is not set up on this server.',
  504: 'The analysis took too long. Try again.',
};

/** Longest side 1600 px at JPEG quality 0.8; a second pass at 1280 px / 0.7 past 8 MB. */
async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const pass = async (side, quality) => {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    };
    let blob = await pass(1600, 0.8);
    if (blob && blob.size > 8 * 1024 * 1024) blob = await pass(1280, 0.7);
    return blob || file;
  } catch {
    return file; // not decodable here: let the server judge it
  }
}

async function analyse(file) {
  const body = new FormData();
  body.append('image', await shrink(file), 'meal.jpg');
  let resp;
  try {
    resp = await fetch('/api/v1/meals/ai-capture', { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch {
    return { error: 'No connection. Photo capture needs the internet.' };
  }
  let json = null;
  try { json = await resp.json(); } catch { /* not JSON */ }
  if (resp.ok && json) return { suggestion: json };
  const detail = typeof json?.detail === 'string' ? json.detail : null;
  return { error: MESSAGES[resp.status] ?? detail ?? `Something went wrong (HTTP ${resp.status}).` };
}

const fmt = (v, unit = '') => (v == null ? '–' : `${Math.round(v)}${unit}`);

/**
 * Run the capture flow. `types` are the user's meal types ({id, name}); `onSave(meal)` gets the
 * body for `POST /api/v1/meals` once the user confirms.
 */
export function startCapture(types, onSave) {
  const sheet = $('#capture-sheet');
  const input = $('[data-capture-input]');
  if (!sheet || !input) return;
  const show = (state) => {
    for (const s of ['busy', 'confirm', 'error']) $(`[data-cap-${s}]`, sheet).hidden = s !== state;
  };
  const pick = () => {
    input.value = '';
    input.click();
  };
  input.onchange = async () => {
    const file = input.files?.[0];
    if (!file) return;
    show('busy');
    if (!sheet.open) sheet.showModal();
    const { suggestion: s, error } = await analyse(file);
    if (error) {
      $('[data-cap-message]', sheet).textContent = error;
      show('error');
      return;
    }
    $('[data-cap-name]', sheet).textContent = s.meal_name;
    $('[data-cap-portion]', sheet).textContent = s.portion_description;
    $('[data-cap-kcal]', sheet).textContent = fmt(s.calories_kcal);
    $('[data-cap-protein]', sheet).textContent = fmt(s.protein_g, ' g');
    $('[data-cap-carbs]', sheet).textContent = fmt(s.carbs_g, ' g');
    $('[data-cap-fat]', sheet).textContent = fmt(s.fat_g, ' g');
    const pct = Math.round((s.confidence_score ?? 0) * 100);
    $('[data-cap-bar]', sheet).style.width = `${pct}%`;
    $('[data-cap-confidence]', sheet).textContent = `${pct} % confidence`;
    const select = $('[data-cap-type]', sheet);
    select.replaceChildren(...types.map((t) => new Option(t.name, t.id)));
    const wanted = (s.suggested_meal_type || '').toLowerCase();
    const match = types.find((t) => t.name.toLowerCase() === wanted);
    if (match) select.value = match.id;
    select.closest('.field').hidden = !types.length;
    show('confirm');
    $('[data-cap-save]', sheet).onclick = () => {
      sheet.close();
      const meal = {
        name: s.meal_name,
        portion_description: s.portion_description || s.meal_name,
        source: 'ai_capture',
        confidence_score: s.confidence_score,
        ai_model_version: s.ai_model_version,
        meal_type_ids: select.value ? [select.value] : [],
      };
      for (const k of ['calories_kcal', 'protein_g', 'carbs_g', 'sugar_g', 'fat_g', 'saturated_fat_g', 'fiber_g']) {
        if (s[k] != null) meal[k] = s[k];
      }
      onSave(meal);
    };
  };
  for (const b of sheet.querySelectorAll('[data-cap-retry]')) b.onclick = pick;
  for (const b of sheet.querySelectorAll('[data-cap-cancel]')) b.onclick = () => sheet.close();
  // Analysis cannot be dismissed by tapping the backdrop or pressing Escape.
  sheet.oncancel = (e) => { if (!$('[data-cap-busy]', sheet).hidden) e.preventDefault(); };
  pick();
}
