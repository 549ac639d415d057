// Setup on a phone: a new user follows the three-step guide by hand (two meal types, a day template
// built with "+ Add slot", a default week plan) and generates a week; an existing user renames a
// meal type in place. Every Setup and Settings page passes the 44 px and axe checks in both themes,
// with screenshots for review (e2e/screenshots/setup-*.png, settings-*.png).
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, expectTapTargets, login, register, setTheme, uniqueEmail } from './support';

/** 44 px and axe in both themes, with a phone screenshot of each when `shot` is given. */
async function checkBothThemes(page: Page, shot?: string) {
  for (const theme of ['dark', 'light'] as const) {
    await setTheme(page, theme);
    await expectTapTargets(page);
    await expectAccessible(page);
    if (shot) await page.screenshot({ path: `screenshots/${shot}-phone-${theme}.png`, fullPage: true });
  }
  await setTheme(page, 'dark');
}

test('a new user sets up a week by following the guide', async ({ page }) => {
  const email = uniqueEmail('setup');
  await register(page, email);
  await login(page, email);

  await page.goto('/setup');
  const current = page.locator('.step.current');
  await expect(page.getByRole('heading', { name: 'Plan your week in 3 steps' })).toBeVisible();
  await expect(current).toContainText('Meal types');
  await expect(page.getByRole('button', { name: 'Use the starter library' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
  await checkBothThemes(page, 'setup-guide');

  // Step 1: two meal types.
  await current.getByRole('link', { name: 'Add a meal type' }).click();
  await expect(page.getByText('Step 1 of 3')).toBeVisible();
  await checkBothThemes(page);
  await page.getByLabel('Name').fill('Breakfast');
  await page.getByRole('button', { name: 'Add meal type' }).click();
  await expect(page.getByText('Saved Breakfast. Step 2 of 3 next: a day template.')).toBeVisible();
  await expect(current).toContainText('A day template');
  await expect(page.getByRole('button', { name: 'Use the starter library' })).toHaveCount(0);
  await page.getByRole('link', { name: '+ Add another meal type' }).click();
  await page.getByLabel('Name').fill('Dinner');
  await page.getByRole('button', { name: 'Add meal type' }).click();
  await expect(page.locator('.step.done').first()).toContainText('Breakfast, Dinner');

  // Step 2: a template, slots added, reordered and removed in place.
  await current.getByRole('link', { name: 'Create a day template' }).click();
  await expect(page.getByText('Step 2 of 3')).toBeVisible();
  await expect(page.locator('[data-slot-row]')).toHaveCount(1);
  await page.getByLabel('Template name').fill('Workday');
  await page.getByLabel('Slot 1', { exact: true }).selectOption({ label: 'Dinner' });
  await page.getByRole('button', { name: '+ Add slot' }).click();
  await expect(page.getByLabel('Slot 2', { exact: true })).toBeFocused();
  await page.getByLabel('Slot 2', { exact: true }).selectOption({ label: 'Breakfast' });
  await page.getByRole('button', { name: '+ Add slot' }).click();
  await page.getByLabel('Slot 3', { exact: true }).selectOption({ label: 'Dinner' });
  await page.getByRole('button', { name: 'Move slot 2 up' }).click();
  await expect(page.locator('[data-preview]')).toHaveText('Breakfast → Dinner → Dinner');
  await page.getByRole('button', { name: 'Remove slot 3' }).click();
  await expect(page.locator('[data-slot-row]')).toHaveCount(2);
  await expect(page.locator('[data-preview]')).toHaveText('Breakfast → Dinner');
  await checkBothThemes(page, 'setup-template-edit');
  await page.getByRole('button', { name: 'Create template' }).click();
  await expect(page.getByText('Template saved. Step 3 of 3 next: a week plan.')).toBeVisible();

  // Step 3: a week plan, Monday copied to the weekdays; the first plan is the default.
  await current.getByRole('link', { name: 'Create a week plan' }).click();
  await expect(page.getByText('Step 3 of 3')).toBeVisible();
  await page.getByLabel('Name').fill('My week');
  await page.getByLabel('Monday').selectOption({ label: 'Workday' });
  await page.getByRole('button', { name: 'Monday → Tue–Fri' }).click();
  await expect(page.getByLabel('Friday')).toHaveValue(await page.getByLabel('Monday').inputValue());
  await expect(page.getByLabel('Saturday')).toHaveValue('');
  await expect(page.getByRole('checkbox', { name: /Default plan/ })).toBeChecked();
  await checkBothThemes(page);
  await page.getByRole('button', { name: 'Create plan' }).click();
  await expect(page.getByText('Setup is done: generate your first week.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Plan your week in 3 steps' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Your week plan is ready' })).toBeVisible();
  await expect(page.locator('.plan-card')).toContainText('★ Default');
  await checkBothThemes(page, 'setup-plans');

  // A meal for each type (the Meals page is not what this test is about), then Week generates.
  for (const [name, type] of [['Porridge', 'Breakfast'], ['Chicken and rice', 'Dinner']]) {
    const types = await (await page.request.get('/api/v1/meal-types')).json();
    const id = types.find((t: any) => t.name === type).id;
    const r = await page.request.post('/api/v1/meals', {
      headers: { Origin: new URL(page.url()).origin },
      data: { name, portion_description: '1 bowl', meal_type_ids: [id] },
    });
    expect(r.status()).toBe(201);
  }
  await page.goto('/week');
  await page.getByRole('button', { name: 'Generate week' }).click();
  await expect(page.getByText('Week generated.')).toBeVisible();
  await page.goto('/');
  await expect(page.locator('.slot.next')).toBeVisible();
  await expect(page.locator('.slot').first()).toContainText(/Porridge|Chicken and rice/);
});

test('an existing user edits in place and every Setup and Settings page fits a phone', async ({ page }) => {
  const email = uniqueEmail('setup-edit');
  await register(page, email);
  await login(page, email);
  await page.getByRole('button', { name: 'Use the starter library' }).click();

  await page.goto('/setup');
  await expect(page.locator('.guide')).toHaveCount(1); // only the "ready" card: no week yet
  await expect(page.getByRole('heading', { name: 'Plan your week in 3 steps' })).toHaveCount(0);
  const row = page.locator('details.editable', { hasText: 'Snack' });
  await row.locator('summary').click();
  await row.getByLabel('Name').fill('Afternoon snack');
  await checkBothThemes(page, 'setup-types');
  await row.getByRole('button', { name: /^Save/ }).click();
  await expect(page.getByText('Saved Afternoon snack.')).toBeVisible();
  await expect(page.locator('details.editable summary b', { hasText: 'Afternoon snack' })).toBeVisible();

  await page.getByRole('link', { name: 'Day templates' }).click();
  await checkBothThemes(page, 'setup-templates');
  await page.locator('.editable-link').first().click();
  await expect(page.locator('[data-slot-row] select').last()).not.toHaveValue('');
  await checkBothThemes(page);
  // Invalid: the slots stay as chosen and the error sits at the name.
  const slots = await page.locator('[data-slot-row] select').evaluateAll((s) => s.map((x) => (x as HTMLSelectElement).value));
  await page.getByLabel('Template name').fill('');
  await page.locator('[data-template-form]').evaluate((f) => (f as HTMLFormElement).noValidate = true);
  await page.getByRole('button', { name: 'Save template' }).click();
  await expect(page.locator('#name-error')).toContainText('Enter a name');
  expect(await page.locator('[data-slot-row] select').evaluateAll((s) => s.map((x) => (x as HTMLSelectElement).value))).toEqual(slots);
  await checkBothThemes(page);

  await page.goto('/setup?tab=plans');
  await page.getByRole('link', { name: /^Edit / }).first().click();
  await checkBothThemes(page);
  await page.goto('/setup/types/new');
  await checkBothThemes(page);

  await page.goto('/setup');
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await checkBothThemes(page, 'settings');
  await page.getByLabel('Light').check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');

  // Desktop: screenshots and axe (the 44 px rule is for phones; the sidebar is the shell's).
  await page.setViewportSize({ width: 1280, height: 800 });
  for (const [path, name] of [['/setup', 'setup'], ['/setup?tab=plans', 'setup-plans'], ['/settings', 'settings']]) {
    await page.goto(path);
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, theme);
      await expectAccessible(page);
      await page.screenshot({ path: `screenshots/${name}-desktop-${theme}.png`, fullPage: true });
    }
  }
});
