import { defineControl } from './define.js';
import { count } from './fields.js';
import type { Finding } from './types.js';

/**
 * Audit evidence must outlive the audit period: SOC 2 Type II looks back 6-12 months, and a
 * workspace left at (or put back to) the 30-day default loses it silently. Remediated: raising
 * retention only keeps more data (it costs storage, never evidence).
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
    'Set the workspace retentionInDays to the configured minimum (DW_LOG_RETENTION_DAYS, default 365).',
  // absent: the service default (30 days) applies
  reads: { retentionInDays: count(['retentionInDays'], { restoreNullAs: 30 }) },
  writes: { retentionInDays: 365 },
  evaluate(resource, settings, verdict): Finding[] {
    const minimum = settings.logRetentionDays;
    const days = resource.retentionInDays;
    if (days !== null && days >= minimum) {
      return [verdict.pass(`Workspace retains data for ${days} days (minimum ${minimum}).`)];
    }
    const why =
      days === null
        ? `retentionInDays is not reported, so the 30-day default applies (minimum ${minimum}).`
        : `Workspace retains data for ${days} days, below the ${minimum}-day minimum for audit evidence.`;
    // the configured minimum, not the catalog default
    return [
      verdict.fail(why, {
        remediation: { kind: 'workspace-properties', set: { retentionInDays: minimum } },
      }),
    ];
  },
});
