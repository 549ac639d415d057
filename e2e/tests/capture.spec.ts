// Capture: add an off-plan meal from a photo or a few words (an asynchronous capture, estimated
// in the background), also as what was eaten instead; offline it waits in the queue.
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { api, register, login, starterWeek, synced, uniqueEmail } from './support';

const DB = path.join(__dirname, '..', '.data', 'mealframe.sqlite3');

// A 4×4 PNG (real image data, so the browser can decode and shrink it).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR4nGM8UaHBAANMDEgANwcAR/QBcCY7mNgAAAAASUVORK5CYII=',
  'base64',
);

test('a photo shows at once, is estimated in the background and kept, and a deviated meal can be a photo', async ({ page }) => {
  const email = uniqueEmail('capture');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  const before = (await api(page, '/api/v1/today')).slots.length;

  await page.getByRole('button', { name: '+ Add meal' }).click();
  const chooser = page.waitForEvent('filechooser');
  await page.locator('#picker-sheet').getByRole('button', { name: 'Photo', exact: true }).click();
  await (await chooser).setFiles({ name: 'lunch.png', mimeType: 'image/png', buffer: PNG });
  await expect(page.locator('#toast')).toContainText('Photo added — estimating');
  await expect(page.locator('.slot .name', { hasText: 'Grilled chicken bowl' })).toBeVisible({ timeout: 20_000 });
  await page.screenshot({ path: 'screenshots/capture-photo-estimated-phone.png' });
  await synced(page);

  const today = await api(page, '/api/v1/today');
  expect(today.slots.length).toBe(before + 1);
  const added = today.slots.find((s: any) => s.meal?.name === 'Grilled chicken bowl');
  expect(added.is_adhoc).toBe(true);
  const captured = await api(page, '/api/v1/meals?source=ad_hoc_image');
  expect(captured.total).toBe(1);
  expect(captured.items[0].calories_kcal).toBe(610);
  // The photo (shrunk to a JPEG in the browser) is kept with the meal, for its owner.
  const meal = await api(page, `/api/v1/meals/${captured.items[0].id}`);
  const photo = await page.request.get(meal.image_path);
  expect(photo.status()).toBe(200);
  expect(photo.headers()['content-type']).toBe('image/jpeg');

  // The estimate is the user's to correct: the meal page shows the photo and takes every value.
  await page.goto(`/meals/${captured.items[0].id}/edit`);
  await expect(page.locator('img.meal-photo')).toBeVisible();
  await page.getByLabel('Meal name *').fill('Chicken bowl, small');
  await page.getByLabel('Calories (kcal)').fill('480');
  await page.getByLabel('Protein (g)').fill('36.5');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/meals/);
  const edited = await api(page, `/api/v1/meals/${captured.items[0].id}`);
  expect([edited.name, edited.calories_kcal, edited.protein_g]).toEqual(['Chicken bowl, small', 480, '36.5']);
  await page.goto('/');

  // Deviated → "Capture with photo" links the new meal as what was actually eaten.
  await page.locator('.slot.next .slot-main').click();
  await page.locator('#complete-sheet [data-status="deviated"]').click();
  const chooser2 = page.waitForEvent('filechooser');
  await page.locator('#actual-sheet').getByRole('button', { name: 'Capture with photo' }).click();
  await (await chooser2).setFiles({ name: 'dinner.png', mimeType: 'image/png', buffer: PNG });
  await expect(page.locator('[data-actual]', { hasText: 'Actually ate: Grilled chicken bowl' })).toBeVisible({ timeout: 20_000 });
  const after = await api(page, '/api/v1/today');
  const deviated = after.slots.find((s: any) => s.completion_status === 'deviated');
  expect(deviated.actual_meal.name).toBe('Grilled chicken bowl');
  expect((await api(page, '/api/v1/meals?source=ad_hoc_image')).total).toBe(2);
});

