// Groceries: the list of this week's plan, grouped by aisle; items ticked and an extra added
// offline survive a cold start from the service worker's cache and, back online, are stored
// exactly once.
import { expect, test, type Page } from '@playwright/test';
import { api, login, register, starterWeek, uniqueEmail } from './support';

async function groceriesSynced(page: Page) {
  await expect(page.locator('body[data-sync="busy"]')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.locator('.gitem.pending')).toHaveCount(0, { timeout: 15_000 });
}

test('the week is shopped offline and synced once', async ({ page, context }) => {
  const email = uniqueEmail('grocery');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);

  // From the navigation.
  await page.getByRole('navigation', { name: 'Main' }).last().getByRole('link', { name: 'Groceries' }).click();
  await expect(page.getByRole('heading', { name: 'Groceries' })).toBeVisible();
  await expect(page.locator('section.aisle[data-aisle] .gitem').first()).toBeVisible();
  await page.screenshot({ path: 'screenshots/groceries-phone.png', fullPage: true });
  await page.evaluate(() => { document.documentElement.dataset.theme = 'light'; });
  await page.screenshot({ path: 'screenshots/groceries-light-phone.png' });
  await page.evaluate(() => { document.documentElement.dataset.theme = 'dark'; });
  const root = page.locator('#grocery');
  const range = `from=${await root.getAttribute('data-from')}&to=${await root.getAttribute('data-to')}`;

  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.reload();
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);

  const items = page.locator('section.aisle[data-aisle] .gitem:not(.checked)');
  const first = (await items.nth(0).getAttribute('data-key'))!;
  const second = (await items.nth(1).getAttribute('data-key'))!;
  const item = (key: string) => page.locator(`.gitem[data-key="${key}"]`);

  await context.setOffline(true);
  await expect(page.locator('#offline-banner')).toBeVisible();
  await item(first).locator('.gcheck').click();
  await item(second).locator('.gcheck').click();
  await expect(item(first)).toHaveClass(/checked/);
  await expect(item(second)).toHaveClass(/checked/);
  await page.getByPlaceholder('Something else to buy').fill('Coffee beans');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.locator('[data-extras] .gitem.pending')).toHaveText(/Coffee beans/);

  // A cold start while offline: the saved list with the waiting changes on top.
  await page.reload();
  await expect(page.locator('#offline-banner')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Groceries' })).toBeVisible();
  await expect(item(first)).toHaveClass(/checked/);
  await expect(item(second)).toHaveClass(/checked/);
  await expect(item(first).locator('input')).toBeChecked();
  await expect(page.locator('[data-extras] .gitem')).toHaveText([/Coffee beans/]);
  await page.evaluate(() => scrollTo(0, 0));
  await page.screenshot({ path: 'screenshots/groceries-offline-phone.png' });

  await context.setOffline(false);
  await groceriesSynced(page);
  await expect(page.locator('#offline-banner')).toBeHidden();
  const list = await api(page, `/api/v1/grocery-list?${range}`);
  const checked = list.items.filter((i: any) => i.checked).map((i: any) => i.key).sort();
  expect(checked).toEqual([first, second].sort());
  expect(list.extras.map((e: any) => e.name)).toEqual(['Coffee beans']);

  // Nothing is replayed a second time, and the page shows the server's state.
  await page.reload();
  await groceriesSynced(page);
  await expect(item(first)).toHaveClass(/checked/);
  await expect(page.locator('[data-extras] .gitem')).toHaveCount(1);
  const again = await api(page, `/api/v1/grocery-list?${range}`);
  expect(again.extras.length).toBe(1);
  expect(await page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => { const r = indexedDB.open('mealframe', 1); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    return new Promise<number>((res) => { const t = db.transaction('queue').objectStore('queue').count(); t.onsuccess = () => res(t.result); });
  })).toBe(0);

  // Shared as text, from the page.
  const text = await page.evaluate(async () => {
    let shared = '';
    (navigator as any).share = async (d: { text: string }) => { shared = d.text; };
    (document.querySelector('[data-share]') as HTMLElement).click();
    await new Promise((r) => setTimeout(r, 100));
    return shared;
  });
  expect(text).toContain('Groceries');
  expect(text.split('\n').length).toBeGreaterThan(3);
});
