// The meals library: CRUD with every nutrient, CSV import with its report, CSV export.
import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import { login, register, uniqueEmail } from './support';

test('meals are created, searched, edited, imported from CSV and exported', async ({ page }) => {
  const email = uniqueEmail('library');
  await register(page, email);
  await login(page, email);

  await page.goto('/meals');
  await expect(page.getByRole('heading', { name: 'No meals yet' })).toBeVisible();
  await page.getByRole('link', { name: '+ Add meal' }).click();
  await page.getByLabel('Meal name *').fill('Protein pancakes');
  await page.getByLabel('Portion *').fill('2 pancakes + 100 g berries');
  await page.getByLabel('Calories (kcal)').fill('410');
  await page.getByLabel('Protein (g)').fill('32.5');
  await page.getByLabel('Fiber (g)').fill('-1');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('fiber g');
  await page.getByLabel('Fiber (g)').fill('6');
  await page.getByLabel('Notes').fill('Sunday favourite');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Added Protein pancakes.')).toBeVisible();
  const pancakes = page.locator('a.meal-row', { hasText: 'Protein pancakes' });
  await expect(pancakes).toContainText('410 kcal');
  await expect(pancakes).toContainText('32.5 g protein');
  await pancakes.click();
  await expect(page.getByLabel('Fiber (g)')).toHaveValue('6.0');
  await expect(page.getByLabel('Notes')).toHaveValue('Sunday favourite');
  await page.getByRole('link', { name: 'Cancel' }).click();

  const csv = 'name,portion_description,calories_kcal,protein_g,meal_types,notes\n' +
    'Chicken wrap,1 wrap + 120 g chicken,480,38,Lunch,\n' +
    'Greek salad,200 g salad + 50 g feta,NaN,12,"Lunch, Dinner",light\n' +
    ',missing name,,,,\n';
  await page.locator('details.lib-more > summary').click();
  await page.getByRole('link', { name: 'Import CSV' }).click();
  await page.setInputFiles('#file', { name: 'meals.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.locator('[data-summary]')).toHaveText('2 meals created, 1 rows skipped, 3 warnings.');
  await expect(page.getByText("Row 2: Invalid calories_kcal value 'NaN', imported with null value")).toBeVisible();
  await expect(page.getByText('Row 3: Missing required field: name')).toBeVisible();
  await page.getByRole('link', { name: 'Done' }).click();

  await page.getByPlaceholder('Search name or portion').fill('feta');
  await expect(page.locator('a.meal-row')).toHaveCount(1);
  await expect(page.locator('a.meal-row')).toContainText('Greek salad');

  await page.locator('a.meal-row', { hasText: 'Greek salad' }).click();
  await page.getByLabel('Meal name *').fill('Greek salad bowl');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Meal saved.')).toBeVisible();

  await page.locator('details.lib-more > summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const exported = fs.readFileSync((await download.path())!, 'utf8');
  expect(exported.split('\n')[0]).toBe('name,portion_description,calories_kcal,protein_g,carbs_g,sugar_g,fat_g,saturated_fat_g,fiber_g,meal_types,notes');
  expect(exported).toContain('Greek salad bowl,200 g salad + 50 g feta,,12.0,,,,,,"Dinner, Lunch",light');
  expect(exported).toContain('Protein pancakes');

  await page.goto('/meals');
  await page.locator('a.meal-row', { hasText: 'Chicken wrap' }).click();
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete meal' }).click();
  await expect(page.getByText('Deleted Chicken wrap.')).toBeVisible();
  await expect(page.locator('a.meal-row')).toHaveCount(2);
});
