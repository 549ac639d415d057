// Every main screen at phone and desktop sizes in both themes (CI artifacts in e2e/screenshots/),
// each also checked for 44 px touch targets and by axe-core (no serious or critical findings).
import { test } from '@playwright/test';
import { expectAccessible, expectNoSideScroll, expectTapTargets, login, markNext, register, setTheme, starterWeek, synced, uniqueEmail } from './support';

const SCREENS = ['/', '/week', '/groceries', '/meals', '/meals/new', '/meals/import', '/setup', '/setup?tab=templates', '/setup?tab=plans', '/stats', '/settings'];
const SIZES = [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const;
const THEMES = ['dark', 'light'] as const;

const fileName = (screen: string) => (screen === '/' ? 'today' : screen.slice(1).replace(/[/?=]/g, '-'));

test('signed-out screens', async ({ page }) => {
  for (const [size, viewport] of SIZES) {
    await page.setViewportSize(viewport);
    for (const screen of ['/login', '/register']) {
      for (const theme of THEMES) {
        await page.goto(screen);
        await setTheme(page, theme);
        await expectNoSideScroll(page);
        await expectTapTargets(page);
        await expectAccessible(page);
        await page.screenshot({ path: `screenshots/${fileName(screen)}-${size}-${theme}.png`, fullPage: true });
      }
    }
  }
});

test('main screens at phone and desktop sizes, in both themes', async ({ page }) => {
  test.setTimeout(180_000);
  const email = uniqueEmail('shots');
  await register(page, email);
  await login(page, email);
  await page.screenshot({ path: 'screenshots/first-run-phone.png', fullPage: true });
  await starterWeek(page);
  await markNext(page, 'followed');
  await synced(page);
  await page.locator('.slot.next .slot-main').click();
  await page.locator('#complete-sheet[open]').waitFor();
  await page.screenshot({ path: 'screenshots/completion-sheet-phone.png' });
  await page.keyboard.press('Escape');
  for (const [size, viewport] of SIZES) {
    await page.setViewportSize(viewport);
    for (const screen of SCREENS) {
      for (const theme of THEMES) {
        await page.goto(screen);
        await page.waitForLoadState('networkidle');
        await setTheme(page, theme);
        await expectNoSideScroll(page);
        await expectTapTargets(page);
        await expectAccessible(page);
        await page.screenshot({ path: `screenshots/${fileName(screen)}-${size}-${theme}.png`, fullPage: true });
      }
    }
  }
});