test('a meal described in words shows at once, fills in when estimated, and waits offline with photos', async ({ page, context }) => {
  const email = uniqueEmail('describe');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);

  // Added to today: the words show at once, the estimate replaces them in the background.
  await page.getByRole('button', { name: '+ Add meal' }).click();
  await page.locator('#picker-sheet').getByRole('button', { name: 'Type', exact: true }).click();
  const sheet = page.locator('#describe-sheet');
  await sheet.getByLabel('What and how much').fill('two fried eggs and a slice of toast');
  await page.screenshot({ path: 'screenshots/capture-describe-phone.png' });
  await sheet.getByRole('button', { name: 'Add' }).click();
  await expect(page.locator('#toast')).toContainText('Meal added — estimating');
  await expect(page.locator('.slot .name', { hasText: 'Grilled chicken bowl' })).toBeVisible({ timeout: 20_000 });
  await page.screenshot({ path: 'screenshots/capture-described-phone.png' });
  const captured = await api(page, '/api/v1/meals?source=ad_hoc_text');
  expect(captured.total).toBe(1);
  expect(captured.items[0].processing_status).toBe('completed');

  // Deviated → "Describe it in words" links the described meal as what was eaten.
  await page.locator('.slot.next .slot-main').click();
  await page.locator('#complete-sheet [data-status="deviated"]').click();
  await page.locator('#actual-sheet').getByRole('button', { name: 'Describe it in words' }).click();
  await sheet.getByLabel('What and how much').fill('a burger and fries');
  await sheet.getByRole('button', { name: 'Add' }).click();
  await expect(page.locator('[data-actual]', { hasText: 'Actually ate: Grilled chicken bowl' })).toBeVisible({ timeout: 20_000 });
  const deviated = (await api(page, '/api/v1/today')).slots.find((s: any) => s.completion_status === 'deviated');
  expect(deviated.actual_meal.name).toBe('Grilled chicken bowl');

  // Offline: the description waits in the queue (also across a reload) and is sent once.
  await context.setOffline(true);
  await expect(page.locator('#offline-banner')).toBeVisible();
  await page.getByRole('button', { name: '+ Add meal' }).click();
  await page.locator('#picker-sheet').getByRole('button', { name: 'Type', exact: true }).click();
  await sheet.getByLabel('What and how much').fill('an apple');
  await sheet.getByRole('button', { name: 'Add' }).click();
  await expect(page.locator('.slot.pending .name', { hasText: 'an apple' })).toBeVisible();
  // A photo too: kept in IndexedDB until it can be sent.
  await page.getByRole('button', { name: '+ Add meal' }).click();
  const chooser = page.waitForEvent('filechooser');
  await page.locator('#picker-sheet').getByRole('button', { name: 'Photo', exact: true }).click();
  await (await chooser).setFiles({ name: 'snack.png', mimeType: 'image/png', buffer: PNG });
  await expect(page.locator('.slot.pending .name', { hasText: 'Photo meal' })).toBeVisible();
  await page.reload();
  await expect(page.locator('.slot.pending .name', { hasText: 'an apple' })).toBeVisible();
  await expect(page.locator('.slot.pending .name', { hasText: 'Photo meal' })).toBeVisible();
  await context.setOffline(false);
  await synced(page);
  await expect.poll(async () => (await api(page, '/api/v1/meals?source=ad_hoc_text')).total, { timeout: 20_000 }).toBe(3);
  expect((await api(page, '/api/v1/meals?source=ad_hoc_image')).total).toBe(1);
});

test('a voice note is recorded with a tap or a hold, transcribed and estimated, and not kept', async ({ page }) => {
  const email = uniqueEmail('voice');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);

  // Tap to start, tap to stop.
  await page.getByRole('button', { name: '+ Add meal' }).click();
  await page.locator('#picker-sheet').getByRole('button', { name: 'Voice', exact: true }).click();
  const sheet = page.locator('#voice-sheet');
  const record = sheet.locator('[data-voice-record]');
  await record.click();
  await expect(record).toHaveAttribute('aria-pressed', 'true');
  await expect(sheet.getByRole('status')).toContainText('Recording: 1 s');
  await page.screenshot({ path: 'screenshots/capture-voice-phone.png' });
  await record.click();
  await expect(page.locator('#toast')).toContainText('Voice note added — estimating');
  await expect(page.locator('.slot .name', { hasText: 'Grilled chicken bowl' })).toBeVisible({ timeout: 20_000 });
  const voice = await api(page, '/api/v1/meals?source=ad_hoc_voice');
  expect(voice.total).toBe(1);

  // Deviated → "Say it", holding the button down while talking.
  await page.locator('.slot.next .slot-main').click();
  await page.locator('#complete-sheet [data-status="deviated"]').click();
  await page.locator('#actual-sheet').getByRole('button', { name: 'Say it' }).click();
  const box = (await record.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await expect(sheet.getByRole('status')).toContainText('Recording: 1 s');
  await page.mouse.up();
  await expect(page.locator('[data-actual]', { hasText: 'Actually ate: Grilled chicken bowl' })).toBeVisible({ timeout: 20_000 });
  expect((await api(page, '/api/v1/meals?source=ad_hoc_voice')).total).toBe(2);
  // No recording is left on the server once transcribed.
  const held = execFileSync('sqlite3', ['-cmd', '.timeout 5000', DB, "SELECT COUNT(*) FROM capture_jobs WHERE kind = 'audio' AND input IS NOT NULL"]);
  expect(String(held).trim()).toBe('0');
});
