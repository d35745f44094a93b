/**
 * Log Analytics tables and diagnostic settings as ARM serves them, through the real SDKs
 * (@azure/arm-operationalinsights 9, @azure/arm-monitor 7) and raw requests for what the SDKs
 * hide: defaults resolved against the workspace on every read, one list response, long-running
 * table writes, the retention ranges the service enforces, and the errors a bad write gets.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonitorClient } from '@azure/arm-monitor';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox, unsignedJwt } from '../../../lib/dev/arm-sandbox/index.js';
import { rawRequest, SUBSCRIPTION } from './helpers.js';

const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-mon`;
const WORKSPACE = `${RG}/providers/Microsoft.OperationalInsights/workspaces/law-mon`;
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-mon`;
const TABLES_API = 'api-version=2022-10-01';
const auth = { authorization: `Bearer ${unsignedJwt({ upn: 'carol@contoso.com' })}` };

describe('ARM sandbox: Log Analytics tables and diagnostic settings', () => {
  let sandbox: Sandbox;
  let insights: OperationalInsightsManagementClient;
  let monitor: MonitorClient;
  const poll = { updateIntervalInMs: 10 };

  beforeAll(async () => {
    // page size 1: a list that paged would need a nextLink for the second table
    sandbox = await startSandbox({ pageSize: 1, certDir: mkdtempSync(join(tmpdir(), 'dw-mon-')) });
    const credential = sandbox.credential({ upn: 'carol@contoso.com' });
    insights = new OperationalInsightsManagementClient(credential, SUBSCRIPTION, sandbox.clientOptions());
    monitor = new MonitorClient(credential, SUBSCRIPTION, sandbox.clientOptions());
  });
  afterAll(() => sandbox.stop());
  beforeEach(() => {
    sandbox.reset();
    sandbox.seed({
      resources: [
        { id: WORKSPACE, location: 'westeurope', properties: { retentionInDays: 90 } },
        { id: `${WORKSPACE}/tables/AzureDiagnostics`, properties: {} },
        {
          id: `${WORKSPACE}/tables/SigninLogs`,
          properties: { retentionInDays: 180, totalRetentionInDays: 730 },
        },
        { id: `${WORKSPACE}/tables/ContainerLogV2`, properties: { plan: 'Basic' } },
        { id: NSG, location: 'westeurope', properties: { securityRules: [] } },
      ],
    });
  });

  it('lists every table in one response (no nextLink), with the defaults resolved and flagged', async () => {
    const listed = await rawRequest(`${sandbox.url}${WORKSPACE}/tables?${TABLES_API}`, sandbox.caCertPem, {
      headers: auth,
    });
    expect(listed.status).toBe(200);
    const body = listed.body as {
      value: { name: string; properties: Record<string, unknown> }[];
      nextLink?: string;
    };
    expect(body.nextLink).toBeUndefined();
    expect(body.value.map((t) => t.name)).toEqual(['AzureDiagnostics', 'ContainerLogV2', 'SigninLogs']);
    const tables = [];
    for await (const table of insights.tables.listByWorkspace('rg-mon', 'law-mon')) tables.push(table);
    expect(tables.find((t) => t.name === 'AzureDiagnostics')).toMatchObject({
      retentionInDays: 90,
      totalRetentionInDays: 90,
      archiveRetentionInDays: 0,
      retentionInDaysAsDefault: true,
      totalRetentionInDaysAsDefault: true,
    });
    expect(tables.find((t) => t.name === 'SigninLogs')).toMatchObject({
      retentionInDays: 180,
      totalRetentionInDays: 730,
      archiveRetentionInDays: 550,
      retentionInDaysAsDefault: false,
      totalRetentionInDaysAsDefault: false,
    });
    // Basic tables keep 30 interactive days whatever the workspace says
    expect(tables.find((t) => t.name === 'ContainerLogV2')).toMatchObject({
      retentionInDays: 30,
      plan: 'Basic',
    });
  });

  it('a table on the defaults follows the workspace when its retention changes', async () => {
    await insights.workspaces.update('rg-mon', 'law-mon', { retentionInDays: 400 });
    expect(await insights.tables.get('rg-mon', 'law-mon', 'AzureDiagnostics')).toMatchObject({
      retentionInDays: 400,
      totalRetentionInDays: 400,
    });
    expect((await insights.tables.get('rg-mon', 'law-mon', 'SigninLogs')).retentionInDays).toBe(180);
  });

  it('a table write is long-running (202 + Location), raises the table write event, and -1 puts a value back to its default', async () => {
    const accepted = await rawRequest(
      `${sandbox.url}${WORKSPACE}/tables/SigninLogs?${TABLES_API}`,
      sandbox.caCertPem,
      {
        method: 'PATCH',
        headers: auth,
        body: { properties: { totalRetentionInDays: 30, retentionInDays: 30 } },
      },
    );
    expect(accepted.status).toBe(202);
    expect(accepted.headers.location).toMatch(/operationResults/);
    const updated = await insights.tables.beginUpdateAndWait(
      'rg-mon',
      'law-mon',
      'SigninLogs',
      { retentionInDays: -1, totalRetentionInDays: -1 },
      poll,
    );
    expect(updated).toMatchObject({
      retentionInDays: 90,
      totalRetentionInDays: 90,
      retentionInDaysAsDefault: true,
    });
    const event = sandbox.emittedEvents().at(-1) as unknown as {
      subject: string;
      data: { operationName: string };
    };
    expect(event.subject).toBe(`${WORKSPACE}/tables/SigninLogs`);
    expect(event.data.operationName).toBe('Microsoft.OperationalInsights/workspaces/tables/write');
  });

  it('refuses what the service refuses: out-of-range days, total below interactive, new built-in tables, deleting built-in ones', async () => {
    const patch = (name: string, properties: Record<string, unknown>, method = 'PATCH') =>
      rawRequest(`${sandbox.url}${WORKSPACE}/tables/${name}?${TABLES_API}`, sandbox.caCertPem, {
        method,
        headers: auth,
        body: { properties },
      });
    expect((await patch('AzureDiagnostics', { retentionInDays: 3 })).status).toBe(400);
    expect((await patch('AzureDiagnostics', { totalRetentionInDays: 5000 })).status).toBe(400);
    const below = await patch('SigninLogs', { totalRetentionInDays: 60 });
    expect(below).toMatchObject({ status: 400, body: { error: { code: 'InvalidParameter' } } });
    expect((await patch('ContainerLogV2', { retentionInDays: 60 })).status).toBe(400); // read-only on Basic
    expect((await patch('NotATable', { retentionInDays: 60 }, 'PUT')).status).toBe(404);
    const custom = await insights.tables.beginCreateOrUpdateAndWait(
      'rg-mon',
      'law-mon',
      'Audit_CL',
      {
        totalRetentionInDays: 365,
        schema: { name: 'Audit_CL', columns: [{ name: 'TimeGenerated', type: 'datetime' }] },
      },
      poll,
    );
    expect(custom).toMatchObject({ retentionInDays: 90, totalRetentionInDays: 365 });
    const deleteBuiltIn = await rawRequest(
      `${sandbox.url}${WORKSPACE}/tables/AzureDiagnostics?${TABLES_API}`,
      sandbox.caCertPem,
      { method: 'DELETE', headers: auth },
    );
    expect(deleteBuiltIn.status).toBe(400);
    await insights.tables.beginDeleteAndWait('rg-mon', 'law-mon', 'Audit_CL', poll);
    await expect(insights.tables.get('rg-mon', 'law-mon', 'Audit_CL')).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('diagnostic settings: PUT is synchronous (200 with the setting), DELETE 200 then 204; a bad or missing workspace is a 400', async () => {
    const created = await monitor.diagnosticSettings.createOrUpdate(NSG.slice(1), 'driftwarden-soc2', {
      workspaceId: WORKSPACE,
      logs: [{ category: 'NetworkSecurityGroupEvent', enabled: true }],
    });
    expect(created).toMatchObject({ name: 'driftwarden-soc2', workspaceId: WORKSPACE });
    const url = `${sandbox.url}${NSG}/providers/Microsoft.Insights/diagnosticSettings/driftwarden-soc2?api-version=2021-05-01-preview`;
    const put = (workspaceId: string) =>
      rawRequest(url, sandbox.caCertPem, {
        method: 'PUT',
        headers: auth,
        body: { properties: { workspaceId, logs: [{ categoryGroup: 'allLogs', enabled: true }] } },
      });
    expect(await put('law-mon')).toMatchObject({
      status: 400,
      body: { error: { code: 'LinkedInvalidPropertyId' } },
    });
    expect((await put(`${WORKSPACE}-gone`)).status).toBe(400);
    expect((await rawRequest(url, sandbox.caCertPem, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect((await rawRequest(url, sandbox.caCertPem, { method: 'DELETE', headers: auth })).status).toBe(204);
  });
});
