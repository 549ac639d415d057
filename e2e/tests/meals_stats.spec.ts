// The Meals library and Stats at phone and desktop sizes: live search with its filters in the
// address, editing that returns to the filtered list, 44 px targets and axe-core in both themes,
// chart bars of a bounded width; screenshots of both pages in both themes.
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, expectTapTargets, login, markNext, register, setTheme, starterWeek, uniqueEmail } from './support';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

async function freshAccount(page: Page, what: string) {
  const email = uniqueEmail(what);
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
}

test('live search narrows the list as you type, and editing returns to the filtered list', async ({ page }) => {
  await freshAccount(page, 'livesearch');
  await page.goto('/meals');
  const rows = page.locator('a.meal-row');
  await expect(rows).toHaveCount(12);
  await expect(page.getByRole('button', { name: 'Apply' })).toHaveCount(0);

  // Typing alone filters: no button, no Enter.
  await page.getByPlaceholder('Search name or portion').pressSequentially('egg', { delay: 40 });
  await expect(page).toHaveURL(/\/meals\?q=egg$/);
  await expect.poll(() => rows.count()).toBeLessThan(12);
  const found = await rows.count();
  expect(found).toBeGreaterThan(0);
  for (const text of await rows.allTextContents()) expect(text.toLowerCase()).toContain('egg');

  // A select applies on change and joins the address.
  await page.getByLabel('Sort').selectOption('calories_desc');
  await expect(page).toHaveURL(/\/meals\?q=egg&sort=calories_desc$/);
  const filtered = page.url();

  // Edit and save: back on the same filtered list.
  const first = (await rows.first().locator('.meal-name').textContent())!;
  await rows.first().click();
  await expect(page.getByRole('heading', { name: 'Edit meal' })).toBeVisible();
  await page.getByLabel('Meal name *').fill(`${first} (big)`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Meal saved.')).toBeVisible();
  expect(page.url()).toBe(filtered);
  await expect(page.getByPlaceholder('Search name or portion')).toHaveValue('egg');
  await expect(page.getByLabel('Sort')).toHaveValue('calories_desc');
  await expect(rows).toHaveCount(found);

  // Cancel and the back link return there too.
  await rows.first().click();
  await page.getByRole('link', { name: 'Cancel' }).click();
  expect(page.url()).toBe(filtered);
  await rows.first().click();
  await page.getByRole('link', { name: '‹ Meals' }).click();
  expect(page.url()).toBe(filtered);

  // Clearing the search shows every meal again, and the address drops the query.
  await page.getByPlaceholder('Search name or portion').fill('');
  await expect(rows).toHaveCount(12);
  await expect(page).toHaveURL(/\/meals\?sort=calories_desc$/);
});

test('Meals and Stats: 44 px targets and no serious axe findings in both themes on a phone', async ({ page }) => {
  test.setTimeout(180_000); // 16 axe runs
  await page.setViewportSize(PHONE);
  await freshAccount(page, 'tapmeals');
  await markNext(page, 'followed');
  await markNext(page, 'skipped');
  await page.goto('/meals');
  const edit = (await page.locator('a.meal-row').first().getAttribute('href'))!;

  for (const theme of ['dark', 'light'] as const) {
    for (const path of ['/meals', '/meals/new', edit, '/meals/import', '/stats', '/stats?days=7', '/stats?days=90']) {
      await page.goto(path);
      await setTheme(page, theme);
      await expectTapTargets(page);
      await expectAccessible(page);
    }
    // The ⋯ menu, opened.
    await page.goto('/meals');
    await setTheme(page, theme);
    await page.locator('details.lib-more > summary').click();
    await expect(page.locator('.lib-menu').getByRole('link', { name: 'Import CSV' })).toBeVisible();
    await expectTapTargets(page);
    await expectAccessible(page);

    await page.goto('/meals');
    await setTheme(page, theme);
    await page.screenshot({ path: `screenshots/meals-phone-${theme}.png` });
    await page.goto('/stats');
    await setTheme(page, theme);
    await page.screenshot({ path: `screenshots/stats-phone-${theme}.png`, fullPage: true });
  }

  // At least six meals fit on one phone screen.
  await page.goto('/meals');
  const visible = await page.locator('a.meal-row').evaluateAll((els) =>
    els.filter((el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight - 64; }).length);
  expect(visible).toBeGreaterThanOrEqual(6);
});

test('on a desktop the charts keep narrow bars and the library shows in columns', async ({ page }) => {
  test.setTimeout(120_000);
  await freshAccount(page, 'deskstats');
  await markNext(page, 'followed');
  await markNext(page, 'followed');
  await page.setViewportSize(DESKTOP);
  for (const theme of ['dark', 'light'] as const) {
    for (const days of [7, 30, 90]) {
      await page.goto(`/stats?days=${days}`);
      await setTheme(page, theme);
      const bars = page.locator('svg.plot rect');
      expect(await bars.count()).toBeGreaterThan(0);
      for (const box of await bars.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().width))) {
        expect(box).toBeLessThanOrEqual(28);
      }
      for (const w of await page.locator('svg.plot').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().width))) {
        expect(w).toBeLessThanOrEqual(420);
      }
    }
    await page.goto('/stats');
    await setTheme(page, theme);
    await page.screenshot({ path: `screenshots/stats-desktop-${theme}.png`, fullPage: true });
    await page.goto('/meals');
    await setTheme(page, theme);
    await page.screenshot({ path: `screenshots/meals-desktop-${theme}.png` });
  }
});
