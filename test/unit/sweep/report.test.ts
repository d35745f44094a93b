import { describe, expect, it } from 'vitest';
import type { ControlException } from '../../../lib/controls/types.js';
import { countOutcome, emptyCounts } from '../../../lib/sweep/counts.js';
import {
  buildReport,
  csvCell,
  escapeHtml,
  renderCsv,
  renderHtml,
  renderJson,
} from '../../../lib/sweep/report.js';
import type { SubscriptionResult, SweepItem } from '../../../lib/sweep/types.js';

const SUB_A = '00000000-0000-0000-0000-00000000000a';
const SUB_B = '00000000-0000-0000-0000-00000000000b';
const HOSTILE = `<script>alert("x")</script>',=cmd|' /C calc'!A0`;

function item(overrides: Partial<SweepItem>): SweepItem {
  return {
    recordId: 'rec-1',
    time: '2026-11-01T03:00:01.000Z',
    subscriptionId: SUB_A,
    resourceId: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct`,
    resourceType: 'Microsoft.Storage/storageAccounts',
    controlId: 'STG-PUBLIC-BLOB',
    ruleName: null,
    outcome: 'remediated',
    action: 'set allowBlobPublicAccess=false',
    message: 'anonymous blob access was allowed',
    exceptionId: null,
    ...overrides,
  };
}

function part(subscriptionId: string, items: SweepItem[], pass: number): SubscriptionResult {
  const counts = emptyCounts();
  for (let i = 0; i < pass; i++) countOutcome(counts, 'compliant');
  for (const i of items) countOutcome(counts, i.outcome);
  return {
    subscriptionId,
    status: 'ok',
    startedAt: '2026-11-01T03:00:00.000Z',
    finishedAt: '2026-11-01T03:00:05.000Z',
    resources: counts.evaluated,
    counts,
    byControl: { 'STG-PUBLIC-BLOB': counts },
    items,
    errors: [],
  };
}

const exception = (id: string, expiresOn: string, revokedOn?: string): ControlException => ({
  id,
  controlId: 'NSG-OPEN-INBOUND',
  scope: `/subscriptions/${SUB_A}/resourceGroups/rg`,
  justification: `partner VPN ${HOSTILE}`,
  ticket: 'CHG-1',
  approvedBy: 'ciso@example.org',
  approvedOn: '2026-10-01T00:00:00.000Z',
  expiresOn,
  ...(revokedOn ? { revokedOn, revokedBy: 'oncall@example.org' } : {}),
});

function sample() {
  return buildReport({
    sweepId: '2026-11',
    generatedAt: new Date('2026-11-01T04:00:00.000Z'),
    dryRun: false,
    expectedSubscriptions: [SUB_A, SUB_B, '00000000-0000-0000-0000-00000000000c'],
    parts: [
      part(SUB_B, [item({ subscriptionId: SUB_B, outcome: 'audit-only', resourceId: `/x/${HOSTILE}` })], 5),
      part(SUB_A, [item({}), item({ outcome: 'exempted', exceptionId: 'exc-1' })], 10),
    ],
    exceptions: [
      exception('exc-1', '2026-12-01T00:00:00.000Z'),
      exception('exc-2', '2026-10-15T00:00:00.000Z'),
      exception('exc-3', '2026-12-01T00:00:00.000Z', '2026-10-20T00:00:00.000Z'),
    ],
    verification: { ok: true, chains: 2, records: 18, problems: [] },
  });
}

describe('buildReport', () => {
  it('totals parts, lists items by kind, classifies exceptions and names missing subscriptions', () => {
    const report = sample();
    expect(report.totals).toMatchObject({
      evaluated: 18,
      pass: 15,
      fail: 2,
      remediated: 1,
      audit: 1,
      exempt: 1,
    });
    expect(report.byControl['STG-PUBLIC-BLOB']?.evaluated).toBe(18);
    expect(report.subscriptions.map((s) => s.subscriptionId)).toEqual([SUB_A, SUB_B]);
    expect(report.remediations).toHaveLength(1);
    expect(report.failures.map((f) => f.outcome)).toEqual(['audit-only']);
    expect(report.exemptions.map((f) => f.exceptionId)).toEqual(['exc-1']);
    expect(report.exceptions.inForce.map((e) => e.id)).toEqual(['exc-1']);
    expect(report.exceptions.expired.map((e) => e.id)).toEqual(['exc-2']);
    expect(report.exceptions.revoked.map((e) => e.id)).toEqual(['exc-3']);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.subscriptionId).toBe('00000000-0000-0000-0000-00000000000c');
    expect(JSON.parse(renderJson(report))).toEqual(report);
  });
});

describe('CSV', () => {
  it('quotes per RFC 4180 and defuses formula injection in text cells', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@sum')).toBe("'@sum");
    expect(csvCell(-2)).toBe('-2');
    expect(csvCell(null)).toBe('');
  });

  it('renders one rectangular table whose cells parse back to the original texts', () => {
    const csv = renderCsv(sample());
    const rows = parseCsv(csv);
    const width = rows[0]?.length;
    expect(rows.every((row) => row.length === width)).toBe(true);
    const failure = rows.find((row) => row[0] === 'failure');
    expect(failure?.[3]).toBe(`/x/${HOSTILE}`);
    const exceptionRow = rows.find((row) => row[0] === 'exception-in-force');
    expect(exceptionRow?.at(-1)).toContain(HOSTILE);
    expect(rows.filter((row) => row[0] === 'control')).toHaveLength(1);
    expect(rows.find((row) => row[0] === 'total')?.slice(6, 14)).toEqual([
      '18',
      '15',
      '2',
      '1',
      '1',
      '0',
      '1',
      '0',
    ]);
    expect(csv.endsWith('\r\n')).toBe(true);
  });
});

describe('HTML', () => {
  it('escapes hostile names and stays self-contained and printable', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    const html = renderHtml(sample());
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(html).not.toMatch(/<(link|img|iframe)\b|src=|href=|@import|url\(/i);
    expect(html).toContain('@media print');
    expect(html).toContain('chain intact');
    expect(html).toContain('Expired exceptions (1)');
  });
});

/** Minimal RFC 4180 reader, to check the writer round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows.map((r) => r.map((value) => (value.startsWith("'") ? value.slice(1) : value)));
}

describe('wide-scope management-port exceptions (issue 13)', () => {
  it('are marked in every format; unapproved two-step requests are not listed as exceptions', async () => {
    const {
      buildReport: build,
      renderCsv: csv,
      renderHtml: html,
    } = await import('../../../lib/sweep/report.js');
    const base = {
      controlId: 'NSG-MGMT-PORT' as const,
      justification: 'Bastion migration window',
      ticket: 'CHG-22',
      approvedBy: 'second@contoso.example',
      approvedOn: '2026-11-01T00:00:00.000Z',
      expiresOn: '2026-12-31T00:00:00.000Z',
    };
    const report = build({
      sweepId: '2026-11',
      generatedAt: new Date('2026-11-15T00:00:00Z'),
      dryRun: false,
      expectedSubscriptions: [],
      parts: [],
      verification: { ok: true, chains: 0, records: 0, problems: [] },
      exceptions: [
        { ...base, id: 'wide', scope: '/subscriptions/s/resourceGroups/rg', wideScope: true },
        {
          ...base,
          id: 'narrow',
          scope: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n',
        },
        {
          ...base,
          id: 'pending',
          scope: '/subscriptions/s/resourceGroups/rg',
          state: 'requested',
          approvedBy: '',
        },
      ],
    });
    expect(report.exceptions.inForce.map((e) => [e.id, e.wideScope ?? false])).toEqual([
      ['wide', true],
      ['narrow', false],
    ]);
    expect(csv(report)).toMatch(/WIDE SCOPE \(more than one resource\)/);
    expect(html(report)).toMatch(/wide scope: more than one resource/);
  });
});
