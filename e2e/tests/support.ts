// Helpers shared by the flows: unique accounts, the mail outbox, sign-up, the starter week.
import { expect, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

export const MAIL_DIR = path.join(__dirname, '..', '.data', 'mail');
export const PASSWORD = 'correct horse battery';

export const uniqueEmail = (what: string) => `${what}-${Date.now()}-${Math.random().toString(16).slice(2, 6)}@example.com`;

/** The `token=` of the newest verification or reset mail sent to `email`. */
export async function mailToken(email: string, subject: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const files = fs.existsSync(MAIL_DIR) ? fs.readdirSync(MAIL_DIR).filter((f) => f.endsWith('.eml')).sort() : [];
    for (const f of files.reverse()) {
      const text = fs.readFileSync(path.join(MAIL_DIR, f), 'utf8');
      if (text.includes(`To: ${email}`) && text.includes(subject)) {
        const m = text.match(/token=([A-Za-z0-9_-]+)/);
        if (m) return m[1];
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no "${subject}" mail for ${email}`);
}

export async function register(page: Page, email: string, password = PASSWORD) {
  await page.goto('/register');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Check your e-mail' })).toBeVisible();
  const token = await mailToken(email, 'Verify your MealFrame email');
  await page.goto(`/verify-email?token=${token}`);
  await expect(page.getByRole('heading', { name: 'E-mail verified' })).toBeVisible();
}

export async function login(page: Page, email: string, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
}

export async function signOut(page: Page) {
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** Accept the starter library and generate this week; ends on Today with a next meal. */
export async function starterWeek(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Use the starter library' }).click();
  await expect(page.getByText('Starter library added')).toBeVisible();
  await page.getByRole('button', { name: 'Generate this week' }).click();
  await expect(page.locator('.slot.next')).toBeVisible();
}

/** A JSON API call with this browser's session cookie. */
export async function api(page: Page, route: string) {
  const r = await page.request.get(route, { headers: { Accept: 'application/json' } });
  expect(r.ok(), `${route}: ${r.status()}`).toBeTruthy();
  return r.json();
}

/**
 * Wait until every action taken so far has been sent and the page shows server state again. The
 * page marks `body[data-sync="busy"]` synchronously when an action is taken, so this cannot pass
 * in the moment between a tap and the action's optimistic display.
 */
export async function synced(page: Page) {
  await expect(page.locator('body[data-sync="busy"]')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.locator('.slot.pending')).toHaveCount(0, { timeout: 15_000 });
}

/**
 * Open the sheet of the next meal and choose `status` (plain statuses only); waits until the page
 * shows the mark (the next meal moves on then) and returns the slot's id.
 */
export async function markNext(page: Page, status: string): Promise<string> {
  // The card just marked keeps "next" while it celebrates; wait for the one after it.
  const next = page.locator('.slot.next:not([data-status]), .slot.next[data-status=""]');
  const id = (await next.getAttribute('data-slot'))!;
  const option = page.locator(`#complete-sheet [data-status="${status}"]`);
  // A tap that lands while the page swaps in fresh content after a sync misses the card (it is
  // replaced under the pointer); a person taps again, and so does this.
  await expect(async () => {
    await page.locator(`.slot[data-slot="${id}"] .slot-main`).click();
    await expect(option).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await option.click();
  await expect(page.locator(`.slot[data-slot="${id}"]`)).toHaveAttribute('data-status', status);
  return id;
}

/**
 * Every visible control on the page is at least 44×44 CSS px (WCAG 2.5.5, Apple's HIG). Exempt, as
 * WCAG 2.5.8 exempts them: links inside a sentence (an inline `a` within running text), and
 * controls inside a closed `details` or dialog (not visible). Fails with the offenders listed.
 */
export async function expectTapTargets(page: Page, min = 44) {
  const small = await page.evaluate((min) => {
    const sel = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [tabindex]:not([tabindex="-1"])';
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(sel))) {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      // Not rendered: a hidden ancestor, or the inside of a closed <details>.
      if (!el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) continue;
      const closed = el.closest('details:not([open])');
      if (closed && !(el.tagName === 'SUMMARY' && el.parentElement === closed)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (el.closest('.visually-hidden')) continue;
      // A checkbox or radio counts with its label when the label wraps it.
      const label = (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) ? el.closest('label') : null;
      const box = label ? label.getBoundingClientRect() : r;
      if (box.width >= min - 0.5 && box.height >= min - 0.5) continue;
      if (el.tagName === 'A' && style.display === 'inline') {
        const parent = el.parentElement;
        const text = (parent?.textContent || '').trim();
        if (text.length > (el.textContent || '').trim().length + 10) continue; // a link in a sentence
      }
      const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || el.id || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return out;
  }, min);
  expect(small, `controls under ${min}×${min} px on ${page.url()}`).toEqual([]);
}

/** axe-core finds no serious or critical accessibility violation on the page as it is now. */
export async function expectAccessible(page: Page) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${page.url()}`).toEqual([]);
}

/** Show the page in one colour theme (what the Settings choice puts on `<html data-theme>`). */
export async function setTheme(page: Page, theme: 'dark' | 'light') {
  await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
}

/** The page does not scroll sideways (on a phone a wider page zooms out and breaks fixed panels). */
export async function expectNoSideScroll(page: Page) {
  const [content, viewport] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(content, `page wider than the viewport on ${page.url()}`).toBeLessThanOrEqual(viewport);
}
