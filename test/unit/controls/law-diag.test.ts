import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config.js';
import { isAuditWorkspace } from '../../../lib/controls/audit-workspaces.js';
import { DRIFTWARDEN_DIAGNOSTIC_SETTING } from '../../../lib/controls/diag-resource-logs.js';
import { defaultEvaluationSettings, evaluationSettingsFromConfig } from '../../../lib/controls/settings.js';
import { shortTables, totalRetentionDays } from '../../../lib/controls/table-retention.js';
import type { EvaluationSettings, Finding, LogAnalyticsTableResource } from '../../../lib/controls/types.js';
import { evaluateDocument } from '../../../lib/evaluate.js';
import { resourceToEvaluate } from '../../../lib/events/handle.js';
import { parseResourceChange } from '../../../lib/events/parse.js';
import { normalizeResource } from '../../../lib/resources/normalize.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-audit`;
const OTHER = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.OperationalInsights/workspaces/law-app`;
const NSG = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Network/networkSecurityGroups/nsg-web`;

const workspace = (id: string, days: number, tags: Record<string, string> = {}) => ({
  id,
  type: 'Microsoft.OperationalInsights/workspaces',
  tags,
  properties: { retentionInDays: days },
});
/** A table as ARM returns it: values resolved, `...AsDefault` saying which were derived. */
const table = (name: string, days: { retention?: number; total?: number }, workspaceDays = 365) => {
  const retention = days.retention ?? workspaceDays;
  const total = days.total ?? retention;
  return {
    id: `${WORKSPACE}/tables/${name}`,
    name,
    type: 'Microsoft.OperationalInsights/workspaces/tables',
    properties: {
      plan: 'Analytics',
      retentionInDays: retention,
      totalRetentionInDays: total,
      archiveRetentionInDays: total - retention,
      retentionInDaysAsDefault: days.retention === undefined,
      totalRetentionInDaysAsDefault: days.total === undefined,
    },
  };
};

function law(document: unknown[], settings: Partial<EvaluationSettings> = {}): Finding | undefined {
  return evaluateDocument(document, { settings: { ...defaultEvaluationSettings, ...settings } }).find(
    (f) => f.controlId === 'LAW-RETENTION',
  );
}

function normalizedTable(raw: unknown): LogAnalyticsTableResource {
  const resource = normalizeResource(raw);
  if (resource?.kind !== 'logAnalyticsTable') throw new Error('not a table');
  return resource;
}

describe('workspace tables: what is set on the table, and what it keeps in total', () => {
  it('reads a value ARM derived (AsDefault, or -1 on write) as "the default", and an own value as set', () => {
    expect(normalizedTable(table('AzureActivity', {}))).toMatchObject({
      workspaceId: WORKSPACE,
      retentionInDays: null,
      totalRetentionInDays: null,
    });
    expect(normalizedTable(table('StorageBlobLogs', { retention: 90, total: 400 }))).toMatchObject({
      retentionInDays: 90,
      totalRetentionInDays: 400,
    });
    // a template / az input with -1 (the default) and no AsDefault flags; the az shape is flattened
    const az = { id: `${WORKSPACE}/tables/AuditLogs_CL`, retentionInDays: -1, totalRetentionInDays: 60 };
    expect(normalizedTable(az)).toMatchObject({ retentionInDays: null, totalRetentionInDays: 60 });
  });

  it('total retention defaults to interactive retention, which defaults to the workspace', () => {
    const inherit = normalizedTable(table('A', {}));
    const own = normalizedTable(table('B', { retention: 90 }));
    const archived = normalizedTable(table('C', { retention: 30, total: 730 }));
    expect(totalRetentionDays(inherit, 120)).toBe(120);
    expect(totalRetentionDays(own, 120)).toBe(90);
    expect(totalRetentionDays(archived, 120)).toBe(730);
    // a table following the workspace is the workspace's finding: judged at the remediated retention
    expect(shortTables([inherit, own, archived], 365, 365)).toEqual([{ name: 'B', days: 90 }]);
  });
});

