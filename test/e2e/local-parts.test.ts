/**
 * The parts `npm start` is composed of, checked quickly and in-process: the demo estate drifts
 * exactly where the banner says, the managed-identity stand-in serves the app's unchanged
 * DefaultAzureCredential, a busy port is named with its setting, local.json round-trips, and the
 * `sandbox` CLI command fails in one line when local mode is not running.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devObjectIdFor } from '../../lib/api/auth.js';
import {
  type LocalInfo,
  readLocalInfo,
  removeLocalInfo,
  writeLocalIdentity,
  writeLocalInfo,
} from '../../lib/cli/local-info.js';
import { main } from '../../lib/cli/main.js';
import { startSandbox } from '../../lib/dev/arm-sandbox/index.js';
import { CLI_COMMANDS } from '../../lib/dev/cli-commands.js';
import { appEnvironment, applyEnvironment, LOCAL_IDENTITY } from '../../lib/dev/local/app-environment.js';
import { banner } from '../../lib/dev/local/banner.js';
import { DEMO_IDS, DEMO_SUBSCRIPTION_ID, demoScenario } from '../../lib/dev/local/demo-scenario.js';
import { functionKeyPath, readOrCreateFunctionKey } from '../../lib/dev/local/function-key.js';
import { startIdentityEndpoint } from '../../lib/dev/local/identity-endpoint.js';
import { assertPortFree, PortBusyError } from '../../lib/dev/local/ports.js';
import { evaluateDocument } from '../../lib/evaluate.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'driftwarden-local-parts-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('demo estate', () => {
  it('fails exactly the seeded drift (and the PHI audit findings); rg-telehealth is compliant', async () => {
    const sandbox = await startSandbox({ scenario: demoScenario(), certDir: tempDir() });
    try {
      const findings = evaluateDocument({ value: sandbox.listResources() });
      const failing = findings
        .filter((finding) => finding.status === 'fail')
        .map(
          (finding) =>
            `${finding.controlId} ${finding.ruleName ?? finding.resourceId.split('/').slice(-1)[0]}`,
        )
        .sort();
      expect(failing).toEqual(
        [
          'NSG-MGMT-PORT allow-rdp-from-internet',
          'STG-CMK-PHI stpatientportalphi',
          'STG-CONTAINER-PUBLIC patient-documents',
          'STG-MIN-TLS stschedulingexports',
          'STG-NETWORK-PHI stpatientportalphi',
          'STG-PUBLIC-BLOB stpatientportalphi',
          'LAW-RETENTION law-patient-portal',
          // the portal sends its audit logs to that 30-day workspace
          'DIAG-RESOURCE-LOGS stpatientportalphi',
          'DIAG-RESOURCE-LOGS nsg-patient-portal',
          'DIAG-RESOURCE-LOGS kv-patient-portal',
          'KV-PURGE-PROTECTION kv-patient-portal',
          'KV-NETWORK-PHI kv-patient-portal',
        ].sort(),
      );
      const telehealth = findings.filter((finding) => finding.resourceId.includes('/rg-telehealth/'));
      expect(telehealth.length).toBeGreaterThan(0);
      expect(telehealth.every((finding) => finding.status === 'pass')).toBe(true);
      for (const id of demoScenario().drifted) {
        expect(
          findings.some((finding) => finding.status === 'fail' && finding.resourceId.startsWith(id)),
        ).toBe(true);
      }
      expect(DEMO_IDS.patientAccount).toContain(DEMO_SUBSCRIPTION_ID);
    } finally {
      await sandbox.stop();
    }
  });
});

describe('managed-identity stand-in', () => {
  it("gives the app's unchanged DefaultAzureCredential a token naming driftwarden's local identity", async () => {
    const identity = await startIdentityEndpoint(LOCAL_IDENTITY);
    const saved = { ...process.env };
    try {
      applyEnvironment(
        process.env,
        appEnvironment({
          env: {},
          storageConnectionString: 'UseDevelopmentStorage=true',
          armEndpoint: 'https://127.0.0.1:1',
          identity,
        }),
      );
      const { DefaultAzureCredential } = await import('@azure/identity');
      const token = await new DefaultAzureCredential().getToken('https://management.azure.com/.default');
      const payload = JSON.parse(
        Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as Record<string, unknown>;
      expect(payload.oid).toBe(LOCAL_IDENTITY.objectId);
      expect(payload.appid).toBe(LOCAL_IDENTITY.appId);

      const wrongHeader = await fetch(`${identity.endpoint}?resource=https://management.azure.com`, {
        headers: { 'x-identity-header': 'guess' },
      });
      expect(wrongHeader.status).toBe(401);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
      await identity.stop();
    }
  });

  it('removes real Azure credentials and identity-based storage settings from the app environment', () => {
    const settings = appEnvironment({
      env: {
        AZURE_CLIENT_SECRET: 'real',
        DW_CONTROL_MODES: 'NSG-OPEN-INBOUND=audit',
        DW_SWEEP_SCHEDULE: '0 */5 * * * *',
      },
      storageConnectionString: 'UseDevelopmentStorage=true',
      armEndpoint: 'https://127.0.0.1:1',
      identity: { endpoint: 'http://127.0.0.1:2/msi/token', header: 'h', stop: async () => {} },
    });
    const target: Record<string, string | undefined> = {
      AZURE_CLIENT_SECRET: 'real',
      DW_STORAGE__tableServiceUri: 'https://prod.table.core.windows.net',
    };
    applyEnvironment(target, settings);
    expect(target.AZURE_CLIENT_SECRET).toBeUndefined();
    expect('DW_STORAGE__tableServiceUri' in target).toBe(false);
    expect(target.DW_ARM_ENDPOINT).toBe('https://127.0.0.1:1');
    expect(target.DW_SUBSCRIPTION_IDS).toBe(DEMO_SUBSCRIPTION_ID);
    expect(target.DW_SWEEP_SCHEDULE).toBe('0 */5 * * * *'); // the developer's behaviour settings win
  });
});

