// Screenshots of the main screens at phone and desktop sizes (CI artifacts in e2e/screenshots/).
import { test } from '@playwright/test';
import { login, register, starterWeek, uniqueEmail } from './support';

const SCREENS = ['/', '/week', '/meals', '/setup', '/setup?tab=templates', '/stats', '/settings'];

test('main screens at phone and desktop sizes', async ({ page }) => {
  const email = uniqueEmail('shots');
  await page.goto('/login');
  await page.screenshot({ path: 'screenshots/login-phone.png' });
  await register(page, email);
  await login(page, email);
  await page.screenshot({ path: 'screenshots/first-run-phone.png', fullPage: true });
  await starterWeek(page);
  await page.locator('.slot.next').click();
  await page.locator('#complete-sheet[open]').waitFor();
  await page.screenshot({ path: 'screenshots/completion-sheet-phone.png' });
  await page.keyboard.press('Escape');
  for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]] as const) {
    await page.setViewportSize(viewport);
    for (const screen of SCREENS) {
      await page.goto(screen);
      await page.waitForLoadState('networkidle');
      const name = screen === '/' ? 'today' : screen.slice(1).replace(/[?=]/g, '-');
      await page.screenshot({ path: `screenshots/${name}-${size}.png`, fullPage: true });
    }
  }
});
