// Offline: Today opens from the service worker's cache; marks and an ad-hoc meal taken offline
// are kept in the queue across a reload and, back online, are applied exactly once.
import { expect, test } from '@playwright/test';
import { api, login, markNext, register, starterWeek, synced, uniqueEmail } from './support';

test('actions taken offline survive a reload and sync exactly once', async ({ page, context }) => {
  const email = uniqueEmail('offline');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  await page.goto('/');
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.reload();
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  const before = await api(page, '/api/v1/today');
  expect(before.slots.length).toBeGreaterThanOrEqual(2);

  await context.setOffline(true);
  await expect(page.locator('#offline-banner')).toBeVisible();
  const first = await markNext(page, 'followed');
  const second = await markNext(page, 'skipped');
  expect(second).not.toBe(first);
  await page.getByRole('button', { name: '+ Add meal' }).click();
  await page.locator('#picker-sheet [data-picker-search]').fill('Apple and almonds');
  await page.locator('#picker-sheet .picker-list button').first().click();
  await expect(page.locator('.slot.pending')).toHaveCount(3);

  // A cold start while offline shows the saved page and the waiting changes.
  await page.reload();
  await expect(page.locator('#offline-banner')).toBeVisible();
  await expect(page.locator('.slot.pending')).toHaveCount(3);
  await expect(page.locator(`.slot[data-slot="${first}"]`)).toHaveAttribute('data-status', 'followed');
  await expect(page.locator(`.slot[data-slot="${second}"]`)).toHaveAttribute('data-status', 'skipped');

  await context.setOffline(false);
  await synced(page);
  await expect(page.locator('#offline-banner')).toBeHidden();

  const after = await api(page, '/api/v1/today');
  expect(after.slots.find((s: any) => s.id === first).completion_status).toBe('followed');
  expect(after.slots.find((s: any) => s.id === second).completion_status).toBe('skipped');
  expect(after.slots.length).toBe(before.slots.length + 1);
  expect(after.slots.filter((s: any) => s.is_adhoc).length).toBe(1);

  // Nothing is replayed a second time.
  await page.reload();
  await synced(page);
  const again = await api(page, '/api/v1/today');
  expect(again.slots.length).toBe(after.slots.length);
  expect(await page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((res, rej) => { const r = indexedDB.open('mealframe', 1); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    return new Promise<number>((res) => { const t = db.transaction('queue').objectStore('queue').count(); t.onsuccess = () => res(t.result); });
  })).toBe(0);
});