describe('ports', () => {
  it('names a busy port and the setting that changes it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const error = await assertPortFree(port, 'DW_LOCAL_PORT', 'function host').catch(
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(PortBusyError);
      expect((error as Error).message).toMatch(new RegExp(`^port ${port} .*DW_LOCAL_PORT`));
      await expect(assertPortFree(0, 'DW_LOCAL_PORT', 'function host')).resolves.toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('local.json and the sandbox command', () => {
  const info: LocalInfo = {
    armEndpoint: 'https://127.0.0.1:1',
    caCertPath: '/nonexistent/cert.pem',
    subscriptionId: DEMO_SUBSCRIPTION_ID,
    functionsBaseUrl: 'http://127.0.0.1:2/api',
    functionKey: 'k',
    logPageUrl: 'http://127.0.0.1:2/api/ui',
    tableEndpoint: 'http://127.0.0.1:3/devstoreaccount1',
    tableConnectionString: 'UseDevelopmentStorage=true',
    devPrincipal: { objectId: devObjectIdFor('oncall@contoso.example'), upn: 'oncall@contoso.example' },
  };

  async function cli(args: string[], env: Record<string, string>) {
    let stdout = '';
    let stderr = '';
    const code = await main(
      args,
      {
        stdout: { write: (chunk: string) => (stdout += chunk) },
        stderr: { write: (chunk: string) => (stderr += chunk) },
        stdin: (async function* () {})(),
        env,
      },
      CLI_COMMANDS,
    );
    return { code, stdout, stderr };
  }

  it('round-trips local.json and rejects an incomplete one', () => {
    const dir = tempDir();
    expect(readLocalInfo(dir)).toBeNull();
    writeLocalInfo(dir, info);
    expect(readLocalInfo(dir)).toEqual(info);
    writeFileSync(join(dir, 'local.json'), JSON.stringify({ armEndpoint: 'x' }));
    expect(() => readLocalInfo(dir)).toThrow(/lacks caCertPath/);
    writeFileSync(join(dir, 'local.json'), JSON.stringify({ ...info, devPrincipal: undefined }));
    expect(() => readLocalInfo(dir)).toThrow(/lacks devPrincipal/);
  });

  it('says in one line that local mode is not running', async () => {
    const dir = tempDir();
    const result = await cli(['sandbox', 'drift', 'open-rdp'], { DW_LOCAL_DIR: dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('local mode is not running');
  });

  it('prints local.json for status, and rejects unknown drift kinds', async () => {
    const dir = tempDir();
    writeLocalInfo(dir, info);
    const status = await cli(['sandbox', 'status'], { DW_LOCAL_DIR: dir });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual(info);
    const bogus = await cli(['sandbox', 'drift', 'delete-everything'], { DW_LOCAL_DIR: dir });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('open-rdp');
  });

  it('prints shell exports with sandbox env that point the CLI settings at local mode', async () => {
    const dir = tempDir();
    const caCertPath = join(dir, 'cert.pem');
    writeFileSync(caCertPath, '-----BEGIN CERTIFICATE-----\nsandbox\n-----END CERTIFICATE-----\n');
    const tricky = "DefaultEndpointsProtocol=http;AccountName=it's;AccountKey=a2V5;";
    writeLocalInfo(dir, { ...info, caCertPath, tableConnectionString: tricky });
    writeLocalIdentity(dir, { endpoint: 'http://127.0.0.1:4/msi/token', header: 'h' });
    const result = await cli(['sandbox', 'env'], { DW_LOCAL_DIR: dir });
    expect(result.code).toBe(0);
    const shown = (name: string) =>
      execFileSync('sh', ['-c', `${result.stdout}\nprintf %s "$${name}"`], {
        env: { PATH: process.env.PATH ?? '', DW_STORAGE__tableServiceUri: 'https://x' },
      }).toString();
    expect(shown('DW_STORAGE')).toBe(tricky);
    expect(shown('DW_STORAGE__tableServiceUri')).toBe('');
    expect(shown('DW_ARM_ENDPOINT')).toBe(info.armEndpoint);
    expect(shown('DW_SUBSCRIPTION_IDS')).toBe(DEMO_SUBSCRIPTION_ID);
    expect(shown('NODE_EXTRA_CA_CERTS')).toBe(caCertPath);
    expect(shown('IDENTITY_ENDPOINT')).toBe('http://127.0.0.1:4/msi/token');
    expect(shown('AZURE_TOKEN_CREDENTIALS')).toBe('ManagedIdentityCredential');
    // the CLI signs in as the dev principal (the approver it records), not as driftwarden
    expect(shown('AZURE_CLIENT_ID')).toBe(info.devPrincipal.objectId);

    // A developer's own extra CA file is kept, bundled once with the sandbox CA.
    const theirs = join(dir, 'corporate.pem');
    writeFileSync(theirs, '-----BEGIN CERTIFICATE-----\ncorporate\n-----END CERTIFICATE-----\n');
    const bundled = await cli(['sandbox', 'env'], { DW_LOCAL_DIR: dir, NODE_EXTRA_CA_CERTS: theirs });
    const bundle = /NODE_EXTRA_CA_CERTS='([^']+)'/.exec(bundled.stdout)?.[1] ?? '';
    expect(readFileSync(bundle, 'utf8')).toMatch(/corporate[\s\S]*sandbox/);
    const again = await cli(['sandbox', 'env'], { DW_LOCAL_DIR: dir, NODE_EXTRA_CA_CERTS: bundle });
    expect(again.stdout).toContain(`NODE_EXTRA_CA_CERTS='${bundle}'`);
    expect(readFileSync(bundle, 'utf8').match(/sandbox/g)).toHaveLength(1);
  });

  it('points at sandbox env when an on-call command has no storage setting but local mode runs', async () => {
    const dir = tempDir();
    const without = await cli(['log'], { DW_LOCAL_DIR: dir });
    expect(without.code).toBe(2);
    expect(without.stderr).not.toContain('sandbox env');
    writeLocalInfo(dir, info);
    const hinted = await cli(['log'], { DW_LOCAL_DIR: dir });
    expect(hinted.code).toBe(2);
    expect(hinted.stderr.trim().split('\n')).toHaveLength(1);
    expect(hinted.stderr).toContain('eval "$(npx driftwarden sandbox env)"');
  });
});

describe('restarts (issue 16 item 7)', () => {
  const info: LocalInfo = {
    armEndpoint: 'https://127.0.0.1:1',
    caCertPath: '/nonexistent/cert.pem',
    subscriptionId: DEMO_SUBSCRIPTION_ID,
    functionsBaseUrl: 'http://127.0.0.1:2/api',
    functionKey: 'k',
    logPageUrl: 'http://127.0.0.1:2/api/ui',
    devPrincipal: { objectId: devObjectIdFor('oncall@contoso.example'), upn: 'oncall@contoso.example' },
    tableEndpoint: 'http://127.0.0.1:3/devstoreaccount1',
    tableConnectionString:
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:3/devstoreaccount1;',
  };
  const cli = async (args: string[], env: Record<string, string>) => {
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: (async function* () {})(),
      env,
    };
    const code = await main(args, io, CLI_COMMANDS);
    return { code, stdout, stderr };
  };

  it('keeps the function key across restarts (0600 file in the local dir); a removed dir makes a new one', () => {
    const dir = tempDir();
    const first = readOrCreateFunctionKey(dir);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readOrCreateFunctionKey(dir)).toBe(first);
    expect(statSync(functionKeyPath(dir)).mode & 0o777).toBe(0o600);
    removeLocalInfo(dir); // what stopping local mode does: the key stays
    expect(readOrCreateFunctionKey(dir)).toBe(first);
    rmSync(dir, { recursive: true, force: true });
    expect(readOrCreateFunctionKey(dir)).not.toBe(first);
  });

  it('the banner tells how to point the CLI at local mode', () => {
    const text = banner(
      {
        info,
        localJsonPath: '/tmp/x/local.json',
        sweep: { status: 'unavailable', reason: 'test' },
        phases: {},
        stop: async () => {},
        loginUrl: 'http://127.0.0.1:2/login?once=abc',
        newLoginUrl: () => 'http://127.0.0.1:2/login?once=def',
      },
      1234,
    );
    expect(text).toContain('eval "$(npx driftwarden sandbox env)"');
    expect(text).toContain('http://127.0.0.1:2/login?once=abc'); // the one-time sign-in URL, no key in it
  });

  it('a shell exported from an earlier local mode gets the refresh hint at once, not after 7–10 s of retries', async () => {
    const dir = tempDir();
    const caCertPath = join(dir, 'cert.pem');
    writeFileSync(caCertPath, '-----BEGIN CERTIFICATE-----\nsandbox\n-----END CERTIFICATE-----\n');
    writeLocalInfo(dir, { ...info, caCertPath });
    const exported = await cli(['sandbox', 'env'], { DW_LOCAL_DIR: dir });
    const session = /DW_LOCAL_SESSION='([^']+)'/.exec(exported.stdout)?.[1];
    expect(session).toBe(join(dir, 'local.json'));
    const shell = {
      DW_LOCAL_SESSION: session ?? '',
      DW_STORAGE: info.tableConnectionString,
      DW_ARM_ENDPOINT: info.armEndpoint,
    };
    // local mode restarted on other ports: local.json no longer matches the exports
    writeLocalInfo(dir, {
      ...info,
      caCertPath,
      tableConnectionString: info.tableConnectionString.replaceAll(':3/', ':4/'),
    });
    let started = Date.now();
    const stale = await cli(['log'], shell);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toBe(
      'driftwarden log: this shell\'s settings are from an earlier local mode (it restarted on other ports); run: eval "$(npx driftwarden sandbox env)"\n',
    );
    // local mode stopped: nothing listens at the exported table endpoint
    removeLocalInfo(dir);
    started = Date.now();
    const stopped = await cli(['exceptions', 'list'], shell);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toMatch(
      /^driftwarden exceptions: local mode is not running \(no .+local\.json, nothing listens at http:\/\/127\.0\.0\.1:3\/devstoreaccount1\); start it with npm start, then run: eval/,
    );
  });
});
