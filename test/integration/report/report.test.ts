import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageManagementClient } from '@azure/arm-storage';
import { InvocationContext, type Timer } from '@azure/functions';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDevPrincipal, ROLES } from '../../../lib/api/auth.js';
import { type App, createApp } from '../../../lib/app/app.js';
import { COMMANDS } from '../../../lib/cli/commands/index.js';
import type { CliIo } from '../../../lib/cli/types.js';
import { loadConfig } from '../../../lib/config.js';
import { CONTROL_IDS } from '../../../lib/controls/catalog.js';
import type { Sandbox } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { restoreRemediation } from '../../../lib/remediation/restore.js';
import { parsePeriod } from '../../../lib/report/period.js';
import type { ReportService } from '../../../lib/report/service.js';
import type { PeriodReport } from '../../../lib/report/types.js';
import { monthlySweepHandler } from '../../../lib/sweep/functions.js';
import { runSweep } from '../../../lib/sweep/run.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../support/chromium.js';
import { type ApiServer, principalHeader, startApiServer } from '../api/harness.js';
import { createApiStores } from '../api/stores.js';
import { accountId, type Harness, mixedEstate, rg, startHarness } from '../sweep/harness.js';

/**
 * A month of evidence as an auditor receives it: October 2026 (the stores' clock runs there),
 * one subscription swept and one not (a coverage gap), event-driven remediations by two people,
 * an on-call restore, approved exceptions (one revoked); then the period report, its populations,
 * samples, the archive through the CLI and the API, and the HTML in Chromium (screen and print).
 */

const SUB_A = 'abcdabcd-0000-4000-8000-00000000000a';
const SUB_B = 'abcdabcd-0000-4000-8000-00000000000b';
const ALICE = { upn: 'alice@contoso.example', oid: 'a11ce000-0000-4000-8000-000000000001', appid: 'cli' };
const BOB = { upn: 'bob@contoso.example', oid: 'b0b00000-0000-4000-8000-000000000002', appid: 'cli' };
const OCT = parsePeriod('2026-10-01', '2026-10-31');
const OUT = join(process.cwd(), 'test-output', 'report');

/** The stores' clock: 2026-10-05 08:00Z, one second per reading (distinct, ordered record times). */
function octoberClock(): () => Date {
  let next = Date.parse('2026-10-05T08:00:00Z');
  return () => {
    next += 1000;
    return new Date(next);
  };
}

function csvRows(text: string): Record<string, string>[] {
  // the populations written here hold no quoted newlines: one record per line
  const [header, ...lines] = text.trim().split('\r\n');
  const columns = (header ?? '').split(',');
  return lines.map((line) => {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        cells.push(cell);
        cell = '';
      } else cell += c;
    }
    cells.push(cell);
    return Object.fromEntries(columns.map((name, index) => [name, cells[index] ?? '']));
  });
}

function io(env: Record<string, string | undefined>) {
  let stdout = '';
  let stderr = '';
  const value: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {})(),
    env,
  };
  return { io: value, out: () => stdout, err: () => stderr };
}

async function cli(args: string[], env: Record<string, string | undefined>) {
  const [name, ...rest] = args;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new Error(`no command ${name}`);
  const streams = io(env);
  const code = await command.run(rest, streams.io);
  return { code, stdout: streams.out(), stderr: streams.err() };
}

