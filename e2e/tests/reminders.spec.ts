// Reminders (issue 13) in Chromium: turn reminders on in Settings, deliver a push message to the
// service worker through the DevTools protocol (`ServiceWorker.deliverPushMessage`, as the push
// service would), check the notification it shows, then use its "Followed" action and see the
// slot marked on Today, at once and after a reload.
//
// Headless Chromium cannot click a notification's buttons, so the action runs the service
// worker's own click handler (`notificationClicked(notification, action)`, what its
// `notificationclick` listener calls) on the notification it showed, inside the worker.
import { expect, test } from '@playwright/test';
import { api, expectTapTargets, login, register, starterWeek, uniqueEmail } from './support';

test('a pushed reminder shows a notification whose Followed action marks the slot, and Skip offline is queued', async ({ page, context, baseURL }) => {
  const email = uniqueEmail('reminders');
  await register(page, email);
  await login(page, email);
  await starterWeek(page);
  await context.grantPermissions(['notifications'], { origin: baseURL });

  // Settings: the device switch appears once the service worker is ready.
  await page.goto('/settings');
  const toggle = page.locator('[data-push-toggle]');
  await expect(toggle).toBeVisible();
  await expect(page.locator('[data-push-status]')).toHaveText('Reminders are off for this device.');
  await expectTapTargets(page);
  await toggle.click();
  // Chromium subscribes through its push service (FCM). Without network access to it the
  // browser refuses to subscribe, and the page says so; with it, the device is on.
  const status = page.locator('[data-push-status]');
  const toast = page.locator('#toast');
  const outcomeOf = async () => {
    if ((await status.textContent()) === 'Reminders are on for this device.') return 'on';
    if ((await toast.textContent())?.includes('Could not')) return 'refused';
    return 'waiting';
  };
  // Where the push service cannot be reached at all, the browser may neither subscribe nor refuse
  // for a long time (seen on a fresh CI machine): after 20 s the test goes on without a
  // subscription, as after a refusal.
  let subscription = 'waiting';
  for (let i = 0; i < 200 && subscription === 'waiting'; i++) {
    subscription = await outcomeOf();
    if (subscription === 'waiting') await page.waitForTimeout(100);
  }
  if (subscription === 'on') {
    expect((await api(page, '/api/v1/reminders/settings')).devices).toBe(1);
  } else {
    if (subscription === 'refused') await expect(status).toHaveText('Reminders are off for this device.');
    test.info().annotations.push({ type: 'note', description: `pushManager.subscribe: ${subscription} (no push service reachable); the push below is delivered to the worker directly` });
  }

  // The lead time and nudge are a plain form.
  await page.getByLabel('Remind me this many minutes before a meal').fill('15');
  await page.getByRole('button', { name: 'Save reminder settings' }).click();
  await expect(page.getByText('Reminder settings saved.')).toBeVisible();
  expect((await api(page, '/api/v1/reminders/settings')).lead_minutes).toBe(15);

  // The next meal on Today, and the push the server would send for it.
  const today = await api(page, '/api/v1/today');
  const slot = today.slots.find((s: { completion_status: string | null }) => !s.completion_status);
  const payload = {
    kind: 'meal',
    title: `${slot.meal_type.name}: ${slot.meal.name}`,
    body: slot.meal.portion_description,
    slot_id: slot.id,
    date: today.date,
    url: '/',
    actions: ['followed', 'skipped'],
  };

  const cdp = await context.newCDPSession(page);
  const registrationId = await new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const r = registrations.find((x: { scopeURL: string; isDeleted: boolean }) => x.scopeURL === `${baseURL}/` && !x.isDeleted);
      if (r) resolve(r.registrationId);
    });
    cdp.send('ServiceWorker.enable');
  });
  // The notification the worker showed.
  const shown = async () => page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, actions: (n as any).actions?.map((a: any) => a.title) ?? [] }));
  });
  // DevTools' push delivery was seen to be lost in CI (nothing shown, no error), for this first
  // push too; a push service delivers again, and so does this (the tag makes a second delivery
  // replace the first notification, not add one).
  await expect(async () => {
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: baseURL!, registrationId, data: JSON.stringify(payload) });
    await expect.poll(shown, { timeout: 5_000 }).toEqual([
      { title: payload.title, body: payload.body, tag: `slot-${slot.id}`, actions: ['Followed', 'Skip'] },
    ]);
  }).toPass({ timeout: 20_000 });

  // "Followed", through the worker's click handler, while Today is open.
  await page.goto('/');
  await expect(page.locator(`.slot[data-slot="${slot.id}"]`)).not.toHaveAttribute('data-status', 'followed');
  const worker = context.serviceWorkers().find((w) => w.url().endsWith('/sw.js'))!;
  const outcome = await worker.evaluate(async (slotId) => {
    const sw = self as any;
    const [n] = await sw.registration.getNotifications({ tag: `slot-${slotId}` });
    return sw.notificationClicked(n, 'followed');
  }, slot.id);
  expect(outcome).toBe('sent');
  await expect.poll(shown).toEqual([]);

  // Today shows it at once (the worker tells the page), and after a reload.
  await expect(page.locator(`.slot[data-slot="${slot.id}"]`)).toHaveAttribute('data-status', 'followed');
  await page.reload();
  await expect(page.locator(`.slot[data-slot="${slot.id}"]`)).toHaveAttribute('data-status', 'followed');

  // Offline, "Skip" on the next reminder goes into Today's offline queue and is sent (once)
  // when the network is back.
  const next = (await api(page, '/api/v1/today')).slots.find((s: { completion_status: string | null }) => !s.completion_status);
  // DevTools' push delivery to a worker that was just restarted by the reload was seen to be
  // lost once in CI (nothing shown, no error); a push service delivers again, and so does this.
  await expect(async () => {
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: baseURL!, registrationId,
      data: JSON.stringify({ ...payload, title: `${next.meal_type.name}: ${next.meal.name}`, slot_id: next.id }),
    });
    await expect.poll(async () => (await shown()).map((n) => n.tag), { timeout: 5_000 }).toEqual([`slot-${next.id}`]);
  }).toPass({ timeout: 20_000 });
  await context.setOffline(true);
  const queued = await worker.evaluate(async (slotId) => {
    const sw = self as any;
    const [n] = await sw.registration.getNotifications({ tag: `slot-${slotId}` });
    return sw.notificationClicked(n, 'skipped');
  }, next.id);
  expect(queued).toBe('queued');
  await context.setOffline(false);
  // Today sends its queue when it opens (and when the browser says it is back online). The page
  // may come from the worker's kept copy (Chromium's offline emulation reaches a service worker
  // late, or not at all): the queued Skip shows on it, and the reload after sending does not
  // take that old copy for the server's answer.
  await page.reload();
  await expect(page.locator(`.slot[data-slot="${next.id}"]`)).toHaveAttribute('data-status', 'skipped', { timeout: 15_000 });
  await expect(page.locator('body')).toHaveAttribute('data-sync', 'idle');
  await expect.poll(async () => (await api(page, '/api/v1/today')).slots.find((s: { id: string }) => s.id === next.id).completion_status).toBe('skipped');
});
