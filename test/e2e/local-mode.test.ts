/**
 * End to end: `npm start` as a child process (own temp DW_LOCAL_DIR, free ports), drift made from
 * *outside* it through the ARM sandbox with the real SDK (trusting the CA file from local.json),
 * the revert seen in ARM and the record in GET /api/remediations; then Ctrl-C, exit 0, nothing
 * left listening or running; a second start reuses the evidence; a busy port is a one-line error.
 * Timings are printed, never asserted.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalInfo } from '../../lib/cli/local-info.js';
import { localInfoPath } from '../../lib/cli/local-info.js';
import { sandboxCredential } from '../../lib/dev/arm-sandbox/index.js';
import { DEMO, DEMO_IDS, DEMO_SUBSCRIPTION_ID } from '../../lib/dev/local/demo-scenario.js';
import { DEMO_TENANT } from '../../lib/dev/local/demo-tenant.js';
import { freePort } from '../../lib/util/net.js';
import { RDP_FROM_INTERNET } from '../support/rules.js';
import {
  eventually,
  isListening,
  type LocalProcess,
  processesUsing,
  REPO_ROOT,
  startLocalProcess,
  waitForLocalInfo,
} from './local-process.js';

const READY_TIMEOUT_MS = 180_000;
const EVIDENCE_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

const p = DEMO.patientPortal;
const rdpRuleId = `${DEMO_IDS.patientNsg}/securityRules/${p.rdpRule}`;

interface RemediationItem {
  id: string;
  resourceId: string;
  ruleName: string | null;
  controlId: string | null;
  outcome: string;
  actor: string | null;
  trigger: string;
  before: unknown;
}

async function remediations(info: LocalInfo, query: Record<string, string>): Promise<RemediationItem[]> {
  const url = new URL(`${info.functionsBaseUrl}/remediations`);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { 'x-functions-key': info.functionKey } });
  if (!response.ok) throw new Error(`GET ${url.pathname} → ${response.status} ${await response.text()}`);
  return ((await response.json()) as { items: RemediationItem[] }).items;
}

/** Real SDK clients for the sandbox, trusting its CA file for these clients only. */
function sdkClients(info: LocalInfo, upn: string) {
  const agent = new Agent({ ca: readFileSync(info.caCertPath, 'utf8'), keepAlive: true });
  const credential = sandboxCredential({ upn, name: upn, oid: randomUUID() });
  const options = { endpoint: info.armEndpoint, agent };
  return {
    network: new NetworkManagementClient(credential, info.subscriptionId, options),
    storage: new StorageManagementClient(credential, info.subscriptionId, options),
    close: () => agent.destroy(),
  };
}

async function freePorts(): Promise<{ host: number; sandbox: number }> {
  const host = await freePort();
  let sandbox = await freePort();
  while (sandbox === host) sandbox = await freePort();
  return { host, sandbox };
}

const ms = (value: number) => `${Math.round(value)} ms`;

