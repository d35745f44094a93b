import { describe, expect, it } from 'vitest';
import { parseResourceId } from '../../../lib/azure/resource-id.js';
import { relatedFromDocument } from '../../../lib/controls/related.js';
import { defaultEvaluationSettings } from '../../../lib/controls/settings.js';
import { evaluateDocument } from '../../../lib/evaluate.js';
import { resourceToEvaluate } from '../../../lib/events/handle.js';
import { parseResourceChange } from '../../../lib/events/parse.js';
import { normalizeResource } from '../../../lib/resources/normalize.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const ACCOUNT = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stphi`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-phi`;
const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law-audit`;
const BLOB_SETTING = `${ACCOUNT}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/to-law`;

describe('diagnostic setting ids (extension resources)', () => {
  it('parse to the setting, its scope and the resource judged for it', () => {
    const parsed = parseResourceId(BLOB_SETTING);
    expect(parsed).toMatchObject({
      ok: true,
      id: {
        target: 'diagnosticSetting',
        childName: 'to-law',
        scope: { id: `${ACCOUNT}/blobServices/default`, resourceId: ACCOUNT },
      },
    });
    expect(parseResourceId(`${VAULT}/providers/microsoft.insights/diagnosticsettings/x`)).toMatchObject({
      ok: true,
      id: { target: 'diagnosticSetting', scope: { id: VAULT, resourceId: VAULT } },
    });
  });

  it('refuse a hostile scope or name, and ignore scopes driftwarden does not judge', () => {
    expect(
      parseResourceId(
        `${ACCOUNT.replace('stphi', 'ST_PHI')}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/x`,
      ).ok,
    ).toBe(false);
    expect(parseResourceId(`${VAULT}/providers/Microsoft.Insights/diagnosticSettings/a%2Fb`).ok).toBe(false);
    const vm = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Insights/diagnosticSettings/x`;
    expect(parseResourceId(vm)).toEqual({ ok: true, id: null });
  });

  it('a delete event of a setting re-evaluates the resource it belongs to', () => {
    const change = parseResourceChange({
      id: 'evt-1',
      eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
      subject: BLOB_SETTING,
      eventTime: '2026-12-01T10:00:00Z',
      data: {
        operationName: 'Microsoft.Insights/diagnosticSettings/delete',
        resourceUri: BLOB_SETTING,
        claims: { upn: 'alice@contoso.example' },
      },
      dataVersion: '2',
    });
    expect(change).toMatchObject({
      target: 'diagnosticSetting',
      change: 'delete',
      actor: 'alice@contoso.example',
    });
    expect(resourceToEvaluate(change)).toBe(ACCOUNT);
  });

  it('an operation naming another type than the id is refused', () => {
    expect(() =>
      parseResourceChange({
        id: 'evt-2',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        subject: VAULT,
        data: { operationName: 'Microsoft.Insights/diagnosticSettings/write' },
      }),
    ).toThrow(/does not match/);
  });
});

describe('what evaluate knows about related resources', () => {
  const setting = (workspaceId: string, enabled = true) => ({
    id: `${VAULT}/providers/Microsoft.Insights/diagnosticSettings/to-law`,
    type: 'Microsoft.Insights/diagnosticSettings',
    properties: { workspaceId, logs: [{ category: 'AuditEvent', enabled }] },
  });
  const vault = { id: VAULT, type: 'Microsoft.KeyVault/vaults', properties: { enableSoftDelete: true } };
  const workspace = (days: number) => ({
    id: WORKSPACE,
    type: 'Microsoft.OperationalInsights/workspaces',
    properties: { retentionInDays: days },
  });
  const diag = (doc: unknown[]) =>
    evaluateDocument(doc).find((f) => f.controlId === 'DIAG-RESOURCE-LOGS' && f.resourceId === VAULT);

  it('diagnostic settings are known once the document holds any; workspaces and keys only when present', () => {
    const index = relatedFromDocument([normalizeResource(setting(WORKSPACE))].flatMap((r) => (r ? [r] : [])));
    expect(index.diagnosticSettings(VAULT)).toHaveLength(1);
    expect(index.diagnosticSettings(ACCOUNT)).toEqual([]);
    expect(index.workspace(WORKSPACE)).toBeUndefined();
    expect(index.vaultKey('https://kv-phi.vault.azure.net/', 'cmk')).toBeUndefined();
  });

  it('DIAG-RESOURCE-LOGS: pass, fail on short retention or a disabled category, n/a when the workspace is missing', () => {
    expect(diag([vault, setting(WORKSPACE), workspace(365)])?.status).toBe('pass');
    expect(diag([vault, setting(WORKSPACE), workspace(90)])?.message).toMatch(/keeps 90 days/);
    expect(diag([vault, setting(WORKSPACE, false), workspace(365)])?.status).toBe('fail');
    expect(diag([vault, setting(WORKSPACE)])?.status).toBe('not-applicable');
    const noWorkspace = {
      ...setting(WORKSPACE),
      properties: { storageAccountId: ACCOUNT, logs: [{ category: 'AuditEvent', enabled: true }] },
    };
    expect(diag([vault, noWorkspace])?.message).toMatch(/sends to no Log Analytics workspace/);
  });

  it('honours DW_LOG_RETENTION_DAYS through the settings', () => {
    const findings = evaluateDocument([workspace(400)], {
      settings: {
        ...defaultEvaluationSettings,
        phiTagName: 'data-classification',
        phiTagValues: ['phi'],
        managementPorts: ['22'],
        internetPrefixMaxLength: 16,
        logRetentionDays: 730,
      },
    });
    expect(findings.find((f) => f.controlId === 'LAW-RETENTION')).toMatchObject({
      status: 'fail',
      remediation: { kind: 'workspace-properties', set: { retentionInDays: 730 } },
    });
  });
});
