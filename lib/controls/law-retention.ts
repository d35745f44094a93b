import { describeSelection, isAuditWorkspace } from './audit-workspaces.js';
import { defineControl } from './define.js';
import { count } from './fields.js';
import { describeTables, shortTables } from './table-retention.js';
import type { Finding } from './types.js';

/** What a workspace keeps when retentionInDays is not reported: the service default. */
const DEFAULT_WORKSPACE_DAYS = 30;

/**
 * Audit evidence must outlive the audit period: SOC 2 Type II looks back 6-12 months, and a
 * workspace left at (or put back to) the 30-day default loses it silently. Remediated: raising
 * retention only keeps more data (it costs storage, never evidence).
 *
 * Tables: a table can keep less than its workspace (its own retentionInDays /
 * totalRetentionInDays). Those are flagged on the workspace's finding, naming the tables, and
 * never changed automatically (a table's retention is its owner's cost decision). Tables are
 * judged when they are known (`related.tables`: the event path and the sweep list them, a
 * document holds them); the check after a remediation judges the workspace it wrote.
 *
 * Which workspaces: all, or the audit workspaces selected by tag or id (audit-workspaces.ts);
 * any other workspace is not applicable.
 */
export const lawRetention = defineControl({
  id: 'LAW-RETENTION',
  title: 'Log Analytics workspaces must retain logs for at least 12 months',
  severity: 'high',
  criteria: ['CC7.2', 'CC7.3'],
  // No built-in audits workspace retention; the closest is activity log retention of at least a year.
  azurePolicyDefinitionIds: ['b02aacc0-b073-424e-8298-42b22829ee0a'],
  resourceKinds: ['logAnalyticsWorkspace'],
  defaultMode: 'remediate',
  remediationDescription:
    'Set the workspace retentionInDays to the configured minimum (DW_LOG_RETENTION_DAYS, default 365); tables keeping less in total are reported, not changed.',
  // absent: the service default (30 days) applies
  reads: { retentionInDays: count(['retentionInDays'], { restoreNullAs: DEFAULT_WORKSPACE_DAYS }) },
  writes: { retentionInDays: 365 },
  evaluate(resource, settings, verdict, related): Finding[] {
    if (!isAuditWorkspace(resource, settings)) {
      return [verdict.notApplicable(`Not an audit workspace (${describeSelection(settings)}).`)];
    }
    const minimum = settings.logRetentionDays;
    const days = resource.retentionInDays;
    const tables = related.tables(resource.id);
    // judged as the remediation would leave the workspace: inheriting tables follow it
    const short = shortTables(tables ?? [], Math.max(days ?? DEFAULT_WORKSPACE_DAYS, minimum), minimum);
    const tablesNote =
      short.length === 0
        ? ''
        : ` ${short.length} table(s) keep less than ${minimum} days in total by their own setting: ${describeTables(short)} (not changed automatically: raise their totalRetentionInDays).`;
    if (days !== null && days >= minimum) {
      if (short.length > 0) {
        return [
          verdict.fail(`Workspace retains data for ${days} days, but${tablesNote}`, { remediation: null }),
        ];
      }
      const checked =
        tables === undefined
          ? ' Its tables were not read.'
          : ` Its ${tables.length} table(s) keep at least that.`;
      return [verdict.pass(`Workspace retains data for ${days} days (minimum ${minimum}).${checked}`)];
    }
    const why =
      days === null
        ? `retentionInDays is not reported, so the ${DEFAULT_WORKSPACE_DAYS}-day default applies (minimum ${minimum}).`
        : `Workspace retains data for ${days} days, below the ${minimum}-day minimum for audit evidence.`;
    // the configured minimum, not the catalog default
    return [
      verdict.fail(`${why}${tablesNote}`, {
        remediation: { kind: 'workspace-properties', set: { retentionInDays: minimum } },
      }),
    ];
  },
});
