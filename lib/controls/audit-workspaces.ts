import type { EvaluationSettings, LogAnalyticsWorkspaceResource } from './types.js';

/**
 * Which Log Analytics workspaces are audit workspaces: every workspace unless a selection is
 * configured (DW_AUDIT_WORKSPACE_TAG: tagged `<name>=true`; DW_AUDIT_WORKSPACE_IDS: listed by id,
 * compared case-insensitively as ARM compares ids). The workspace DIAG-RESOURCE-LOGS sends to
 * (DW_DIAG_WORKSPACE_ID) is one by definition. Pure.
 */

type Selection = Pick<
  EvaluationSettings,
  'auditWorkspaceTag' | 'auditWorkspaceIds' | 'diagnosticWorkspaceId'
>;

/** True when some selection is configured (otherwise every workspace is an audit workspace). */
export function selectsAuditWorkspaces(settings: Selection): boolean {
  return settings.auditWorkspaceTag !== null || settings.auditWorkspaceIds !== null;
}

export function isAuditWorkspace(
  workspace: Pick<LogAnalyticsWorkspaceResource, 'id' | 'tags'>,
  settings: Selection,
): boolean {
  if (!selectsAuditWorkspaces(settings)) return true;
  const id = workspace.id.trim().toLowerCase();
  if (settings.diagnosticWorkspaceId?.toLowerCase() === id) return true;
  if (settings.auditWorkspaceIds?.some((listed) => listed.toLowerCase() === id)) return true;
  const tag = settings.auditWorkspaceTag?.trim().toLowerCase();
  if (!tag) return false;
  return Object.entries(workspace.tags).some(
    ([name, value]) => name.trim().toLowerCase() === tag && value.trim().toLowerCase() === 'true',
  );
}

/** How the selection is configured, for messages. */
export function describeSelection(settings: Selection): string {
  const ways: string[] = [];
  if (settings.auditWorkspaceTag !== null) ways.push(`tagged ${settings.auditWorkspaceTag}=true`);
  if (settings.auditWorkspaceIds !== null) ways.push('listed in DW_AUDIT_WORKSPACE_IDS');
  if (settings.diagnosticWorkspaceId !== null) ways.push('the DW_DIAG_WORKSPACE_ID destination');
  return ways.join(', or ');
}
