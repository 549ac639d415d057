// Two users on one browser, one after the other: each sees only their own data, also from the
// service worker's cache.
import { expect, test } from '@playwright/test';
import { api, login, register, signOut, starterWeek, uniqueEmail } from './support';

test('two users on one browser see only their own data', async ({ page }) => {
  const ana = uniqueEmail('ana');
  const bob = uniqueEmail('bob');
  await register(page, ana);
  await login(page, ana);
  await starterWeek(page);
  const anaMeals = await api(page, '/api/v1/meals?page_size=100');
  const anaMeal = anaMeals.items[0];
  const anaNext = await page.locator('.slot.next .name').innerText();
  await signOut(page);

  await register(page, bob);
  await login(page, bob);
  await expect(page.getByRole('heading', { name: 'No plan for today' })).toBeVisible();
  await expect(page.getByText(anaNext)).toHaveCount(0);
  await page.goto('/meals');
  await expect(page.getByRole('heading', { name: 'No meals yet' })).toBeVisible();
  const other = await page.goto(`/meals/${anaMeal.id}/edit`);
  expect(other?.status()).toBe(404);
  const r = await page.request.get(`/api/v1/meals/${anaMeal.id}`, { headers: { Accept: 'application/json' } });
  expect(r.status()).toBe(404);
  await page.goto('/week');
  await expect(page.getByRole('heading', { name: 'Set up your week first' })).toBeVisible();
  await signOut(page);

  await login(page, ana);
  await expect(page.locator('.slot.next .name')).toHaveText(anaNext);
});
