import { CONTROL_IDS } from '../controls/catalog.js';
import type { ControlId } from '../controls/types.js';
import { COUNT_KEYS } from '../sweep/counts.js';
import { escapeHtml as e } from '../sweep/report.js';
import type { PeriodReport } from './types.js';

/**
 * The period report as one self-contained HTML page: no scripts, no external resources, charts as
 * inline SVG, print styles (A4 landscape, tables that break cleanly), so "Print → Save as PDF"
 * gives the auditor a document. Pure: report in, text out.
 */

const PALETTE: Record<ControlId, string> = {
  'STG-PUBLIC-BLOB': '#0969da',
  'STG-CONTAINER-PUBLIC': '#54aeff',
  'STG-HTTPS-ONLY': '#1a7f37',
  'STG-MIN-TLS': '#4ac26b',
  'STG-CMK-PHI': '#9a6700',
  'STG-NETWORK-PHI': '#d4a72c',
  'NSG-MGMT-PORT': '#cf222e',
  'NSG-OPEN-INBOUND': '#8250df',
  'LAW-RETENTION': '#bc4c00',
  'DIAG-RESOURCE-LOGS': '#fb8f44',
  'KV-PURGE-PROTECTION': '#1b7c83',
  'KV-SOFT-DELETE': '#3fb950',
  'KV-NETWORK-PHI': '#6e7781',
  'KV-HSM-KEY-PHI': '#bf3989',
  'IDN-ADMIN-MFA': '#0550ae',
  'IDN-MFA-EXCLUSION': '#a40e26',
  'IDN-SESSION-TIMEOUT': '#953800',
  'IDN-ACCESS-REVIEW': '#116329',
};