describe('npm start (local mode), end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftwarden-local-e2e-'));
  const processes: LocalProcess[] = [];
  let local: LocalProcess;
  let info: LocalInfo;
  let ports: { host: number; sandbox: number };
  const timings: Record<string, string> = {};
  const actor = `e2e-${randomUUID().slice(0, 8)}@contoso.example`;

  beforeAll(async () => {
    ports = await freePorts();
    const started = performance.now();
    local = startLocalProcess({
      DW_LOCAL_DIR: dir,
      DW_LOCAL_PORT: String(ports.host),
      DW_SANDBOX_PORT: String(ports.sandbox),
    });
    processes.push(local);
    info = await waitForLocalInfo(local, dir, READY_TIMEOUT_MS);
    timings['npm start → local.json (ready)'] = ms(performance.now() - started);
  }, READY_TIMEOUT_MS + 10_000);

  afterAll(() => {
    for (const each of processes) each.kill();
    rmSync(dir, { recursive: true, force: true });
    console.log(
      `local mode timings:\n${Object.entries(timings)
        .map(([name, value]) => `  ${name}: ${value}`)
        .join('\n')}`,
    );
  });

  it('writes local.json with the contract fields (ARCHITECTURE.md), pointing at what it started', async () => {
    expect(Object.keys(info).sort()).toEqual(
      [
        'armEndpoint',
        'caCertPath',
        'devPrincipal',
        'functionKey',
        'functionsBaseUrl',
        'logPageUrl',
        'subscriptionId',
        'tableConnectionString',
        'tableEndpoint',
      ].sort(),
    );
    expect(info.subscriptionId).toBe(DEMO_SUBSCRIPTION_ID);
    expect(info.functionsBaseUrl).toBe(`http://127.0.0.1:${ports.host}/api`);
    expect(info.armEndpoint).toBe(`https://127.0.0.1:${ports.sandbox}`);
    expect(info.caCertPath.startsWith(dir)).toBe(true);
    expect(info.functionKey.length).toBeGreaterThanOrEqual(32);
    // the page URL never carries the key; the banner prints a one-time sign-in URL instead
    expect(info.logPageUrl).toBe(`${info.functionsBaseUrl}/ui`);
    expect(info.logPageUrl).not.toContain(info.functionKey);
    expect(info.devPrincipal.upn).toBe('oncall@contoso.example');
    const loginUrl = /(http:\/\/127\.0\.0\.1:\d+\/login\?once=[\w-]+)/.exec(local.output())?.[1];
    expect(loginUrl).toBeDefined();
    expect(local.output()).not.toContain(info.functionKey);

    expect((await fetch(info.logPageUrl)).status).toBe(401); // not signed in
    const signIn = await fetch(loginUrl as string, { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/api/ui');
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0] as string;
    const page = await fetch(info.logPageUrl, { headers: { cookie: session } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(
      (await fetch(`${info.functionsBaseUrl}/remediations`, { headers: { cookie: session } })).status,
    ).toBe(200);
    // the link works once
    expect((await fetch(loginUrl as string, { redirect: 'manual' })).status).toBe(401);
    const withoutKey = await fetch(`${info.functionsBaseUrl}/remediations`);
    expect(withoutKey.status).toBe(401);
  });

  it('remediated the seeded drift with the start-up sweep', async () => {
    const clients = sdkClients(info, actor);
    try {
      const rule = await clients.network.securityRules.get(p.resourceGroup, p.nsg, p.rdpRule);
      expect(rule.access).toBe('Deny');
      const partner = await clients.network.securityRules.get(p.resourceGroup, p.nsg, p.partnerRule);
      expect(partner.access).toBe('Allow'); // surgical: the legitimate rule is untouched
      const account = await clients.storage.storageAccounts.getProperties(p.resourceGroup, p.storageAccount);
      expect(account.allowBlobPublicAccess).toBe(false);
      const sweepRecords = await remediations(info, { resource: DEMO_IDS.patientNsg, outcome: 'remediated' });
      expect(
        sweepRecords.some((item) => item.trigger === 'sweep' && item.controlId === 'NSG-MGMT-PORT'),
      ).toBe(true);
    } finally {
      clients.close();
    }
  });

  it('validated the demo tenant’s identity governance at start-up: records like any control', async () => {
    const excluded = await remediations(info, { control: 'IDN-MFA-EXCLUSION', outcome: 'audit-only' });
    expect(excluded.map((item) => item.resourceId.split('/').pop())).toEqual([DEMO_TENANT.users.svcBackup]);
    const unreviewed = await remediations(info, { control: 'IDN-ACCESS-REVIEW', outcome: 'audit-only' });
    expect(unreviewed.map((item) => item.resourceId.split('/').pop())).toEqual([
      DEMO_TENANT.roles.securityAdmin,
    ]);
    expect(local.output()).toMatch(/identity validation identity-\d{4}-\d{2}-\d{2}/);
  });

  it('reverts RDP opened through the sandbox with the SDK and records who did it', async () => {
    const clients = sdkClients(info, actor);
    try {
      const drifted = performance.now();
      // The LRO's final GET may already see the revert (driftwarden can be faster than the SDK's
      // poll, as in Azure): that the drift happened is shown by the record's `before` below.
      await clients.network.securityRules.beginCreateOrUpdateAndWait(
        p.resourceGroup,
        p.nsg,
        p.rdpRule,
        RDP_FROM_INTERNET,
      );

      const record = await eventually(
        'the remediation record in GET /api/remediations',
        async () => {
          const items = await remediations(info, { actor, control: 'NSG-MGMT-PORT' });
          return items.find((item) => item.outcome === 'remediated');
        },
        EVIDENCE_TIMEOUT_MS,
      );
      timings['drift (SDK write) → evidence record'] = ms(performance.now() - drifted);
      expect(record.trigger).toBe('event');
      expect(record.resourceId.toLowerCase()).toBe(rdpRuleId.toLowerCase());
      expect(record.before).toMatchObject({ access: 'Allow' }); // the drift really happened

      const reverted = await clients.network.securityRules.get(p.resourceGroup, p.nsg, p.rdpRule);
      expect(reverted.access).toBe('Deny');
    } finally {
      clients.close();
    }
  });

  it('driftwarden sandbox drift public-blob makes the change as the named user', async () => {
    const user = `cli-${randomUUID().slice(0, 8)}@contoso.example`;
    const drifted = performance.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/driftwarden.js', 'sandbox', 'drift', 'public-blob', '--as', user],
      { cwd: REPO_ROOT, env: { ...process.env, DW_LOCAL_DIR: dir } },
    );
    expect(stdout).toContain(`${user} changed`);
    expect(stdout).toContain(info.logPageUrl);
    const record = await eventually(
      'the STG-PUBLIC-BLOB record',
      async () =>
        (await remediations(info, { actor: user, control: 'STG-PUBLIC-BLOB' })).find(
          (item) => item.outcome === 'remediated',
        ),
      EVIDENCE_TIMEOUT_MS,
    );
    timings['drift (CLI, incl. its start-up) → evidence record'] = ms(performance.now() - drifted);
    expect(record.resourceId.toLowerCase()).toBe(DEMO_IDS.patientAccount.toLowerCase());
  });

  it('a second npm start on the same folder refuses in one line and leaves the first untouched', async () => {
    const other = startLocalProcess({ DW_LOCAL_DIR: dir, DW_LOCAL_PORT: '0', DW_SANDBOX_PORT: '0' });
    processes.push(other);
    const { code } = await other.exited;
    expect(code, other.output()).toBe(1);
    const errorLines = other
      .output()
      .split('\n')
      .filter((line) => line.includes('driftwarden local:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain('already running');
    expect(errorLines[0]).toContain('DW_LOCAL_DIR');
    expect(existsSync(localInfoPath(dir))).toBe(true);
    // the first one still serves (the page answers, asking for sign-in)
    expect((await fetch(info.logPageUrl)).status).toBe(401);
    expect(
      (
        await fetch(`${info.functionsBaseUrl}/remediations`, {
          headers: { 'x-functions-key': info.functionKey },
        })
      ).status,
    ).toBe(200);
  }, 120_000);

  it(
    'Ctrl-C stops everything and exits 0; nothing is left listening or running',
    async () => {
      const azuriteTablePort = Number(new URL(info.tableEndpoint).port);
      expect(await isListening(azuriteTablePort)).toBe(true);
      const stopping = performance.now();
      local.interrupt();
      const { code } = await Promise.race([
        local.exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`did not exit:\n${local.output()}`)), STOP_TIMEOUT_MS),
        ),
      ]);
      timings['Ctrl-C → exit'] = ms(performance.now() - stopping);
      expect(code, local.output()).toBe(0);
      expect(local.output()).toContain('stopped.');
      await eventually('the process group to be gone', () => (local.groupAlive() ? undefined : true), 10_000);
      expect(processesUsing(dir)).toEqual([]);
      expect(await isListening(ports.host)).toBe(false);
      expect(await isListening(ports.sandbox)).toBe(false);
      expect(await isListening(azuriteTablePort)).toBe(false);
      expect(existsSync(localInfoPath(dir))).toBe(false);

      // The CLI now says local mode is not running, in one line.
      const result = await promisify(execFile)(
        process.execPath,
        ['bin/driftwarden.js', 'sandbox', 'drift', 'open-rdp'],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, DW_LOCAL_DIR: dir },
        },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({
          code: error.code ?? -1,
          stderr: error.stderr ?? '',
        }),
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('local mode is not running');
    },
    STOP_TIMEOUT_MS + 20_000,
  );

  it(
    'a second npm start works and reuses the evidence kept in Azurite',
    async () => {
      const started = performance.now();
      const second = startLocalProcess({
        DW_LOCAL_DIR: dir,
        DW_LOCAL_PORT: String(ports.host),
        DW_SANDBOX_PORT: String(ports.sandbox),
      });
      processes.push(second);
      const secondInfo = await waitForLocalInfo(second, dir, READY_TIMEOUT_MS);
      timings['second npm start → ready'] = ms(performance.now() - started);
      // Issue 16 item 7: was `.not.toBe(info.functionKey)` ("a fresh key per run"), which broke every
      // open log-page tab with 401 on restart; the key is now kept in the local dir.
      expect(secondInfo.functionKey).toBe(info.functionKey);
      expect(secondInfo.logPageUrl).toBe(info.logPageUrl); // an open tab keeps working
      const kept = await remediations(secondInfo, { actor, control: 'NSG-MGMT-PORT' });
      expect(kept.some((item) => item.outcome === 'remediated')).toBe(true);
      second.interrupt();
      expect((await second.exited).code, second.output()).toBe(0);
    },
    READY_TIMEOUT_MS + STOP_TIMEOUT_MS,
  );
});

describe('npm start with a busy port', () => {
  let blocker: Server;
  let port: number;
  const dir = mkdtempSync(join(tmpdir(), 'driftwarden-local-busy-'));

  beforeAll(async () => {
    blocker = createServer((_req, res) => res.end('someone else'));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const address = blocker.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints one line naming the port and the setting, exits 1, leaves nothing running', async () => {
    const local = startLocalProcess({ DW_LOCAL_DIR: dir, DW_LOCAL_PORT: String(port), DW_SANDBOX_PORT: '0' });
    try {
      const { code } = await local.exited;
      expect(code, local.output()).toBe(1);
      const errorLines = local
        .output()
        .split('\n')
        .filter((line) => line.includes('driftwarden local:'));
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toContain(`port ${port}`);
      expect(errorLines[0]).toContain('DW_LOCAL_PORT');
      await eventually('the process group to be gone', () => (local.groupAlive() ? undefined : true), 10_000);
      expect(existsSync(localInfoPath(dir))).toBe(false);
    } finally {
      local.kill();
    }
  }, 120_000);
});
