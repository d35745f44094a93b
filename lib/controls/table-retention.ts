import type { LogAnalyticsTableResource } from './types.js';

/**
 * How long a workspace table keeps data in total, as Log Analytics resolves it: the table's
 * totalRetentionInDays, which defaults to its retentionInDays (interactive), which defaults to
 * the workspace's retentionInDays. A table following the defaults therefore follows the
 * workspace, also after the workspace's retention changes. Pure.
 */
export function totalRetentionDays(table: LogAnalyticsTableResource, workspaceDays: number): number {
  return table.totalRetentionInDays ?? table.retentionInDays ?? workspaceDays;
}

export interface ShortTable {
  name: string;
  days: number;
}

/**
 * The tables that keep data for less than `minimum` days in total by their own settings: judged
 * with the workspace at `workspaceDays` — pass the workspace's retention as LAW-RETENTION would
 * leave it (at least the minimum), so a table that only inherits a short workspace is the
 * workspace's finding, not its own. In name order.
 */
export function shortTables(
  tables: readonly LogAnalyticsTableResource[],
  workspaceDays: number,
  minimum: number,
): ShortTable[] {
  return tables
    .map((table) => ({ name: table.name, days: totalRetentionDays(table, workspaceDays) }))
    .filter((table) => table.days < minimum)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `A (30 days), B (90 days)`, at most `max` names then `and N more`. */
export function describeTables(tables: readonly ShortTable[], max = 10): string {
  const named = tables.slice(0, max).map((table) => `${table.name} (${table.days} days)`);
  const more = tables.length > max ? ` and ${tables.length - max} more` : '';
  return `${named.join(', ')}${more}`;
}