describe('LAW-RETENTION with tables', () => {
  it('flags a compliant workspace whose table keeps 30 days in total, naming it, with no automatic remediation', () => {
    const finding = law([
      workspace(WORKSPACE, 365),
      table('AzureDiagnostics', {}),
      table('StorageBlobLogs', { retention: 30 }),
      table('SigninLogs', { retention: 90, total: 730 }),
    ]);
    expect(finding?.status).toBe('fail');
    expect(finding?.remediation).toBeUndefined();
    expect(finding?.message).toMatch(/StorageBlobLogs \(30 days\)/);
    expect(finding?.message).not.toMatch(/AzureDiagnostics|SigninLogs/);
  });

  it('a short workspace is remediated; its own short tables are named in the same finding', () => {
    const finding = law([
      workspace(WORKSPACE, 30),
      table('AzureDiagnostics', {}, 30),
      table('StorageBlobLogs', { total: 60 }, 30),
    ]);
    expect(finding).toMatchObject({
      status: 'fail',
      remediation: { kind: 'workspace-properties', set: { retentionInDays: 365 } },
    });
    expect(finding?.message).toMatch(/StorageBlobLogs \(60 days\)/);
    expect(finding?.message).not.toMatch(/AzureDiagnostics/);
  });

  it('passes when every table keeps at least the minimum, and says when tables were not read', () => {
    expect(law([workspace(WORKSPACE, 365), table('A', {}), table('B', { total: 400 })])).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/2 table\(s\)/),
    });
    expect(law([workspace(WORKSPACE, 365)])?.message).toMatch(/tables were not read/);
  });

  it('a table write event re-evaluates its workspace', () => {
    const id = `${WORKSPACE}/tables/StorageBlobLogs`;
    const change = parseResourceChange({
      id: 'evt-t',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      subject: id,
      eventTime: '2026-12-01T10:00:00Z',
      data: { operationName: 'Microsoft.OperationalInsights/workspaces/tables/write', resourceUri: id },
      dataVersion: '2',
    });
    expect(change.target).toBe('logAnalyticsTable');
    expect(resourceToEvaluate(change)).toBe(WORKSPACE);
  });
});

describe('audit workspace selection', () => {
  const tagged = { id: OTHER, tags: { 'DW-Audit': 'True' } };
  it('selects every workspace by default; by tag (value true) or by id (case-insensitive) when configured', () => {
    const none = { auditWorkspaceTag: null, auditWorkspaceIds: null, diagnosticWorkspaceId: null };
    expect(isAuditWorkspace({ id: OTHER, tags: {} }, none)).toBe(true);
    const byTag = { ...none, auditWorkspaceTag: 'dw-audit' };
    expect(isAuditWorkspace(tagged, byTag)).toBe(true);
    expect(isAuditWorkspace({ id: OTHER, tags: { 'dw-audit': 'false' } }, byTag)).toBe(false);
    const byId = { ...none, auditWorkspaceIds: [WORKSPACE.toUpperCase()] };
    expect(isAuditWorkspace({ id: WORKSPACE, tags: {} }, byId)).toBe(true);
    expect(isAuditWorkspace({ id: OTHER, tags: {} }, byId)).toBe(false);
    // the DIAG remediation's destination is an audit workspace by definition
    expect(isAuditWorkspace({ id: OTHER, tags: {} }, { ...byId, diagnosticWorkspaceId: OTHER })).toBe(true);
  });

  it('a workspace outside the selection is not applicable, however short', () => {
    const settings = { auditWorkspaceIds: [WORKSPACE.toLowerCase()] };
    expect(law([workspace(OTHER, 30)], settings)).toMatchObject({
      status: 'not-applicable',
      message: expect.stringMatching(/Not an audit workspace/),
    });
    expect(law([workspace(WORKSPACE, 30)], settings)?.status).toBe('fail');
  });

  it('DIAG-RESOURCE-LOGS accepts only an audit workspace as destination once a selection is configured', () => {
    const setting = {
      id: `${NSG}/providers/Microsoft.Insights/diagnosticSettings/to-app`,
      properties: { workspaceId: OTHER, logs: [{ categoryGroup: 'allLogs', enabled: true }] },
    };
    const doc = [{ id: NSG, properties: { securityRules: [] } }, setting, workspace(OTHER, 400)];
    const diag = (settings: Partial<EvaluationSettings>) =>
      evaluateDocument(doc, { settings: { ...defaultEvaluationSettings, ...settings } }).find(
        (f) => f.controlId === 'DIAG-RESOURCE-LOGS',
      );
    expect(diag({})?.status).toBe('pass');
    expect(diag({ auditWorkspaceIds: [WORKSPACE.toLowerCase()] })).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/law-app is not an audit workspace/),
    });
  });
});

