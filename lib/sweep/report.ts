import type { ControlException, ControlId } from '../controls/types.js';
import type { VerifyResult } from '../evidence/types.js';
import type { CrossCheckResult } from '../policy/cross-check.js';
import { renderPolicySection } from '../policy/render.js';
import { COUNT_KEYS, summarize } from './counts.js';
import type { Counts, ReportException, SubscriptionResult, SweepItem, SweepReport } from './types.js';

/**
 * The monthly report: assembled from the per-subscription results, the exception registry and the
 * evidence-chain verification, then rendered as JSON, CSV and a self-contained printable HTML page.
 * Pure: no I/O (report-store.ts reads and writes blobs).
 */

export interface BuildReportInput {
  sweepId: string;
  generatedAt: Date;
  dryRun: boolean;
  /** subscriptions the sweep was meant to cover (a missing part is listed as missing) */
  expectedSubscriptions: readonly string[];
  parts: readonly SubscriptionResult[];
  exceptions: readonly ControlException[];
  verification: VerifyResult | { ok: false; error: string };
  policyCrossCheck?: CrossCheckResult;
}

function toReportException(exception: ControlException): ReportException {
  return {
    id: exception.id,
    controlId: exception.controlId,
    scope: exception.scope,
    ruleName: exception.ruleName ?? null,
    justification: exception.justification,
    ticket: exception.ticket,
    approvedBy: exception.approvedBy,
    approvedOn: exception.approvedOn,
    expiresOn: exception.expiresOn,
    revokedOn: exception.revokedOn ?? null,
    revokedBy: exception.revokedBy ?? null,
    ...(exception.wideScope ? { wideScope: true as const } : {}),
  };
}

const byResource = (a: SweepItem, b: SweepItem) =>
  a.resourceId.localeCompare(b.resourceId) || (a.controlId ?? '').localeCompare(b.controlId ?? '');

export function buildReport(input: BuildReportInput): SweepReport {
  const generatedAt = input.generatedAt.toISOString();
  const parts = [...input.parts].sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId));
  const summary = summarize(input.sweepId, input.dryRun, generatedAt, generatedAt, parts);
  const items = parts.flatMap((part) => part.items);
  const present = new Set(parts.map((part) => part.subscriptionId.toLowerCase()));
  const missing = input.expectedSubscriptions.filter((id) => !present.has(id.toLowerCase()));
  const at = input.generatedAt.getTime();
  // a two-step request not yet approved is not an exception (it never exempted anything)
  const exceptions = input.exceptions
    .filter((e) => e.state !== 'requested')
    .map(toReportException)
    .sort((a, b) => a.expiresOn.localeCompare(b.expiresOn));
  return {
    sweepId: input.sweepId,
    generatedAt,
    dryRun: input.dryRun,
    expectedSubscriptions: [...input.expectedSubscriptions],
    subscriptions: parts.map(({ items: _items, byControl: _byControl, ...rest }) => rest),
    totals: summary.totals,
    byControl: summary.byControl,
    remediations: items.filter((item) => item.outcome === 'remediated').sort(byResource),
    failures: items
      .filter((item) => item.outcome === 'remediation-failed' || item.outcome === 'audit-only')
      .sort(byResource),
    exemptions: items.filter((item) => item.outcome === 'exempted').sort(byResource),
    errors: [
      ...missing.map((subscriptionId) => ({
        subscriptionId,
        resourceId: null,
        message: 'no result: this subscription was not swept (work item missing or still running)',
        statusCode: null,
        transient: false,
      })),
      ...parts.flatMap((part) => part.errors),
    ],
    exceptions: {
      inForce: exceptions.filter((e) => !e.revokedOn && Date.parse(e.expiresOn) > at),
      expired: exceptions.filter((e) => !e.revokedOn && Date.parse(e.expiresOn) <= at),
      revoked: exceptions.filter((e) => e.revokedOn),
    },
    verification: input.verification,
    ...(input.policyCrossCheck ? { policyCrossCheck: input.policyCrossCheck } : {}),
  };
}

/** Whether drift remains that nobody fixed (CLI exit code, report headline). */
export function hasOpenFailures(report: Pick<SweepReport, 'totals' | 'errors'>): boolean {
  return report.totals.audit + report.totals.failed > 0 || report.errors.length > 0;
}

