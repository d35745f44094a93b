import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDevPrincipal } from '../../../lib/api/auth.js';
import type { EvidenceRecord, EvidenceStore } from '../../../lib/evidence/types.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../support/chromium.js';
import { type ApiServer, startApiServer } from './harness.js';
import { mixedRecords, nsgRemediation, SUB_B } from './seed.js';
import { createApiStores } from './stores.js';
import { RecordingTestRestorer } from './test-restorer.js';

const SHOTS = 'test-output/ui';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`ui.browser.test: skipped — ${CHROMIUM} is absent (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('on-call page in headless Chromium', () => {
  let server: ApiServer;
  let browser: Browser;
  let page: Page;
  let restorer: RecordingTestRestorer;
  let target: EvidenceRecord;
  let evidence: EvidenceStore;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const stores = await createApiStores(inject('azurite').connectionString);
    restorer = new RecordingTestRestorer(stores.evidence, stores.exceptions);
    evidence = stores.evidence;
    await stores.evidence.appendMany(mixedRecords(129));
    // Appended on its own, after the batch: the newest record (one batch shares one time stamp).
    target = await stores.evidence.append(
      nsgRemediation(4242, { sub: SUB_B, rg: 'rg-telehealth', actor: 'mallory@contoso.org' }),
    );
    // Local mode: the key is checked by the host, and the configured dev principal stands in.
    server = await startApiServer({
      ...stores.deps,
      restorer,
      devPrincipal: parseDevPrincipal('oncall@localhost'),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // the key as a header (the host accepts it so), never in the page's URL
    page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      extraHTTPHeaders: { 'x-functions-key': server.functionKey },
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads newest first, 100 at a time, with "Load more"', async () => {
    await page.goto(`${server.baseUrl}/api/ui`);
    // Issue 16 item 3: the page now opens on actionable outcomes (the old "everything" default
    // buried incidents under sweeps' compliant rows); all records are one click away.
    await page.getByRole('button', { name: 'Show all outcomes' }).click();
    await page.locator('#rows tr').nth(99).waitFor();
    expect(await page.locator('#rows tr').count()).toBe(100);
    const first = await page.locator('#rows tr').first().getAttribute('data-id');
    expect(first).toBe(target.recordId); // appended last = newest
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.locator('#rows tr').nth(129).waitFor();
    expect(await page.locator('#rows tr').count()).toBe(130);
    await expect.poll(() => page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Showing 130 records/);
  });

  it('filters by control and resource prefix', async () => {
    await page.locator('#f-control').selectOption('NSG-OPEN-INBOUND');
    await page.getByLabel('Resource id prefix').fill(`/subscriptions/${SUB_B}/resourceGroups/rg-telehealth`);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(1);
    expect(await page.locator('#rows tr td').nth(2).textContent()).toBe('NSG-OPEN-INBOUND');
    expect(await page.locator('#rows tr td').nth(4).textContent()).toBe('mallory@contoso.org');
  });

  it('opens a record from the keyboard and shows the before/after diff', async () => {
    await page.locator('#rows tr a').first().focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.locator('#d-fields').textContent()).toContain(target.recordId);
    expect(await dialog.locator('#d-fields').textContent()).toContain('CC6.6');
    const changed = dialog.locator('#d-diff tr.changed');
    expect(await changed.count()).toBe(1);
    expect(await changed.locator('td').allTextContents()).toEqual(['access (changed)', '"Allow"', '"Deny"']);
    expect(await dialog.locator('#d-diff tr').count()).toBeGreaterThan(3);
    await page.screenshot({ path: `${SHOTS}/detail.png` });
  });

  it('restores with a justification, ticket and expiry; the restored record appears', async () => {
    await page.getByRole('button', { name: 'Restore…' }).click();
    // the approver sees the exact change first (a dry run)
    await expect.poll(() => page.locator('#r-preview').textContent()).toContain('access: "Deny" → "Allow"');
    await page
      .getByLabel('Business justification')
      .first()
      .fill('Telehealth partner needs 443 until the VPN is live');
    await page.getByLabel('Ticket').first().fill('INC-2231');
    expect(await page.locator('#r-expires').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect
      .poll(() => page.locator('#status').textContent())
      .toMatch(/^Restored\. Exception .+ expires/);
    expect(restorer.calls).toHaveLength(1);
    expect(restorer.calls[0]?.record.recordId).toBe(target.recordId);
    expect(restorer.calls[0]?.request).toMatchObject({ approver: 'oncall@localhost', ticket: 'INC-2231' });
    expect(await page.getByRole('dialog').isVisible()).toBe(false);
    await expect.poll(() => page.locator('#rows tr').count()).toBe(2);
    expect(await page.locator('#rows tr').first().locator('td').nth(1).textContent()).toBe('restored');
    expect(await page.locator('#rows tr').first().locator('td').nth(4).textContent()).toBe(
      'oncall@localhost',
    );
    await page.screenshot({ path: `${SHOTS}/restored.png`, fullPage: true });
    // Issue 16 item 2: the remediation's row says so, and opened again it offers no second restore.
    const original = page.locator(`#rows tr[data-id="${target.recordId}"]`);
    expect(await original.locator('td.outcome').textContent()).toBe('remediated restored');
    await original.locator('a').click();
    await expect.poll(() => page.locator('#d-restored').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Restore…' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Close' }).click();
    expect(await page.getByRole('dialog').isVisible()).toBe(false);
  });

  it('"Refresh now" prepends records that arrived since', async () => {
    const late = await evidence.append(
      nsgRemediation(4343, { sub: SUB_B, rg: 'rg-telehealth', actor: 'late@contoso.org' }),
    );
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(3);
    expect(await page.locator('#rows tr').first().getAttribute('data-id')).toBe(late.recordId);
    expect(await page.locator('#status').textContent()).toBe('1 new record.');
  });

  it('auto-refresh can be paused from the keyboard, and the page raised no script or CSP errors', async () => {
    const toggle = page.getByRole('button', { name: 'Pause auto-refresh' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('button', { name: 'Resume auto-refresh' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    expect(await page.locator('#status').getAttribute('aria-live')).toBe('polite');
    expect(problems).toEqual([]);
  });
});
