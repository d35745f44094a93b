import type { Finding, FindingStatus } from '../controls/types.js';

const STATUS_LABEL: Record<FindingStatus, string> = {
  fail: 'FAIL',
  unknown: 'UNKNOWN',
  exempt: 'EXEMPT',
  pass: 'pass',
  'not-applicable': 'n/a',
};

function resourceLabel(finding: Finding): string {
  const name = finding.resourceId.split('/').filter(Boolean).at(-1) ?? finding.resourceId;
  return finding.ruleName && !finding.resourceId.toLowerCase().endsWith(`/${finding.ruleName.toLowerCase()}`)
    ? `${name}/${finding.ruleName}`
    : name;
}

function clipCell(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * A terminal table: one row per finding, except that a resource nobody judges collapses to one
 * `n/a` row instead of one per control. Messages are cut to the terminal width when known.
 */
export function renderTable(findings: readonly Finding[], columns?: number): string {
  const rows: string[][] = [];
  const collapsed = new Set<string>();
  for (const finding of findings) {
    const unjudged =
      finding.status === 'not-applicable' && finding.message.startsWith('driftwarden does not judge');
    if (unjudged) {
      const key = `${finding.resourceId}\u0000${finding.resourceType}`;
      if (collapsed.has(key)) continue;
      collapsed.add(key);
      rows.push([STATUS_LABEL[finding.status], '-', '-', resourceLabel(finding), finding.message]);
      continue;
    }
    const exemption = finding.exceptionId ? ` [${finding.exceptionId}]` : '';
    rows.push([
      STATUS_LABEL[finding.status],
      finding.controlId,
      finding.severity,
      resourceLabel(finding),
      `${finding.message}${exemption}`,
    ]);
  }
  const header = ['STATUS', 'CONTROL', 'SEVERITY', 'RESOURCE', 'MESSAGE'];
  const widths = header
    .slice(0, 4)
    .map((title, column) =>
      Math.min(48, Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length))),
    );
  const fixed = widths.reduce((sum, width) => sum + width + 2, 0);
  const messageWidth = columns && columns > fixed + 20 ? columns - fixed : Number.POSITIVE_INFINITY;
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column];
        return width === undefined ? clipCell(cell, messageWidth) : clipCell(cell, width).padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const counts = new Map<FindingStatus, number>();
  for (const finding of findings) counts.set(finding.status, (counts.get(finding.status) ?? 0) + 1);
  // `unknown` only appears for review-time input; listed only then, so live output is unchanged.
  const statuses = counts.has('unknown')
    ? (['fail', 'unknown', 'exempt', 'pass', 'not-applicable'] as const)
    : (['fail', 'exempt', 'pass', 'not-applicable'] as const);
  const summary = statuses.map((status) => `${counts.get(status) ?? 0} ${status}`).join(', ');
  return [line(header), ...rows.map(line), '', `${findings.length} findings: ${summary}`, ''].join('\n');
}
