// Today and Week as a phone user meets them: the next meal leads (also after a day left unmarked),
// one tap marks it, yesterday's review is one line until opened; Week marks a meal in one tap and
// keeps the day's controls in a menu; a No Plan day restored keeps what was logged on it. Every
// control is a 44 px target and axe-core finds nothing serious, in both themes.
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { api, expectAccessible, expectTapTargets, login, register, setTheme, starterWeek, synced, uniqueEmail } from './support';

const DB = path.join(__dirname, '..', '.data', 'mealframe.sqlite3');

/** Make the account `days` days older, as if it had been used since then. */
function backdate(email: string, days: number) {
  const micros = BigInt(days) * 86_400_000_000n;
  execFileSync('sqlite3', ['-cmd', '.timeout 5000', DB, `UPDATE users SET created_at = created_at - ${micros} WHERE email = '${email}'`]);
}

/** A JSON write from inside the page (same origin, the session cookie). */
async function post(page: Page, route: string, body: unknown) {
  const status = await page.evaluate(async ([r, b]) => (await fetch(r as string, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(b),
  })).status, [route, body]);
  expect(status, route).toBeLessThan(300);
}

/** Make sure the week holding `date` is generated. */
async function weekOf(page: Page, date: string) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  const monday = d.toISOString().slice(0, 10);
  await page.evaluate(async (m) => fetch('/api/v1/weekly-plans/generate', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ week_start_date: m }),
  }), monday);
}

test('the next meal leads Today after an unmarked day, and one tap marks it', async ({ page }) => {
  const email = uniqueEmail('today');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  backdate(email, 3);
  const yesterday = (await api(page, '/api/v1/yesterday')).date as string;
  await weekOf(page, yesterday);
  await page.goto('/');

  // Yesterday is one closed line below the next meal; the whole next-meal card is in view.
  const review = page.locator('#yesterday');
  await expect(review).toBeVisible();
  await expect(review).not.toHaveAttribute('open', '');
  expect((await review.boundingBox())!.height).toBeLessThan(60);
  const hero = page.locator('.slot.next');
  const box = (await hero.boundingBox())!;
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height, 'next-meal card inside the first 844 px').toBeLessThanOrEqual(844);
  await page.screenshot({ path: 'screenshots/today-after-unmarked-day-phone.png' });

  // One tap: followed, with Undo in a one-line toast.
  const id = (await hero.getAttribute('data-slot'))!;
  await hero.getByRole('button', { name: 'Followed' }).click();
  await expect(page.locator(`.slot[data-slot="${id}"]`)).toHaveAttribute('data-status', 'followed');
  const toast = page.locator('#toast');
  await expect(toast).toContainText('Marked as followed');
  expect((await toast.boundingBox())!.height).toBeLessThan(64);
  await synced(page);
  expect((await api(page, '/api/v1/today')).slots.find((s: any) => s.id === id).completion_status).toBe('followed');
  await toast.getByRole('button', { name: 'Undo' }).click();
  await synced(page);
  expect((await api(page, '/api/v1/today')).slots.find((s: any) => s.id === id).completion_status).toBeNull();
  await expect(page.locator('.slot.next')).toHaveAttribute('data-slot', id);

  // Yesterday's review opens, and a meal is marked there with one tap.
  await review.locator('summary').click();
  const row = review.locator('[data-y-slot]').first();
  const yid = (await row.getAttribute('data-y-slot'))!;
  const count = await review.locator('[data-y-slot]').count();
  await row.getByRole('button', { name: 'Skipped' }).click();
  await expect(review.locator(`[data-y-slot="${yid}"]`)).toHaveCount(0);
  await expect(review.locator('[data-y-count]')).toHaveText(`${count - 1} not marked`);
  await synced(page);
  const y = await api(page, '/api/v1/yesterday');
  expect(y.slots.find((s: any) => s.id === yid).completion_status).toBe('skipped');

  for (const theme of ['dark', 'light'] as const) {
    await page.goto('/');
    await setTheme(page, theme);
    await page.locator('#yesterday summary').click();
    await expectTapTargets(page);
    await expectAccessible(page);
    await page.screenshot({ path: `screenshots/today-review-phone-${theme}.png`, fullPage: true });
  }
});