const STYLE = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:2rem auto;max-width:1150px;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:2px solid #d0d7de;padding-bottom:.25rem}h3{font-size:1rem;margin:1rem 0 .3rem}
.meta{color:#57606a;margin:0 0 1rem}.badge{display:inline-block;padding:.15rem .55rem;border-radius:1rem;font-weight:600;font-size:.85rem}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.warn{background:#fff8c5;color:#7d4e00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.8rem}th,td{border:1px solid #d0d7de;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.75rem;word-break:break-all}
.empty{color:#57606a;font-style:italic}.cards{display:flex;flex-wrap:wrap;gap:.75rem}.card{border:1px solid #d0d7de;border-radius:.5rem;padding:.5rem .9rem;min-width:8rem}
.card b{display:block;font-size:1.4rem}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:1rem}
figure{margin:0;border:1px solid #d0d7de;border-radius:.5rem;padding:.5rem}figcaption{font-weight:600;margin-bottom:.3rem}svg{width:100%;height:auto;display:block}
.legend{font-size:.75rem;display:flex;flex-wrap:wrap;gap:.2rem .8rem;margin-top:.3rem}.legend i{display:inline-block;width:.7rem;height:.7rem;margin-right:.25rem;vertical-align:middle}
td.gap{background:#ffebe9;color:#a40e26;font-weight:600}td.swept{background:#dafbe1}td.nd{color:#57606a}
@media print{body{margin:0;max-width:none;font-size:10px}h2{break-after:avoid}tr,.card,figure{break-inside:avoid}thead{display:table-header-group}
th,.ok,.bad,.warn,td.gap,td.swept,.legend i{-webkit-print-color-adjust:exact;print-color-adjust:exact}.charts{grid-template-columns:1fr 1fr 1fr}}
@page{size:A4 landscape;margin:10mm}`;

function table(head: string[], rows: string[][], empty: string, numeric: number[] = []): string {
  if (rows.length === 0) return `<p class="empty">${e(empty)}</p>`;
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${e(h)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row.map((cell, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${cell}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const code = (value: string | number | null | undefined) =>
  value === null || value === undefined ? '' : `<code>${e(value)}</code>`;

function more(listed: number, total: number, file: string): string {
  return total > listed
    ? `<p class="meta">First ${listed} of ${total} shown; <code>${e(file)}</code> lists all ${total}.</p>`
    : '';
}

// ---------------------------------------------------------------- charts (inline SVG)

const W = 420;
const H = 200;
const PAD = { left: 34, right: 8, top: 8, bottom: 30 };

function axis(max: number): string {
  const steps = 4;
  const h = H - PAD.top - PAD.bottom;
  let out = '';
  for (let i = 0; i <= steps; i++) {
    const y = PAD.top + h - (h * i) / steps;
    const value = Math.round((max * i) / steps);
    out += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#d0d7de" stroke-width="0.5"/>`;
    out += `<text x="${PAD.left - 4}" y="${y + 3}" font-size="9" text-anchor="end" fill="#57606a">${value}</text>`;
  }
  return out;
}

function bars(
  labels: string[],
  series: { color: string; values: number[] }[],
  title: string,
  labelEvery = 1,
): string {
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const niceMax = max <= 4 ? 4 : Math.ceil(max / 4) * 4;
  const w = W - PAD.left - PAD.right;
  const h = H - PAD.top - PAD.bottom;
  const slot = w / Math.max(1, labels.length);
  const barWidth = Math.max(1, slot * 0.75);
  let out = axis(niceMax);
  labels.forEach((label, i) => {
    let y = PAD.top + h;
    const x = PAD.left + i * slot + (slot - barWidth) / 2;
    for (const s of series) {
      const value = s.values[i] ?? 0;
      if (value <= 0) continue;
      const bh = (h * value) / niceMax;
      y -= bh;
      out += `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${bh.toFixed(1)}" fill="${s.color}"><title>${e(label)}: ${value}</title></rect>`;
    }
    if (i % labelEvery === 0)
      out += `<text x="${(x + barWidth / 2).toFixed(1)}" y="${H - PAD.bottom + 11}" font-size="8" text-anchor="middle" fill="#57606a">${e(label)}</text>`;
  });
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${e(title)}" xmlns="http://www.w3.org/2000/svg">${out}</svg>`;
}

function steps(labels: string[], values: number[], title: string, labelEvery: number): string {
  const max = Math.max(1, ...values);
  const niceMax = max <= 4 ? 4 : Math.ceil(max / 4) * 4;
  const w = W - PAD.left - PAD.right;
  const h = H - PAD.top - PAD.bottom;
  const slot = w / Math.max(1, labels.length);
  let path = '';
  values.forEach((value, i) => {
    const y = PAD.top + h - (h * value) / niceMax;
    const x0 = PAD.left + i * slot;
    path += `${i === 0 ? 'M' : 'L'}${x0.toFixed(1)},${y.toFixed(1)} L${(x0 + slot).toFixed(1)},${y.toFixed(1)} `;
  });
  let labelsSvg = '';
  labels.forEach((label, i) => {
    if (i % labelEvery === 0)
      labelsSvg += `<text x="${(PAD.left + i * slot + slot / 2).toFixed(1)}" y="${H - PAD.bottom + 11}" font-size="8" text-anchor="middle" fill="#57606a">${e(label)}</text>`;
  });
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${e(title)}" xmlns="http://www.w3.org/2000/svg">${axis(niceMax)}<path d="${path}" fill="none" stroke="#0969da" stroke-width="2"/>${labelsSvg}</svg>`;
}

function charts(report: PeriodReport): string {
  const weeks = report.driftByWeek.map((w) => w.weekStart.slice(5));
  const every = Math.max(1, Math.ceil(weeks.length / 8));
  const drift = bars(
    weeks,
    CONTROL_IDS.map((id) => ({
      color: PALETTE[id],
      values: report.driftByWeek.map((w) => w.byControl[id] ?? 0),
    })),
    'Drift per week by control',
    every,
  );
  const legend = `<div class="legend">${CONTROL_IDS.map((id) => `<span><i style="background:${PALETTE[id]}"></i>${e(id)}</span>`).join('')}</div>`;
  const ttr = report.timeToRemediate;
  const ttrChart = bars(
    ttr.buckets.map((b) => b.label),
    [{ color: '#1a7f37', values: ttr.buckets.map((b) => b.count) }],
    'Time to remediate',
  );
  const ttrNote =
    ttr.count === 0
      ? '<p class="empty">No event-driven remediation with a recorded event time in the period.</p>'
      : `<p class="meta">${ttr.count} event-driven remediation(s): median ≤ ${ttr.p50Seconds} s, p90 ≤ ${ttr.p90Seconds} s, p95 ≤ ${ttr.p95Seconds} s, max ${ttr.maxSeconds} s (event time → confirmed write).</p>`;
  const exceptions = steps(
    report.exceptionsInForce.map((w) => w.weekStart.slice(5)),
    report.exceptionsInForce.map((w) => w.count),
    'Exceptions in force',
    every,
  );
  return `<div class="charts">
<figure><figcaption>Drift per week by control</figcaption>${drift}${legend}</figure>
<figure><figcaption>Time to remediate (event → reverted)</figcaption>${ttrChart}${ttrNote}</figure>
<figure><figcaption>Exceptions in force per week</figcaption>${exceptions}</figure>
</div>`;
}

// ---------------------------------------------------------------- sections

function coverageGrid(report: PeriodReport): string {
  const months = [...new Set(report.coverage.map((c) => c.month))];
  const subs = [...new Set(report.coverage.map((c) => c.subscriptionId))];
  if (subs.length === 0) return '<p class="empty">No subscription is configured and none was swept.</p>';
  const cell = (month: string, sub: string) => {
    const c = report.coverage.find((x) => x.month === month && x.subscriptionId === sub);
    if (!c) return '<td></td>';
    if (c.status === 'gap') return '<td class="gap">GAP: no sweep</td>';
    if (c.status === 'not-due') return '<td class="nd">not yet due</td>';
    return `<td class="swept">${e(c.sweepIds.join(', '))}<br>${c.records} records</td>`;
  };
  return `<table><thead><tr><th>Subscription</th>${months.map((m) => `<th>${e(m)}</th>`).join('')}</tr></thead><tbody>${subs
    .map((sub) => `<tr><td>${code(sub)}</td>${months.map((m) => cell(m, sub)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function verification(report: PeriodReport): string {
  const v = report.verification;
  const badge = v.ok
    ? '<span class="badge ok">chains intact</span>'
    : `<span class="badge bad">${v.problems.length + v.moreProblems} problem(s)</span>`;
  const anchor = v.anchoredThrough
    ? `Anchored through signed digest ${code(v.anchoredThrough.digestId)} (signed ${e(v.anchoredThrough.signedAt)}).`
    : 'Not anchored to a signed digest (digests not configured, or none covers these chains yet).';
  const problems = table(
    ['Kind', 'Chain', 'Sequence', 'Detail'],
    v.problems.map((p) => [e(p.kind), code(p.chainId), e(p.sequence), e(p.detail)]),
    '',
    [2],
  );
  return `<p>${badge} ${v.records} record(s) in ${v.chains} chain(s) re-hashed and linked. ${anchor}</p><p class="meta">${e(v.note)}</p>${v.problems.length ? problems : ''}`;
}

export function renderPeriodHtml(report: PeriodReport): string {
  const t = report.totals;
  const gaps = report.findings.filter((f) => f.kind === 'coverage-gap').length;
  const headline =
    report.findings.length === 0
      ? '<span class="badge ok">no findings</span>'
      : `<span class="badge bad">${report.findings.length} finding(s)</span>`;
  const card = (label: string, value: number | string) =>
    `<div class="card"><b>${e(value)}</b>${e(label)}</div>`;
  const controlRows = CONTROL_IDS.map((id) => {
    const c = report.byControl[id];
    const scope = report.scope.controls.find((x) => x.id === id);
    return [code(id), e(scope?.mode), ...COUNT_KEYS.map((k) => String(c?.[k] ?? 0))];
  });
  const pop = report.populations;
  const l = report.listed;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>driftwarden evidence report ${e(report.period.from)} – ${e(report.period.to)}</title><style>${STYLE}</style></head>
<body>
<h1>SOC 2 evidence report: ${e(report.period.from)} to ${e(report.period.to)}</h1>
<p class="meta">Report <code>${e(report.id)}</code> · generated ${e(report.generatedAt)} by ${e(report.tool.name)} ${e(report.tool.version)} · ${report.scope.subscriptions.length} subscription(s) · ${headline}</p>
<div class="cards">${card('records in period', t.records)}${card('evaluated', t.evaluated)}${card('remediated', t.remediated)}${card('open (audit)', t.audit)}${card('remediation failed', t.failed)}${card('exempt', t.exempt)}${card('restored', t.restored)}${card('coverage gaps', gaps)}</div>
<h2>Findings (${report.findings.length})</h2>${table(
    ['Severity', 'Kind', 'Detail'],
    report.findings.map((f) => [e(f.severity), e(f.kind), e(f.detail)]),
    'None: every month was swept for every subscription, the evidence verifies, and no finding stayed open.',
  )}
<h2>Scope</h2>
<h3>Subscriptions</h3><p>${report.scope.subscriptions.map(code).join(' ') || '<span class="empty">none configured</span>'}</p>
<h3>Controls and modes</h3>${table(
    ['Control', 'Title', 'Severity', 'Mode', 'SOC 2 criteria', 'Azure Policy definitions'],
    report.scope.controls.map((c) => [
      code(c.id),
      e(c.title),
      e(c.severity),
      e(c.mode),
      e(c.criteria.join(', ')),
      c.azurePolicyDefinitionIds.map(code).join('<br>'),
    ]),
    'No controls.',
  )}
<h3>Criteria map (TSC → control → Azure Policy)</h3>${table(
    ['Criterion', 'Control', 'Azure Policy definition ids'],
    report.scope.criteriaMap.map((r) => [
      e(r.criterion),
      `${code(r.controlId)} ${e(r.controlTitle)}`,
      r.azurePolicyDefinitionIds.map(code).join('<br>'),
    ]),
    'No criteria.',
  )}
<h2>Evidence verification</h2>${verification(report)}
<h2>Coverage: monthly sweep per subscription</h2>${coverageGrid(report)}
<h2>Charts</h2>${charts(report)}
<h2>Decisions per control</h2>${table(['Control', 'Mode', ...COUNT_KEYS], controlRows, '', [2, 3, 4, 5, 6, 7, 8, 9])}
<h2>Remediations (${pop.remediations ?? 0})</h2>${more(l.remediations.length, pop.remediations ?? 0, 'remediations.csv')}${table(
    ['Detected', 'Reverted', 'TTR (s)', 'Control', 'Resource', 'By', 'Actor', 'Evidence'],
    l.remediations.map((r) => [
      `${e(r.detectedAt)}<br>${e(r.detectedBy)}`,
      e(r.revertedAt),
      e(r.ttrSeconds),
      code(r.controlId),
      `${code(r.resourceId)}${r.ruleName ? `<br>rule ${code(r.ruleName)}` : ''}`,
      e(r.action),
      e(r.actor),
      `${code(r.recordId)}<br>${e(r.chainId)} #${r.sequence}`,
    ]),
    'No remediations in the period.',
    [2],
  )}
<h2>Failures and open findings (${pop.failures ?? 0})</h2>${more(l.failures.length, pop.failures ?? 0, 'failures.csv')}${table(
    ['First seen', 'Control', 'Resource', 'Outcome', 'Seen', 'How it ended', 'Record'],
    l.failures.map((f) => [
      e(f.firstSeen),
      code(f.controlId),
      `${code(f.resourceId)}${f.ruleName ? `<br>rule ${code(f.ruleName)}` : ''}`,
      `${e(f.outcome)}<br>${e(f.message)}`,
      `${f.occurrences}× until ${e(f.lastSeen)}`,
      f.ended === 'open'
        ? '<span class="badge warn">open at period end</span>'
        : `${e(f.ended)} ${e(f.endedAt)}<br>${code(f.endedRecordId)}`,
      code(f.recordId),
    ]),
    'No failures in the period.',
  )}
<h2>Exceptions (${pop.exceptions ?? 0})</h2>${more(l.exceptions.length, pop.exceptions ?? 0, 'exceptions.csv')}${table(
    ['Id', 'Control', 'Scope', 'Justification', 'Requested / approved', 'Expiry', 'Ended', 'Uses'],
    l.exceptions.map((x) => [
      code(x.id),
      code(x.controlId),
      `${code(x.scope)}${x.ruleName ? `<br>rule ${code(x.ruleName)}` : ''}`,
      `${e(x.justification)}<br>ticket ${e(x.ticket)}<br>${e(x.origin)}`,
      `${e(x.requestedBy)} / ${e(x.approvedBy)}<br>${e(x.approvedOn)}`,
      e(x.expiresOn),
      `${e(x.ended)}${x.revokedBy ? `<br>by ${e(x.revokedBy)}` : ''}`,
      String(x.usesInPeriod),
    ]),
    'No exception was in force during the period.',
    [7],
  )}
<h2>Restores (${pop.restores ?? 0})</h2>${more(l.restores.length, pop.restores ?? 0, 'restores.csv')}${table(
    ['Time', 'Approver', 'Control', 'Resource', 'Justification', 'Exception', 'Record'],
    l.restores.map((r) => [
      e(r.time),
      e(r.approver),
      code(r.controlId),
      code(r.resourceId),
      e(r.justification),
      code(r.exceptionId),
      code(r.recordId),
    ]),
    'No restores in the period.',
  )}
<h2>Sweeps (${report.sweeps.length})</h2>${table(
    [
      'Month',
      'Subscription',
      'Sweep',
      'Records',
      'First',
      'Last',
      'Pass',
      'Remediated',
      'Audit',
      'Failed',
      'Exempt',
    ],
    report.sweeps.map((s) => [
      e(s.month),
      code(s.subscriptionId),
      code(s.sweepId),
      String(s.records),
      e(s.firstRecord),
      e(s.lastRecord),
      String(s.counts.pass),
      String(s.counts.remediated),
      String(s.counts.audit),
      String(s.counts.failed),
      String(s.counts.exempt),
    ]),
    'No sweep evidence in the period.',
    [3, 6, 7, 8, 9, 10],
  )}
<h2>Files of this report</h2>${table(
    ['File', 'Rows', 'Bytes', 'SHA-256'],
    report.files.map((f) => [code(f.file), e(f.rows), String(f.bytes), code(f.sha256)]),
    'No files.',
    [1, 2],
  )}
<p class="meta">How to verify: <code>driftwarden verify</code> recomputes every chain; <code>driftwarden audit sample --from ${e(report.period.from)} --to ${e(report.period.to)} --population remediations --size 25 --seed S</code> draws a reproducible sample with each item's record, chain position and hash.</p>
</body></html>
`;
}
