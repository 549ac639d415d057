// Meals library: live search. The server renders every list state (search, filters, sort, page)
// and stays the source of truth; this only fetches that page as you type or pick a filter, swaps
// in its results and keeps the address bar in step, so reload, Back and the edit form's return
// link all show the same list. Without script the form still submits (its <noscript> button).

const form = document.querySelector('form[data-meal-search]');
const results = document.getElementById('meal-results');

if (form && results) {
  let timer;
  let inFlight;
  let shown = location.pathname + location.search;

  /** `/meals?…` for the form as it is now; empty fields and the default sort are left out. */
  const address = () => {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      const v = String(value).trim();
      if (v && !(key === 'sort' && v === 'name')) params.append(key, v);
    }
    const query = params.toString();
    return query ? `/meals?${query}` : '/meals';
  };

  const refresh = async () => {
    clearTimeout(timer);
    const url = address();
    if (url === shown) return;
    shown = url;
    history.replaceState(history.state, '', url);
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    results.setAttribute('aria-busy', 'true');
    try {
      const resp = await fetch(url, { headers: { Accept: 'text/html' }, signal: controller.signal, credentials: 'same-origin' });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
      const fresh = doc.getElementById('meal-results');
      if (!fresh) throw new Error('no results in the answer');
      if (inFlight === controller) {
        results.replaceChildren(...fresh.childNodes);
        // One live region that stays in the page, so screen readers hear the new count.
        const count = document.querySelector('[data-result-count]');
        if (count) count.textContent = results.querySelector('.lib-count')?.textContent.trim() || '';
        const add = document.querySelector('[data-add-meal]');
        if (add) add.href = url === '/meals' ? '/meals/new' : `/meals/new?back=${encodeURIComponent(url)}`;
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      // Offline or a server error: let the browser load the page itself (it shows why).
      location.assign(url);
    } finally {
      if (inFlight === controller) results.removeAttribute('aria-busy');
    }
  };

  form.addEventListener('input', (e) => {
    if (e.target.name !== 'q') return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  form.addEventListener('change', (e) => {
    if (e.target.tagName === 'SELECT') refresh();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    refresh();
    // On a phone, Search on the keyboard should reveal the results it hid.
    document.activeElement?.blur?.();
  });
}