describe('period report over a month of events, restores, exceptions and a sweep (Azurite + sandbox)', () => {
  let harness: Harness;
  let sandbox: Sandbox;
  let october: App;
  let service: ReportService;
  let records: EvidenceRecord[];
  let report: PeriodReport;
  let dir: string;
  let restoredExceptionId: string;
  let storedAs: string | null;

  beforeAll(async () => {
    const clock = octoberClock();
    harness = await startHarness({
      subscriptions: [SUB_A, SUB_B],
      scenario: mixedEstate([SUB_A, SUB_B]),
      overrides: { clock },
    });
    sandbox = harness.sandbox;
    // The same stores and clock as the harness's sweep runtime: one App over the same settings.
    october = createApp(loadConfig(harness.settings), {
      clock,
      log: () => {},
      armConnection: {
        credential: sandbox.credential({
          oid: '11111111-2222-3333-4444-555555555555',
          appid: 'driftwarden-test',
        }),
        endpoint: sandbox.url,
        clientOptions: sandbox.clientOptions(),
      },
    });
    const exceptions = harness.runtime.exceptions;
    const expires = (days: number) =>
      new Date(Date.parse('2026-10-05T08:00:00Z') + days * 86_400_000).toISOString();
    await exceptions.create({
      controlId: 'STG-PUBLIC-BLOB',
      scope: accountId(SUB_A, 'stshared'),
      justification: 'public marketing assets served anonymously',
      ticket: 'CHG-4711',
      approvedBy: 'ciso@contoso.example',
      expiresOn: expires(20),
    });
    const revoked = await exceptions.create({
      controlId: 'NSG-OPEN-INBOUND',
      scope: rg(SUB_B),
      justification: 'load test from the internet',
      ticket: 'CHG-4712',
      approvedBy: 'ciso@contoso.example',
      expiresOn: expires(10),
    });
    await exceptions.revoke(revoked.id, 'ciso@contoso.example');

    // The monthly sweep of 2026-10 ran for SUB_A only: SUB_B's is missing.
    await runSweep({ subscriptions: [SUB_A], sweepId: '2026-10', deps: harness.runtime, now: clock });

    // Drift by people, delivered as events (event time 7 s before the stores' clock reads it).
    const events = await october.eventPath();
    const drift = async (
      who: Record<string, string>,
      sub: string,
      name: string,
      properties: Record<string, unknown>,
    ) => {
      const before = sandbox.emittedEvents().length;
      const storage = new StorageManagementClient(sandbox.credential(who), sub, sandbox.clientOptions());
      await storage.storageAccounts.update(`rg-sweep`, name, {
        ...properties,
        AllowBlobPublicAccess: null,
      } as never);
      for (const event of sandbox.emittedEvents().slice(before)) {
        const at = new Date(clock().getTime() - 7000).toISOString();
        await events.handleEvent({ ...event, eventTime: at });
      }
    };
    await drift(ALICE, SUB_A, 'stpublic', { allowBlobPublicAccess: true });
    await drift(ALICE, SUB_A, 'sthttp', { enableHttpsTrafficOnly: false });
    await drift(BOB, SUB_B, 'sttls', { minimumTlsVersion: 'TLS1_0' });

    // On-call restore of alice's first remediation.
    const page = await harness.runtime.evidence.query({ outcome: 'remediated', actor: ALICE.upn, limit: 50 });
    const target = page.items.find((r) => r.controlId === 'STG-PUBLIC-BLOB');
    if (!target) throw new Error('no remediation of alice to restore');
    const restored = await restoreRemediation(events, target, {
      approver: 'carol@contoso.example',
      justification: 'the partner download must stay open until Friday',
      ticket: 'INC-99',
      expiresOn: expires(4),
    });
    if (!('exception' in restored)) throw new Error('the restore waits for a second approver');
    restoredExceptionId = restored.exception.id;

    // Every record of the table (all in October), newest first, through the log index.
    records = [];
    for (let token: string | undefined, first = true; first || token; first = false) {
      const next = await harness.runtime.evidence.query({
        limit: 500,
        ...(token ? { continuationToken: token } : {}),
      });
      records.push(...next.items);
      token = next.continuationToken;
    }

    // The report is generated "now" (December): October's sweep was due.
    service = await createApp(loadConfig(harness.settings), { log: () => {} }).reports();
    dir = await mkdtemp(join(tmpdir(), 'dw-report-'));
    ({ report, storedAs } = await service.generate(OCT, { dir }));
  });

  afterAll(async () => {
    await harness?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts equal the evidence: totals, every control, every remediation listed', async () => {
    expect(records.length).toBeGreaterThan(30);
    expect(report.totals.records).toBe(records.length);
    const count = (outcome: string, control?: string) =>
      records.filter((r) => r.outcome === outcome && (!control || r.controlId === control)).length;
    expect(report.totals.remediated).toBe(count('remediated'));
    expect(report.totals.exempt).toBe(count('exempted'));
    expect(report.totals.audit).toBe(count('audit-only'));
    expect(report.totals.restored).toBe(1);
    expect(Object.keys(report.byControl).sort()).toEqual([...CONTROL_IDS].sort());
    for (const control of CONTROL_IDS) {
      expect({
        control,
        remediated: report.byControl[control].remediated,
        pass: report.byControl[control].pass,
      }).toEqual({
        control,
        remediated: count('remediated', control),
        pass: count('compliant', control),
      });
    }
    const remediations = csvRows(await readFile(join(dir, 'remediations.csv'), 'utf8'));
    const remediatedIds = records.filter((r) => r.outcome === 'remediated').map((r) => r.recordId);
    expect(remediations.map((r) => r.record_id).sort()).toEqual([...remediatedIds].sort());
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    for (const id of remediatedIds) expect(html).toContain(id);
    for (const control of CONTROL_IDS) expect(html).toContain(control);
    // event-driven remediations carry their event time: detected -> reverted
    const byEvent = remediations.filter((r) => r.detected_by === 'event');
    expect(byEvent.length).toBe(
      records.filter((r) => r.outcome === 'remediated' && r.trigger === 'event').length,
    );
    expect(byEvent.length).toBeGreaterThanOrEqual(3);
    for (const row of byEvent) {
      expect(Number(row.time_to_remediate_s)).toBeGreaterThanOrEqual(7);
      expect(Number(row.time_to_remediate_s)).toBeLessThan(60);
      expect(row.actor).toMatch(/alice|bob/);
    }
    expect(report.timeToRemediate.count).toBe(byEvent.length);
    expect(report.verification).toMatchObject({ ok: true, records: records.length, anchoredThrough: null });
    expect(
      report.scope.criteriaMap.some((r) => r.criterion === 'CC6.1' && r.controlId === 'STG-PUBLIC-BLOB'),
    ).toBe(true);
    expect(report.tool.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a missed monthly sweep is a coverage gap and a finding', () => {
    expect(report.coverage).toEqual([
      expect.objectContaining({
        month: '2026-10',
        subscriptionId: SUB_A,
        status: 'swept',
        sweepIds: ['2026-10'],
      }),
      expect.objectContaining({ month: '2026-10', subscriptionId: SUB_B, status: 'gap', sweepIds: [] }),
    ]);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'coverage-gap', detail: expect.stringContaining(SUB_B) }),
    );
  });

  it('lists exceptions with their lifecycle and restores with their approvers', async () => {
    const exceptions = csvRows(await readFile(join(dir, 'exceptions.csv'), 'utf8'));
    expect(exceptions).toHaveLength(3);
    expect(exceptions.find((e) => e.ticket === 'CHG-4712')).toMatchObject({
      revoked_by: 'ciso@contoso.example',
      ended: expect.stringMatching(/^revoked /),
    });
    expect(exceptions.find((e) => e.ticket === 'CHG-4711')).toMatchObject({
      approved_by: 'ciso@contoso.example',
      justification: 'public marketing assets served anonymously',
      ended: expect.stringMatching(/^expired /),
    });
    expect(Number(exceptions.find((e) => e.ticket === 'CHG-4711')?.uses_in_period)).toBeGreaterThan(0);
    expect(exceptions.find((e) => e.exception_id === restoredExceptionId)?.origin).toMatch(
      /^restore record /,
    );
    const restores = csvRows(await readFile(join(dir, 'restores.csv'), 'utf8'));
    expect(restores).toEqual([
      expect.objectContaining({
        approver: 'carol@contoso.example',
        exception_id: restoredExceptionId,
        control_id: 'STG-PUBLIC-BLOB',
      }),
    ]);
    const failures = csvRows(await readFile(join(dir, 'failures.csv'), 'utf8'));
    expect(failures.length).toBe(records.filter((r) => r.outcome === 'audit-only').length);
    expect(failures.every((f) => f.ended === 'open')).toBe(true);
    const sweeps = csvRows(await readFile(join(dir, 'sweeps.csv'), 'utf8'));
    expect(sweeps.map((s) => [s.subscription_id, s.status])).toEqual([
      [SUB_A, 'swept'],
      [SUB_B, 'gap'],
    ]);
  });

  it('the same seed draws the same sample, another seed another one; each item carries its proof', async () => {
    const first = await service.sample(OCT, 'remediations', 4, 'auditor-2026');
    const again = await service.sample(OCT, 'remediations', 4, 'auditor-2026');
    const other = await service.sample(OCT, 'remediations', 4, 'another-seed');
    expect(first.populationSize).toBe(report.totals.remediated);
    expect(first.items.map((i) => i.id)).toEqual(again.items.map((i) => i.id));
    expect(first.populationDigest).toBe(again.populationDigest);
    expect(other.items.map((i) => i.id)).not.toEqual(first.items.map((i) => i.id));
    for (const item of first.items) {
      expect(item.record?.outcome).toBe('remediated');
      expect(item.record).toHaveProperty('before');
      expect(item.record).toHaveProperty('after');
      expect(item.proof).toMatchObject({
        hashVerified: true,
        anchor: null,
        anchorStatus: 'digests not configured',
      });
      expect(item.proof?.sequence).toBe(item.record?.sequence);
    }
    // the CLI gives the same items
    const out = await cli(
      [
        'audit',
        'sample',
        '--from',
        '2026-10-01',
        '--to',
        '2026-10-31',
        '--population',
        'remediations',
        '--size',
        '4',
        '--seed',
        'auditor-2026',
      ],
      harness.settings,
    );
    expect(out.code).toBe(0);
    expect((JSON.parse(out.stdout) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(
      first.items.map((i) => i.id),
    );
  });

  it('is stored in the reports container: report list / get, and the API serves it', async () => {
    expect(storedAs).toBe('period-2026-10-01-2026-10-31');
    const listed = await cli(['report', 'list', '--format', 'json'], harness.settings);
    const items = (JSON.parse(listed.stdout) as { items: { id: string; files: string[] }[] }).items;
    expect(items.find((i) => i.id === storedAs)?.files).toEqual([
      'exceptions.csv',
      'failures.csv',
      'remediations.csv',
      'report.html',
      'report.json',
      'restores.csv',
      'sweeps.csv',
    ]);
    const out = await mkdtemp(join(tmpdir(), 'dw-get-'));
    const got = await cli(['report', 'get', storedAs ?? '', '--out', out], harness.settings);
    expect(got.code).toBe(0);
    expect(await readFile(join(out, 'remediations.csv'), 'utf8')).toBe(
      await readFile(join(dir, 'remediations.csv'), 'utf8'),
    );
    await rm(out, { recursive: true, force: true });

    // a second generation of the same period is a revision (the container is WORM)
    const again = await cli(['report', '--from', '2026-10-01', '--to', '2026-10-31'], harness.settings);
    expect(again.code).toBe(1); // the coverage gap is a finding
    expect(again.stdout).toMatch(/stored as period-2026-10-01-2026-10-31@\d{8}T\d{6}Z/);

    const stores = await createApiStores(inject('azurite').connectionString);
    const api: ApiServer = await startApiServer({ ...stores.deps, reports: service.deps.archive });
    try {
      const headers = {
        'x-functions-key': api.functionKey,
        'x-ms-client-principal': principalHeader('auditor@contoso.example', [ROLES.reader]),
        'x-ms-client-principal-idp': 'aad', // App Service sends the provider with every principal
      };
      const list = await fetch(`${api.baseUrl}/api/reports`, { headers });
      expect(list.status).toBe(200);
      const body = (await list.json()) as { items: { id: string; links: Record<string, string> }[] };
      const link = body.items.find((i) => i.id === storedAs)?.links['report.html'];
      expect(link).toBe(`/api/reports/${storedAs}/report.html`);
      const page = await fetch(`${api.baseUrl}${link}`, { headers });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toBe(await readFile(join(dir, 'report.html'), 'utf8'));
      expect((await fetch(`${api.baseUrl}/api/reports/${storedAs}/nothing.csv`, { headers })).status).toBe(
        404,
      );
      expect((await fetch(`${api.baseUrl}/api/reports/${storedAs}/..%2Fx`, { headers })).status).toBe(400);
      expect((await fetch(`${api.baseUrl}/api/reports`)).status).toBe(401);
    } finally {
      await api.close();
    }
  });

  it('the monthly timer stores the period report of the month that just ended', async () => {
    const logs: string[] = [];
    const context = new InvocationContext({
      functionName: 'monthlySweep',
      logHandler: (_level, ...args) => logs.push(args.join(' ')),
    });
    const runtime = { ...harness.runtime, now: () => new Date('2026-11-01T03:00:00Z') };
    await monthlySweepHandler(async () => runtime)(
      { isPastDue: false, scheduleStatus: undefined } as unknown as Timer,
      context,
    );
    // October is already stored (beforeAll): this one is a revision of it
    const line = logs.find((l) => l.startsWith('period report 2026-10-01..2026-10-31'));
    expect(line).toMatch(/stored as period-2026-10-01-2026-10-31@\d{8}T\d{6}Z/);
    const id = /stored as (\S+)/.exec(line ?? '')?.[1] ?? '';
    const json = await service.deps.archive.get(id, 'report.json');
    expect((JSON.parse(json?.body.toString('utf8') ?? 'null') as PeriodReport).totals.records).toBe(
      records.length,
    );
  });

  it.skipIf(!existsSync(CHROMIUM))('renders in Chromium, on screen and printed', async () => {
    await mkdir(OUT, { recursive: true });
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    await writeFile(join(OUT, 'report.html'), html);
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${join(OUT, 'report.html')}`);
      expect(requests).toEqual([]); // self-contained
      expect(await page.locator('svg').count()).toBe(3);
      expect(await page.locator('td.gap').count()).toBe(1);
      expect(await page.locator('h1').textContent()).toContain('2026-10-01 to 2026-10-31');
      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      // a string: this file is compiled without the DOM library
      const printed = await page.evaluate<{
        fontSize: string;
        maxWidth: string;
        tableWidth: number;
        bodyWidth: number;
      }>(
        `(() => ({
          fontSize: getComputedStyle(document.body).fontSize,
          maxWidth: getComputedStyle(document.body).maxWidth,
          tableWidth: document.querySelector('table').getBoundingClientRect().width,
          bodyWidth: document.body.getBoundingClientRect().width,
        }))()`,
      );
      expect(printed.fontSize).toBe('10px');
      expect(printed.maxWidth).toBe('none');
      expect(printed.tableWidth).toBeLessThanOrEqual(printed.bodyWidth + 1);
      // the on-call page links the stored reports
      const stores = await createApiStores(inject('azurite').connectionString);
      const api = await startApiServer({
        ...stores.deps,
        reports: service.deps.archive,
        devPrincipal: parseDevPrincipal('auditor@contoso.example:Remediation.Reader'),
      });
      try {
        const ui = await browser.newPage({ extraHTTPHeaders: { 'x-functions-key': api.functionKey } });
        await ui.goto(`${api.baseUrl}/api/ui`);
        await ui.locator('#reports summary').click();
        const link = ui.locator('#report-list a', { hasText: 'report.html' }).first();
        await link.waitFor();
        const href = (await link.getAttribute('href')) ?? '';
        expect(href).toContain(`/api/reports/${storedAs}`);
        expect(href).not.toContain(api.functionKey); // links carry no key: the session (or header) does
        const served = await ui.request.get(href);
        expect(served.status()).toBe(200);
        expect(await served.text()).toContain('SOC 2 evidence report');
      } finally {
        await api.close();
      }
      const pdf = await page.pdf({
        path: join(OUT, 'report.pdf'),
        format: 'A4',
        landscape: true,
        printBackground: true,
      });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      expect(pages).toBeGreaterThanOrEqual(2);
    } finally {
      await browser.close();
    }
  });
});
