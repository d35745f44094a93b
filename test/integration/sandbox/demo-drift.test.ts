import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { DEMO, DEMO_IDS, DEMO_SUBSCRIPTION_ID, demoScenario } from '../../../lib/dev/local/demo-scenario.js';
import { makeDrift } from '../../../lib/dev/local/drift.js';
import { sandboxClients, userCredential } from '../../../lib/dev/local/sandbox-clients.js';

/** The demo's monitoring drifts go through the real SDKs and raise the events Azure would. */
describe('sandbox drift short-retention / drop-diagnostics', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      scenario: demoScenario(),
      certDir: mkdtempSync(join(tmpdir(), 'dw-drift-')),
    });
  });
  afterAll(() => sandbox.stop());

  const clients = () =>
    sandboxClients(
      { armEndpoint: sandbox.url, caCertPath: sandbox.caCertPath, subscriptionId: DEMO_SUBSCRIPTION_ID },
      userCredential('carol@contoso.example'),
    );

  it('short-retention cuts the audit workspace to 30 days, as carol', async () => {
    const c = clients();
    try {
      const said = await makeDrift('short-retention', c);
      expect(said[0]).toMatch(/law-audit .*retentionInDays = 30/);
    } finally {
      c.close();
    }
    expect(sandbox.getResource(DEMO_IDS.auditWorkspace)?.properties.retentionInDays).toBe(30);
    const event = sandbox.emittedEvents().at(-1) as unknown as {
      subject: string;
      data: { operationName: string; claims: Record<string, string> };
    };
    expect(event.subject).toBe(DEMO_IDS.auditWorkspace);
    expect(event.data.operationName).toBe('Microsoft.OperationalInsights/workspaces/write');
    expect(event.data.claims.upn).toBe('carol@contoso.example');
  });

  it("drop-diagnostics deletes the telehealth account's blob diagnostic setting", async () => {
    const setting = `${DEMO_IDS.telehealthAccount}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/${DEMO.diagnosticSetting}`;
    expect(sandbox.getResource(setting)).toBeDefined();
    const c = clients();
    try {
      await makeDrift('drop-diagnostics', c);
    } finally {
      c.close();
    }
    expect(sandbox.getResource(setting)).toBeUndefined();
    const event = sandbox.emittedEvents().at(-1) as unknown as {
      subject: string;
      data: { operationName: string };
    };
    expect(event.subject).toBe(setting);
    expect(event.data.operationName).toBe('Microsoft.Insights/diagnosticSettings/delete');
  });
});
