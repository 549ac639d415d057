// A new user on a phone does everything without the JSON API: sign-up with e-mail verification,
// first run, a generated week, every status (with the actual meal), undo, reassign, No Plan, and
// the stats reflect it.
import { expect, test } from '@playwright/test';
import { api, login, markNext, register, starterWeek, synced, uniqueEmail } from './support';

test('from sign-up to stats on a phone', async ({ page }) => {
  const email = uniqueEmail('journey');
  await register(page, email);
  await login(page, email);

  await expect(page.getByRole('heading', { name: 'No plan for today' })).toBeVisible();
  await expect(page.locator('.checklist li')).toHaveCount(5);
  await starterWeek(page);

  // Three extra meals from the library: a slot for each status and one to undo on.
  for (const name of ['Apple and almonds', 'Cottage cheese cup', 'Banana and protein shake']) {
    await page.getByRole('button', { name: '+ Add meal' }).click();
    await page.locator('#picker-sheet [data-picker-search]').fill(name);
    await page.locator('#picker-sheet .picker-list button').first().click();
    await expect(page.locator('#toast')).toContainText(`Added ${name}`);
    await synced(page);
  }
  const start = await api(page, '/api/v1/today');
  expect(start.slots.length).toBeGreaterThanOrEqual(6);

  await markNext(page, 'followed');
  await expect(page.locator('#toast')).toContainText('Marked as followed');
  await synced(page);

  // Equivalent, linked to a library meal.
  await page.locator('.slot.next').click();
  await page.locator('#complete-sheet [data-status="equivalent"]').click();
  await page.getByRole('button', { name: 'Pick from library' }).click();
  await page.locator('#picker-sheet [data-picker-search]').fill('Tuna');
  await page.locator('#picker-sheet .picker-list button').first().click();
  await expect(page.locator('#toast')).toContainText('Marked as equivalent');
  await synced(page);
  await expect(page.getByText('Actually ate: Tuna salad')).toBeVisible();

  await markNext(page, 'skipped');
  await synced(page);

  // Deviated, with a quick-added meal.
  await page.locator('.slot.next').click();
  await page.locator('#complete-sheet [data-status="deviated"]').click();
  await page.getByRole('button', { name: 'Quick-add a new meal' }).click();
  await page.getByLabel('Name').fill('Office pizza');
  await page.getByLabel('Portion').fill('2 slices margherita');
  await page.getByLabel('kcal').fill('560');
  await page.getByRole('button', { name: 'Save and link' }).click();
  await synced(page);
  await expect(page.getByText('Actually ate: Office pizza')).toBeVisible();

  await markNext(page, 'social');
  await synced(page);

  let today = await api(page, '/api/v1/today');
  const statuses = today.slots.map((s: any) => s.completion_status).filter(Boolean).sort();
  expect(statuses).toEqual(['deviated', 'equivalent', 'followed', 'skipped', 'social']);
  expect(today.slots.find((s: any) => s.completion_status === 'equivalent').actual_meal.name).toBe('Tuna salad');

  // Undo is specific to the action: marking then undoing leaves the slot unmarked.
  const unmarked = today.slots.find((s: any) => !s.completion_status);
  expect(unmarked).toBeTruthy();
  {
    await markNext(page, 'followed');
    await page.locator('#toast button', { hasText: 'Undo' }).click();
    await expect(page.locator('#toast')).toContainText('Status cleared');
    await synced(page);
    today = await api(page, '/api/v1/today');
    expect(today.slots.find((s: any) => s.id === unmarked.id).completion_status).toBeNull();
  }

  // Change a meal (reassign) from the sheet.
  const target = today.slots.find((s: any) => s.completion_status === 'skipped');
  await page.locator(`.slot[data-slot="${target.id}"]`).click();
  await page.getByRole('button', { name: '⇄ Change meal' }).click();
  const option = page.locator('#picker-sheet .picker-list button').filter({ hasNotText: target.meal.name }).first();
  const newName = (await option.locator('b').innerText()).replace(' · AI', '');
  await option.click();
  await synced(page);
  today = await api(page, '/api/v1/today');
  const changed = today.slots.find((s: any) => s.id === target.id);
  expect(changed.meal.name).toBe(newName);
  expect(changed.is_manual_override).toBe(true);
  expect(changed.completion_status).toBeNull();
  await markNext(page, 'skipped');
  await synced(page);

  // "No Plan" on yesterday (generating last week if yesterday belongs to it).
  const yesterday = (await api(page, '/api/v1/yesterday')).date as string;
  await page.goto(`/week?start=${yesterday}`);
  const generate = page.getByRole('button', { name: 'Generate week' });
  if (await generate.isVisible()) await generate.click();
  const day = page.locator(`#day-${yesterday}`);
  await day.locator('.day-menu summary').click();
  await day.getByPlaceholder('Reason').fill('Team dinner');
  await day.getByRole('button', { name: 'Set No Plan' }).click();
  await expect(page.getByText('Marked as No Plan.')).toBeVisible();
  await expect(page.locator(`#day-${yesterday}`).getByText('No Plan · Team dinner')).toBeVisible();

  // The stats page reflects all of it.
  await page.goto('/stats?days=7');
  const legend = page.locator('section[aria-labelledby="mix-title"] .legend');
  for (const s of ['Followed 1', 'Equivalent 1', 'Skipped 1', 'Deviated 1', 'Social 1']) await expect(legend).toContainText(s);
  await expect(page.locator('[data-kpi="adherence"]')).toHaveText('33%');
  await expect(page.locator('[data-kpi="override"]')).toHaveText('1');
  const stats = await api(page, '/api/v1/stats?days=7');
  expect(stats.by_status).toMatchObject({ followed: 1, equivalent: 1, skipped: 1, deviated: 1, social: 1 });
  expect(stats.override_days).toBe(1);
});
