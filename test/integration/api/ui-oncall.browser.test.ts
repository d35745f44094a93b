import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDevPrincipal } from '../../../lib/api/auth.js';
import type { ControlException } from '../../../lib/controls/types.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../support/chromium.js';
import { type ApiServer, call, startApiServer } from './harness.js';
import { mixedRecords, nsgRemediation, SUB_A, SUB_B, storageId, storageRecord } from './seed.js';
import { type ApiStores, createApiStores } from './stores.js';
import { RecordingTestRestorer } from './test-restorer.js';

/**
 * Issue 16 ("On-call at 3 a.m."): the page items, each driven in headless Chromium against the
 * real API handlers and Azurite stores. Screenshots go to test-output/ui/ (README uses them).
 */
const SHOTS = 'test-output/ui';
const hasChromium = existsSync(CHROMIUM);
const ACTIONABLE = new Set(['remediated', 'remediation-failed', 'exempted', 'restored']);
const DAY = 86_400_000;
const isoDate = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

describe.skipIf(!hasChromium)('on-call page: issue 16 items', () => {
  let stores: ApiStores;
  let server: ApiServer;
  let browser: Browser;
  let page: Page;
  let seeded: EvidenceRecord[];
  let restoredOnce: EvidenceRecord;
  let pending: EvidenceRecord;
  let withEtag: EvidenceRecord;
  let exempted: EvidenceRecord;
  let exception: ControlException;
  let restoredExceptionId: string;
  const problems: string[] = [];
  // The key travels as a header (as the host accepts it), never in the page's URL: the page must
  // not need, keep or pass on credentials in addresses.
  const url = (query = '') => `${server.baseUrl}/api/ui${query.replace(/^&/, '?')}`;
  const signedIn = (options: Parameters<Browser['newPage']>[0] = {}) =>
    browser.newPage({ ...options, extraHTTPHeaders: { 'x-functions-key': server.functionKey } });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stores = await createApiStores(inject('azurite').connectionString);
    const restorer = new RecordingTestRestorer(stores.evidence, stores.exceptions);
    exception = await stores.exceptions.create({
      controlId: 'STG-PUBLIC-BLOB',
      scope: storageId(SUB_A, 'rg-marketing', 'stpublicassets'),
      justification: 'Public marketing images, reviewed by security (no PHI)',
      ticket: 'CHG-4711',
      approvedBy: 'lead@contoso.org',
      expiresOn: new Date(Date.now() + 20 * DAY).toISOString(),
    });
    // One sweep batch (one time stamp): mostly compliant and skipped noise around a few incidents.
    seeded = await stores.evidence.appendMany(mixedRecords(40));
    exempted = await stores.evidence.append(
      storageRecord(7001, 'STG-PUBLIC-BLOB', 'exempted', {
        resourceId: exception.scope,
        exceptionId: exception.id,
        action: 'none (exempted)',
      }),
    );
    const before = {
      name: 'allow-vendor',
      access: 'Allow',
      direction: 'Inbound',
      sourceAddressPrefix: '*',
      etag: 'W/"1"',
    };
    withEtag = await stores.evidence.append(
      nsgRemediation(7002, { before, after: { ...before, access: 'Deny', etag: 'W/"2"' } }),
    );
    pending = await stores.evidence.append(nsgRemediation(7003, { sub: SUB_B, rg: 'rg-telehealth' }));
    restoredOnce = await stores.evidence.append(nsgRemediation(7004, { sub: SUB_B, rg: 'rg-scheduling' }));
    server = await startApiServer({
      ...stores.deps,
      restorer,
      devPrincipal: parseDevPrincipal('oncall@localhost'),
    });
    const first = await call(
      server,
      'POST',
      `remediations/${encodeURIComponent(restoredOnce.recordId)}/restore`,
      {
        body: { justification: 'Scheduling vendor needs it tonight', ticket: 'INC-1', expiresOn: '7d' },
      },
    );
    expect(first.status).toBe(201);
    restoredExceptionId = first.body.exception.id;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await signedIn({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      // 4xx answers are part of these tests (a bad Since, a 200-day expiry); CSP and script errors are not.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const outcomes = () => page.locator('#rows tr td.outcome .badge').allTextContents();
  const openRecord = async (record: EvidenceRecord) => {
    await page.goto(url(`&outcome=all#record=${encodeURIComponent(record.recordId)}`));
    await page.getByRole('dialog').waitFor();
    await expect.poll(() => page.locator('#d-fields').textContent()).toContain(record.recordId);
  };

  it('opens on actionable outcomes, with one click to all (item 3)', async () => {
    const all = seeded.length + 4 + 1; // + exempted, etag, pending, restoredOnce, and its restored record
    const actionable =
      [...seeded, exempted, withEtag, pending, restoredOnce].filter((r) => ACTIONABLE.has(r.outcome)).length +
      1; // the restored record
    expect(actionable).toBeLessThan(all);
    await page.goto(url());
    await expect.poll(async () => (await outcomes()).length).toBe(actionable);
    expect((await outcomes()).every((outcome) => ACTIONABLE.has(outcome))).toBe(true);
    expect(await page.locator('#f-outcome').inputValue()).toBe('actionable');
    expect(await page.locator('#scope-note').textContent()).toMatch(
      /remediated, failed, exempted and restored/,
    );
    await page.screenshot({ path: `${SHOTS}/actionable.png` });
    await page.getByRole('button', { name: 'Show all outcomes' }).click();
    await expect.poll(async () => (await outcomes()).length).toBe(all);
    expect(await outcomes()).toContain('compliant');
    expect(new URL(page.url()).searchParams.get('outcome')).toBe('all');
    await page.getByRole('button', { name: 'Show actionable only' }).click();
    await expect.poll(async () => (await outcomes()).length).toBe(actionable);
    expect(new URL(page.url()).searchParams.get('outcome')).toBeNull();
  });

  it('keeps filters in the URL: apply, reload and a shared link show the same rows; Since takes 7d and 1h (item 4)', async () => {
    await page.goto(url());
    await page.locator('#f-outcome').selectOption('remediated');
    await page.locator('#f-control').selectOption('NSG-OPEN-INBOUND');
    await page.getByLabel('Since').fill('7d');
    await page.getByLabel('Subscription', { exact: true }).fill(SUB_B);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('since')).toBe('7d');
    const params = new URL(page.url()).searchParams;
    expect(Object.fromEntries(params)).toMatchObject({
      outcome: 'remediated',
      control: 'NSG-OPEN-INBOUND',
      since: '7d',
      subscription: SUB_B,
    });
    expect(page.url()).not.toContain(server.functionKey);
    const expected = [...seeded, pending, restoredOnce].filter(
      (r) => r.outcome === 'remediated' && r.controlId === 'NSG-OPEN-INBOUND' && r.subscriptionId === SUB_B,
    );
    await expect.poll(() => page.locator('#rows tr').count()).toBe(expected.length);
    const ids = await page
      .locator('#rows tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')));
    expect(new Set(ids)).toEqual(new Set(expected.map((r) => r.recordId)));

    await page.reload();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(expected.length);
    expect(await page.locator('#f-outcome').inputValue()).toBe('remediated');
    expect(await page.locator('#f-control').inputValue()).toBe('NSG-OPEN-INBOUND');
    expect(await page.getByLabel('Since').inputValue()).toBe('7d');

    const shared = await signedIn();
    await shared.goto(page.url());
    await expect.poll(() => shared.locator('#rows tr').count()).toBe(expected.length);
    await shared.close();

    // The seed is hours old (the stores' clock): the last hour holds nothing; a bad value says what works.
    await page.getByLabel('Since').fill('1h');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(() => page.locator('#status').textContent())
      .toMatch(/^Nothing needs attention|^No records/);
    expect(await page.locator('#rows tr').count()).toBe(0);
    await page.getByLabel('Since').fill('yesterday');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/or an age: 30m, 24h, 7d/);
  });

  it('shows a restore error inside the dialog, next to the field, not behind the backdrop (item 1)', async () => {
    await openRecord(pending);
    await page.getByRole('button', { name: 'Restore…' }).click();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    const error = page.getByRole('dialog').locator('#r-error');
    await expect.poll(() => error.textContent()).toMatch(/Please fill in: business justification, ticket/);
    await page
      .getByLabel('Business justification')
      .first()
      .fill('Partner clinic needs 443 until the VPN is live');
    await page.getByLabel('Ticket').first().fill('INC-2231');
    await page.locator('#r-expires').fill(isoDate(200));
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect.poll(() => error.textContent()).toMatch(/at most 90 days/);
    expect(await error.isVisible()).toBe(true);
    expect(await page.getByRole('dialog').isVisible()).toBe(true);
    expect(await page.locator('#r-expires').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('r-expires');
    expect(await page.locator('#status').textContent()).not.toMatch(/90 days/);
    await page.screenshot({ path: `${SHOTS}/restore-error.png` });
  });

  it('does not offer Restore for a record already restored; a second restore is refused with a 409 (item 2)', async () => {
    await openRecord(restoredOnce);
    const notice = page.locator('#d-restored');
    await expect.poll(() => notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toMatch(/^Already restored on .+ by oncall@localhost/);
    expect(await notice.textContent()).toContain(restoredExceptionId);
    expect(await page.getByRole('button', { name: 'Restore…' }).isVisible()).toBe(false);
    // the timeline: both the remediation and its restore, this record marked
    const timeline = page.locator('#d-timeline li');
    await expect.poll(() => timeline.count()).toBe(2);
    expect(await timeline.allTextContents()).toEqual([
      expect.stringMatching(/restored oncall@localhost/),
      expect.stringMatching(/remediated .*\(this record\)$/),
    ]);
    await page.screenshot({ path: `${SHOTS}/already-restored.png` });

    const again = await call(
      server,
      'POST',
      `remediations/${encodeURIComponent(restoredOnce.recordId)}/restore`,
      {
        body: { justification: 'A different reason, another ticket', ticket: 'INC-2', expiresOn: '30d' },
      },
    );
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(
      /was already restored on .+ exception .+ ticket INC-1.+nothing was written/,
    );
    const listed = await call(server, 'GET', 'remediations?outcome=restored');
    expect(listed.body.items).toHaveLength(1);
    const record = await call(server, 'GET', `remediations/${encodeURIComponent(restoredOnce.recordId)}`);
    expect(record.body).toMatchObject({ restorable: false, restoredBy: { actor: 'oncall@localhost' } });
  });

  it('puts actions above the diff, changed properties first, unchanged (and the ETag) behind a toggle (item 4)', async () => {
    await openRecord(withEtag);
    const changed = page.locator('#d-diff tr.changed');
    expect(await changed.count()).toBe(1);
    expect(await changed.locator('td').allTextContents()).toEqual(['access (changed)', '"Allow"', '"Deny"']);
    expect(await page.locator('#d-diff-note').textContent()).toBe('1 of 5 properties changed (highlighted).');
    const etag = page.locator('#d-diff tr', { hasText: 'etag' });
    expect(await etag.isVisible()).toBe(false);
    const restore = await page.getByRole('button', { name: 'Restore…' }).boundingBox();
    const diff = await page.locator('table.diff').boundingBox();
    expect(restore && diff && restore.y < diff.y).toBe(true);
    await page.getByRole('button', { name: 'Show 4 unchanged properties' }).click();
    expect(await etag.isVisible()).toBe(true);
    expect(await etag.textContent()).toContain('rewritten by Azure on every write');
    await page.screenshot({ path: `${SHOTS}/diff.png` });
  });

  it("shows an exempted record's exception: justification, ticket, expiry (item 4)", async () => {
    await openRecord(exempted);
    const section = page.locator('#d-exception');
    await expect.poll(() => section.isVisible()).toBe(true);
    const text = await section.textContent();
    expect(text).toContain('Public marketing images, reviewed by security (no PHI)');
    expect(text).toContain('CHG-4711');
    expect(text).toContain('lead@contoso.org');
    expect(await page.getByRole('button', { name: 'Restore…' }).isVisible()).toBe(false);
  });

  it('lists, filters and revokes exceptions with a reason in their own view (item 4)', async () => {
    await page.goto(url());
    await page.getByRole('link', { name: 'Exceptions' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('view')).toBe('exceptions');
    const rows = page.locator('#ex-rows tr');
    await expect.poll(() => rows.count()).toBe(2); // the marketing one and the restore's
    await page.getByLabel('Search').fill('CHG-4711');
    await expect.poll(() => rows.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('CHG-4711');
    await page.screenshot({ path: `${SHOTS}/exceptions.png` });
    await rows
      .first()
      .getByRole('button', { name: /^Revoke exception/ })
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await expect.poll(() => dialog.locator('#v-error').textContent()).toMatch(/give a reason/);
    await dialog.getByLabel('Reason for revoking').fill('Campaign ended; assets moved to the CDN');
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await expect.poll(() => page.locator('#ex-status').textContent()).toMatch(/^Revoked exception/);
    expect(await rows.count()).toBe(0); // active only, and the search still applies
    await page.locator('#x-status').selectOption('revoked');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('Campaign ended; assets moved to the CDN');
    const stored = await call(server, 'GET', `exceptions/${exception.id}`);
    expect(stored.body).toMatchObject({
      status: 'revoked',
      revokedBy: 'oncall@localhost',
      revokedReason: 'Campaign ended; assets moved to the CDN',
    });
    // the view survives a reload
    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.locator('#view-log').isHidden()).toBe(true);
  });

  it('is usable at 420 px: every field of a record is visible, nothing scrolls sideways (item 4)', async () => {
    const narrow = await signedIn({ viewport: { width: 420, height: 860 } });
    try {
      await narrow.goto(url());
      const first = narrow.locator('#rows tr').first();
      await first.waitFor();
      for (const selector of ['td.time', 'td.outcome', 'td.control', 'td.res', 'td.actor', 'td.action']) {
        const box = await first.locator(selector).boundingBox();
        expect(box, selector).not.toBeNull();
        expect((box?.x ?? 0) + (box?.width ?? 0), selector).toBeLessThanOrEqual(420);
      }
      expect(await narrow.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
      await narrow.screenshot({ path: `${SHOTS}/narrow.png` });
      await narrow.locator(`#rows tr[data-id="${pending.recordId}"] a`).click(); // still restorable
      await narrow.getByRole('dialog').waitFor();
      const restore = await narrow.getByRole('button', { name: 'Restore…' }).boundingBox();
      expect(restore && restore.y + restore.height <= 860).toBe(true); // reachable without scrolling
      await narrow.screenshot({ path: `${SHOTS}/narrow-detail.png` });
    } finally {
      await narrow.close();
    }
  });

  it('without credentials says what to do instead of showing raw 401 JSON (item 4)', async () => {
    const bare = await browser.newPage({ viewport: { width: 1000, height: 600 } });
    try {
      const response = await bare.goto(`${server.baseUrl}/api/ui`);
      expect(response?.status()).toBe(200);
      const notice = bare.locator('#auth');
      await expect.poll(() => notice.isVisible()).toBe(true);
      // issue 13 item 8 replaced the function-key link with a sign-in: the notice says how to sign in
      expect(await notice.textContent()).toMatch(/Not signed in[\s\S]*sign-in link/);
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, not the inlined script's source
      expect(await bare.locator('body').innerText()).not.toContain('"error"');
      await bare.screenshot({ path: `${SHOTS}/no-credentials.png` });
      // an old link with a key in it: the page drops it from the address bar and never sends it on
      const sent: string[] = [];
      bare.on('request', (request) => {
        if (request.url().includes('/api/') && !request.url().includes('/api/ui')) sent.push(request.url());
      });
      await bare.goto(`${server.baseUrl}/api/ui?code=${server.functionKey}&outcome=all`);
      await expect.poll(() => bare.locator('#auth-text').textContent()).toMatch(/session has ended/);
      expect(new URL(bare.url()).searchParams.get('code')).toBeNull();
      expect(new URL(bare.url()).searchParams.get('outcome')).toBe('all');
      expect(sent.length).toBeGreaterThan(0);
      for (const address of sent) expect(address).not.toContain(server.functionKey);
    } finally {
      await bare.close();
    }
    // the API itself still needs the key
    expect((await call(server, 'GET', 'remediations', { key: null })).status).toBe(401);
  });

  it('raised no script or CSP errors', () => {
    expect(problems).toEqual([]);
  });
});