describe('DIAG-RESOURCE-LOGS remediation plan', () => {
  const nsgOnly = [{ id: NSG, properties: { securityRules: [] } }, workspace(WORKSPACE, 365)];
  const withSettingsKnown = [
    ...nsgOnly,
    // a setting elsewhere makes the document's diagnostic settings complete: the NSG has none
    {
      id: `${WORKSPACE}/providers/Microsoft.Insights/diagnosticSettings/self`,
      properties: { workspaceId: WORKSPACE, logs: [{ category: 'Audit', enabled: true }] },
    },
  ];
  const diag = (doc: unknown[], settings: Partial<EvaluationSettings>) =>
    evaluateDocument(doc, { settings: { ...defaultEvaluationSettings, ...settings } }).find(
      (f) => f.controlId === 'DIAG-RESOURCE-LOGS' && f.resourceId === NSG,
    );

  it('with a destination configured, the failure carries the setting to create: the audit categories to that workspace', () => {
    expect(diag(withSettingsKnown, { diagnosticWorkspaceId: WORKSPACE })).toMatchObject({
      status: 'fail',
      remediation: {
        kind: 'diagnostic-setting',
        scopeId: NSG,
        name: DRIFTWARDEN_DIAGNOSTIC_SETTING,
        workspaceId: WORKSPACE,
        categories: ['NetworkSecurityGroupEvent'],
      },
    });
    expect(diag(withSettingsKnown, {})?.remediation).toBeUndefined();
  });

  it('creates nothing when the configured destination fails LAW-RETENTION itself', () => {
    const short = withSettingsKnown.map((r) => (r.id === WORKSPACE ? workspace(WORKSPACE, 30) : r));
    const finding = diag(short, { diagnosticWorkspaceId: WORKSPACE });
    expect(finding?.status).toBe('fail');
    expect(finding?.remediation).toBeUndefined();
    expect(finding?.message).toMatch(/configured destination fails too/);
  });
});

describe('configuration', () => {
  const base = { DW_STORAGE: 'UseDevelopmentStorage=true' };
  it('reads the audit workspace selection and the diagnostic destination', () => {
    const settings = evaluationSettingsFromConfig(
      loadConfig({
        ...base,
        DW_AUDIT_WORKSPACE_TAG: 'dw-audit',
        DW_AUDIT_WORKSPACE_IDS: `${WORKSPACE}, ${OTHER.toUpperCase()}`,
        DW_DIAG_WORKSPACE_ID: WORKSPACE,
      }),
    );
    expect(settings).toMatchObject({
      auditWorkspaceTag: 'dw-audit',
      auditWorkspaceIds: [WORKSPACE.toLowerCase(), OTHER.toLowerCase()],
      diagnosticWorkspaceId: WORKSPACE,
    });
  });

  it('refuses ids that are not workspaces, and remediate mode without a destination', () => {
    expect(() => loadConfig({ ...base, DW_AUDIT_WORKSPACE_IDS: NSG })).toThrow(/DW_AUDIT_WORKSPACE_IDS/);
    expect(() => loadConfig({ ...base, DW_DIAG_WORKSPACE_ID: 'law-audit' })).toThrow(/DW_DIAG_WORKSPACE_ID/);
    expect(() => loadConfig({ ...base, DW_CONTROL_MODES: 'DIAG-RESOURCE-LOGS=remediate' })).toThrow(
      /DW_DIAG_WORKSPACE_ID.*DIAG-RESOURCE-LOGS=remediate/,
    );
    expect(
      loadConfig({
        ...base,
        DW_CONTROL_MODES: 'DIAG-RESOURCE-LOGS=remediate',
        DW_DIAG_WORKSPACE_ID: WORKSPACE,
      }).diagnosticWorkspaceId,
    ).toBe(WORKSPACE);
  });
});