test('a new account is not asked about the day before it existed', async ({ page }) => {
  const email = uniqueEmail('fresh');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  await expect(page.locator('#yesterday')).toHaveCount(0);
});

test('Week marks a meal in one tap and keeps day controls in a menu', async ({ page }) => {
  const email = uniqueEmail('week');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  const today = (await api(page, '/api/v1/today')).date as string;
  await page.goto('/week');
  const day = page.locator(`#day-${today}`);
  await expect(day).toBeInViewport();
  const row = day.locator('.wmeal').first();
  const id = (await row.getAttribute('data-slot'))!;
  await row.locator('.mark-chip').click();
  await expect(row).toHaveAttribute('data-status', 'followed');
  await expect(day.locator('[data-day-count]')).toHaveText(/^1\//);
  await synced(page);
  expect((await api(page, '/api/v1/today')).slots.find((s: any) => s.id === id).completion_status).toBe('followed');
  // A second tap clears it; the ⋯ panel marks any status.
  await page.locator(`.wmeal[data-slot="${id}"] .mark-chip`).click();
  await synced(page);
  expect((await api(page, '/api/v1/today')).slots.find((s: any) => s.id === id).completion_status).toBeNull();
  await page.locator(`.wmeal[data-slot="${id}"] .menu summary`).click();
  await page.locator(`.wmeal[data-slot="${id}"] .menu-panel`).getByRole('button', { name: 'Social' }).click();
  await synced(page);
  expect((await api(page, '/api/v1/today')).slots.find((s: any) => s.id === id).completion_status).toBe('social');

  // The day strip moves between days.
  const strip = page.locator('.day-strip a').last();
  await strip.click();
  const sunday = await strip.getAttribute('data-strip');
  await expect(page.locator(`#day-${sunday}`)).toBeInViewport();
  await expect(strip).toHaveAttribute('aria-current', 'true');

  for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
    await page.setViewportSize(viewport);
    for (const theme of ['dark', 'light'] as const) {
      await page.goto('/week');
      await setTheme(page, theme);
      await expectTapTargets(page);
      await expectAccessible(page);
      await page.screenshot({ path: `screenshots/week-${size}-${theme}.png`, fullPage: true });
      await page.goto('/');
      await setTheme(page, theme);
      await expectTapTargets(page);
      await expectAccessible(page);
      await page.screenshot({ path: `screenshots/today-${size}-${theme}.png`, fullPage: true });
      await page.goto('/groceries');
      await setTheme(page, theme);
      await expectTapTargets(page);
      await expectAccessible(page);
    }
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/week');
  await page.locator(`#day-${today} .day-menu summary`).click();
  await page.screenshot({ path: 'screenshots/week-day-menu-phone.png' });
});

test('restoring a No Plan day brings the template back and keeps what was logged', async ({ page }) => {
  const email = uniqueEmail('noplan');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  const before = await api(page, '/api/v1/today');
  const planned = before.slots.map((s: any) => s.meal?.name).sort();

  // No Plan for today, from the day's menu on Week.
  await page.goto('/week');
  const day = page.locator(`#day-${before.date}`);
  await day.locator('.day-menu summary').click();
  await day.getByPlaceholder('Reason').fill('Wedding');
  await day.getByRole('button', { name: 'Set No Plan' }).click();
  await expect(page.getByText('Marked as No Plan.')).toBeVisible();
  await expect(page.locator(`#day-${before.date} .day-sub`)).toHaveText('No Plan · Wedding');

  // Today says so, and a meal eaten anyway is logged.
  await page.goto('/');
  await expect(page.locator('.today-head')).toContainText('No Plan · Wedding');
  await page.getByRole('button', { name: '+ Add meal' }).click();
  const first = page.locator('[data-picker-list] button').first();
  const added = (await first.locator('b').innerText()).replace(/ · AI$/, '');
  await first.click();
  await synced(page);
  await expect(page.locator('.slot')).toHaveCount(1);

  // Restore: the template's meals are back, and the logged meal stays.
  await page.goto('/week');
  await page.locator(`#day-${before.date} .day-menu summary`).click();
  await page.getByRole('button', { name: 'Restore the plan' }).click();
  await expect(page.getByText("The day's plan is back.")).toBeVisible();
  const after = await api(page, '/api/v1/today');
  expect(after.is_override).toBe(false);
  expect(after.slots.length).toBe(before.slots.length + 1);
  expect(after.slots.filter((s: any) => s.is_adhoc).map((s: any) => s.meal.name)).toEqual([added]);
  expect(after.slots.filter((s: any) => !s.is_adhoc).length).toBe(planned.length);
  await page.goto('/');
  await expect(page.locator('.today-head')).not.toContainText('No Plan');
});

test('a sheet opened while the last mark is still syncing stays open', async ({ page }) => {
  const email = uniqueEmail('sheet');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  // Hold the first mark's answer so the page's reload after it comes while the next sheet is open.
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  let holding = true;
  await page.route('**/api/v1/slots/*/complete', async (route) => {
    if (holding) { holding = false; await held; }
    await route.continue();
  });

  const first = page.locator('.slot.next');
  const firstId = (await first.getAttribute('data-slot'))!;
  await first.getByRole('button', { name: 'Followed' }).click();
  await expect(page.locator(`.slot[data-slot="${firstId}"]`)).toHaveAttribute('data-status', 'followed');

  const second = page.locator('.slot.next:not([data-status]), .slot.next[data-status=""]');
  const secondId = (await second.getAttribute('data-slot'))!;
  await second.locator('.slot-main').click();
  const sheet = page.locator('#complete-sheet');
  await expect(sheet).toBeVisible();
  release();
  // The first mark is sent and the sync pass ends; the sheet the user is in is left alone.
  await expect(page.locator('body[data-sync="busy"]')).toHaveCount(0, { timeout: 15_000 });
  await expect(sheet).toBeVisible();
  await sheet.locator('[data-status="skipped"]').click();
  await expect(sheet).toBeHidden();
  await synced(page);
  await page.reload();
  await expect(page.locator(`.slot[data-slot="${firstId}"]`)).toHaveAttribute('data-status', 'followed');
  await expect(page.locator(`.slot[data-slot="${secondId}"]`)).toHaveAttribute('data-status', 'skipped');
});

test('a mark sent while the page cannot be reloaded stays shown, and the page reloads later', async ({ page, context }) => {
  const email = uniqueEmail('stale');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  // Today through the service worker, so that it keeps a copy of the page (with nothing marked).
  await page.goto('/');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  // The worker's page requests now fail (the network drops after a mark was sent), so it answers
  // with its kept copy; the mark itself goes straight from the page.
  const worker = context.serviceWorkers().find((w) => w.url().endsWith('/sw.js'))!;
  await worker.evaluate(() => {
    const sw = self as any;
    sw.realFetch = sw.fetch;
    sw.fetch = (req: Request) => (new URL(req.url).pathname === '/' ? Promise.reject(new TypeError('offline')) : sw.realFetch(req));
  });

  const next = page.locator('.slot.next');
  const id = (await next.getAttribute('data-slot'))!;
  await next.getByRole('button', { name: 'Followed' }).click();
  await synced(page);
  await expect.poll(async () => (await api(page, '/api/v1/today')).slots.find((s: { id: string }) => s.id === id).completion_status).toBe('followed');
  // The old copy did not replace the page: the mark the server has is still shown.
  await expect(page.locator(`.slot[data-slot="${id}"]`)).toHaveAttribute('data-status', 'followed');

  // The network is back: the page reloads from the server by itself.
  await page.evaluate(() => { document.querySelector('#main')!.setAttribute('data-old', ''); });
  await worker.evaluate(() => { const sw = self as any; sw.fetch = sw.realFetch; });
  await expect(page.locator('#main[data-old]')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.locator(`.slot[data-slot="${id}"]`)).toHaveAttribute('data-status', 'followed');
});