export function renderJson(report: SweepReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

// ---------------------------------------------------------------- CSV

const CSV_COLUMNS = [
  'section',
  'subscription_id',
  'control_id',
  'resource_id',
  'rule_name',
  'outcome',
  ...COUNT_KEYS,
  'record_id',
  'time',
  'exception_id',
  'detail',
] as const;
type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | null>>;

/**
 * RFC 4180 quoting, plus a guard against spreadsheet formula injection: resource, rule and
 * exception texts are attacker-influenced, and a cell starting with = + - @ (or tab/CR) would be
 * executed by Excel/Sheets, so such text cells get a leading apostrophe. Numbers stay numbers.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function countCells(counts: Counts): CsvRow {
  return Object.fromEntries(COUNT_KEYS.map((key) => [key, counts[key]]));
}

function itemRow(section: string, item: SweepItem): CsvRow {
  return {
    section,
    subscription_id: item.subscriptionId,
    control_id: item.controlId,
    resource_id: item.resourceId,
    rule_name: item.ruleName,
    outcome: item.outcome,
    record_id: item.recordId,
    time: item.time,
    exception_id: item.exceptionId,
    detail: [item.action, item.message].filter(Boolean).join(' | '),
  };
}

function exceptionRow(section: string, e: ReportException): CsvRow {
  return {
    section,
    control_id: e.controlId,
    resource_id: e.scope,
    rule_name: e.ruleName,
    time: e.revokedOn ?? e.expiresOn,
    exception_id: e.id,
    detail: `${e.wideScope ? 'WIDE SCOPE (more than one resource) | ' : ''}${e.justification} | ticket ${e.ticket} | approved by ${e.approvedBy} on ${e.approvedOn} | expires ${e.expiresOn}${e.revokedOn ? ` | revoked by ${e.revokedBy ?? '?'}` : ''}`,
  };
}

/** One table (a `section` column tells rows apart) so it opens cleanly in a spreadsheet. */
export function renderCsv(report: SweepReport): string {
  const rows: CsvRow[] = [
    {
      section: 'sweep',
      time: report.generatedAt,
      detail: `sweep ${report.sweepId}${report.dryRun ? ' (dry run)' : ''}`,
    },
    { section: 'total', ...countCells(report.totals) },
    ...controlEntries(report).map(([control, counts]) => ({
      section: 'control',
      control_id: control,
      ...countCells(counts),
    })),
    ...report.subscriptions.map((s) => ({
      section: 'subscription',
      subscription_id: s.subscriptionId,
      outcome: s.status,
      ...countCells(s.counts),
    })),
    ...report.remediations.map((item) => itemRow('remediation', item)),
    ...report.failures.map((item) => itemRow('failure', item)),
    ...report.exemptions.map((item) => itemRow('exemption', item)),
    ...report.errors.map((e) => ({
      section: 'error',
      subscription_id: e.subscriptionId,
      resource_id: e.resourceId,
      outcome: e.transient ? 'transient' : 'permanent',
      detail: `${e.statusCode ?? ''} ${e.message}`.trim(),
    })),
    ...report.exceptions.inForce.map((e) => exceptionRow('exception-in-force', e)),
    ...report.exceptions.expired.map((e) => exceptionRow('exception-expired', e)),
    ...report.exceptions.revoked.map((e) => exceptionRow('exception-revoked', e)),
    ...verificationRows(report),
  ];
  const lines = [
    CSV_COLUMNS.join(','),
    ...rows.map((row) => CSV_COLUMNS.map((column) => csvCell(row[column])).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

function verificationRows(report: SweepReport): CsvRow[] {
  const v = report.verification;
  if (!('chains' in v)) return [{ section: 'verification', outcome: 'error', detail: v.error }];
  return [
    {
      section: 'verification',
      outcome: v.ok ? 'ok' : 'problems',
      detail: `${v.records} records in ${v.chains} chains, ${v.problems.length} problems`,
    },
    ...(v.anchoredHeads ?? []).map((h) => ({
      section: 'anchored-head',
      outcome: `digest ${h.digestSequence}`,
      detail: `${h.chainId}#${h.sequence} ${h.headHash}${h.lastTime ? ` (${h.lastTime})` : ''}`,
    })),
    ...v.problems.map((p) => ({
      section: 'verification-problem',
      outcome: p.kind,
      record_id: p.recordId ?? null,
      detail: `${p.chainId}#${p.sequence}: ${p.detail}`,
    })),
  ];
}

function controlEntries(report: SweepReport): [ControlId, Counts][] {
  return (Object.entries(report.byControl) as [ControlId, Counts][]).sort(([a], [b]) => a.localeCompare(b));
}

// ---------------------------------------------------------------- HTML

export function escapeHtml(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:2rem auto;max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:2px solid #d0d7de;padding-bottom:.25rem}
.meta{color:#57606a;margin:0 0 1rem}.badge{display:inline-block;padding:.15rem .55rem;border-radius:1rem;font-weight:600;font-size:.85rem}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.warn{background:#fff8c5;color:#7d4e00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.85rem}th,td{border:1px solid #d0d7de;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.8rem;word-break:break-all}
.empty{color:#57606a;font-style:italic}.cards{display:flex;flex-wrap:wrap;gap:.75rem}.card{border:1px solid #d0d7de;border-radius:.5rem;padding:.5rem .9rem;min-width:8rem}
.card b{display:block;font-size:1.4rem}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}tr,.card{break-inside:avoid}thead{display:table-header-group}
th,.ok,.bad,.warn{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit;text-decoration:none}}
@page{size:A4 landscape;margin:12mm}`;

function countsTable(label: string, rows: [string, Counts][]): string {
  if (rows.length === 0) return '<p class="empty">Nothing evaluated.</p>';
  const head = `<tr><th>${escapeHtml(label)}</th>${COUNT_KEYS.map((k) => `<th class="n">${k}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      ([name, counts]) =>
        `<tr><td><code>${escapeHtml(name)}</code></td>${COUNT_KEYS.map((k) => `<td class="n">${counts[k]}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function itemsTable(items: SweepItem[], empty: string): string {
  if (items.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const body = items
    .map(
      (i) =>
        `<tr><td><code>${escapeHtml(i.resourceId)}</code>${i.ruleName ? `<br>rule <code>${escapeHtml(i.ruleName)}</code>` : ''}</td>` +
        `<td>${escapeHtml(i.controlId)}</td><td>${escapeHtml(i.outcome)}</td><td>${escapeHtml(i.action)}<br>${escapeHtml(i.message)}</td>` +
        `<td>${escapeHtml(i.time)}<br><code>${escapeHtml(i.recordId)}</code>${i.exceptionId ? `<br>exception <code>${escapeHtml(i.exceptionId)}</code>` : ''}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Resource</th><th>Control</th><th>Outcome</th><th>Action / detail</th><th>Evidence</th></tr></thead><tbody>${body}</tbody></table>`;
}

function exceptionsTable(list: ReportException[], empty: string): string {
  if (list.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const body = list
    .map(
      (e) =>
        `<tr><td><code>${escapeHtml(e.id)}</code></td><td>${escapeHtml(e.controlId)}</td><td><code>${escapeHtml(e.scope)}</code>${e.ruleName ? `<br>rule <code>${escapeHtml(e.ruleName)}</code>` : ''}${e.wideScope ? '<br><strong>wide scope: more than one resource</strong>' : ''}</td>` +
        `<td>${escapeHtml(e.justification)}<br>ticket ${escapeHtml(e.ticket)}</td><td>${escapeHtml(e.approvedBy)}<br>${escapeHtml(e.approvedOn)}</td>` +
        `<td>${escapeHtml(e.expiresOn)}${e.revokedOn ? `<br>revoked ${escapeHtml(e.revokedOn)} by ${escapeHtml(e.revokedBy)}` : ''}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Id</th><th>Control</th><th>Scope</th><th>Justification</th><th>Approved</th><th>Expires</th></tr></thead><tbody>${body}</tbody></table>`;
}

function verificationSection(report: SweepReport): string {
  const v = report.verification;
  if (!('chains' in v))
    return `<p><span class="badge bad">verification failed to run</span> ${escapeHtml(v.error)}</p>`;
  const badge = v.ok
    ? '<span class="badge ok">chain intact</span>'
    : `<span class="badge bad">${v.problems.length} problem(s)</span>`;
  const problems =
    v.problems.length === 0
      ? ''
      : `<table><thead><tr><th>Kind</th><th>Chain / sequence</th><th>Record</th><th>Detail</th></tr></thead><tbody>${v.problems
          .map(
            (p) =>
              `<tr><td>${escapeHtml(p.kind)}</td><td><code>${escapeHtml(p.chainId)}</code> #${escapeHtml(p.sequence)}</td><td><code>${escapeHtml(p.recordId)}</code></td><td>${escapeHtml(p.detail)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  // Every chain's anchored head: a printed report is itself an anchor (compare with `driftwarden verify`).
  const heads =
    v.anchoredHeads === undefined
      ? '<p><span class="badge warn">not anchored</span> no signing key is configured (DW_SIGNING_KEY_ID): the chain was checked against the table only.</p>'
      : `<h3>Anchored chain heads</h3><table><thead><tr><th>Chain</th><th>Records</th><th>Head hash (SHA-256)</th><th>Digest</th><th>Last record</th></tr></thead><tbody>${v.anchoredHeads
          .map(
            (h) =>
              `<tr><td><code>${escapeHtml(h.chainId)}</code></td><td class="n">${escapeHtml(h.sequence)}</td><td><code>${escapeHtml(h.headHash)}</code></td><td>#${escapeHtml(h.digestSequence)}</td><td>${escapeHtml(h.lastTime ?? '')}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  return `<p>${badge} ${escapeHtml(v.records)} evidence records in ${escapeHtml(v.chains)} chain(s) recomputed.</p>${problems}${heads}`;
}

export function renderHtml(report: SweepReport): string {
  const t = report.totals;
  const open = hasOpenFailures(report);
  const headline = open
    ? '<span class="badge bad">open findings or errors remain</span>'
    : '<span class="badge ok">all drift handled</span>';
  const card = (label: string, value: number) =>
    `<div class="card"><b>${value}</b>${escapeHtml(label)}</div>`;
  const errors =
    report.errors.length === 0
      ? '<p class="empty">None.</p>'
      : `<table><thead><tr><th>Subscription</th><th>Resource</th><th>Status</th><th>Message</th></tr></thead><tbody>${report.errors
          .map(
            (e) =>
              `<tr><td><code>${escapeHtml(e.subscriptionId)}</code></td><td><code>${escapeHtml(e.resourceId ?? '(whole subscription)')}</code></td><td>${escapeHtml(e.statusCode)} ${e.transient ? 'transient' : 'permanent'}</td><td>${escapeHtml(e.message)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>driftwarden monthly validation sweep ${escapeHtml(report.sweepId)}</title><style>${STYLE}</style></head>
<body>
<h1>Monthly validation sweep ${escapeHtml(report.sweepId)}</h1>
<p class="meta">Generated ${escapeHtml(report.generatedAt)} by driftwarden · ${report.subscriptions.length} of ${report.expectedSubscriptions.length || report.subscriptions.length} subscription(s) · ${headline}${report.dryRun ? ' <span class="badge warn">dry run: nothing was changed or recorded</span>' : ''}</p>
<div class="cards">${card('evaluated', t.evaluated)}${card('pass', t.pass)}${card('fail', t.fail)}${card('remediated', t.remediated)}${card('exempt', t.exempt)}${card('open (audit)', t.audit)}${card('remediation failed', t.failed)}</div>
<h2>Evidence chain verification</h2>${verificationSection(report)}
<h2>Totals per control</h2>${countsTable('Control', controlEntries(report))}
<h2>Totals per subscription</h2>${countsTable(
    'Subscription',
    report.subscriptions.map((s) => [`${s.subscriptionId} (${s.status})`, s.counts]),
  )}
<h2>Remediations (${report.remediations.length})</h2>${itemsTable(report.remediations, 'No remediations this sweep.')}
<h2>Failures and open findings (${report.failures.length})</h2>${itemsTable(report.failures, 'No failures.')}
<h2>Exempted findings (${report.exemptions.length})</h2>${itemsTable(report.exemptions, 'No exempted findings.')}
<h2>Sweep errors (${report.errors.length})</h2>${errors}
${renderPolicySection(report.policyCrossCheck, escapeHtml)}
<h2>Exceptions in force (${report.exceptions.inForce.length})</h2>${exceptionsTable(report.exceptions.inForce, 'No exceptions in force.')}
<h2>Expired exceptions (${report.exceptions.expired.length})</h2>${exceptionsTable(report.exceptions.expired, 'No expired exceptions.')}
<h2>Revoked exceptions (${report.exceptions.revoked.length})</h2>${exceptionsTable(report.exceptions.revoked, 'No revoked exceptions.')}
</body></html>
`;
}

export const REPORT_FORMATS = {
  json: { render: renderJson, contentType: 'application/json; charset=utf-8' },
  csv: { render: renderCsv, contentType: 'text/csv; charset=utf-8' },
  html: { render: renderHtml, contentType: 'text/html; charset=utf-8' },
} as const;
export type ReportFormat = keyof typeof REPORT_FORMATS;
