import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { type IdentityEndpoint, startIdentityEndpoint } from '../../../lib/dev/local/identity-endpoint.js';
import { SweepReportStore } from '../../../lib/sweep/report-store.js';
import { monthSweepId } from '../../../lib/sweep/run.js';
import type { SweepReport, SweepResult } from '../../../lib/sweep/types.js';
import { mixedEstate } from './harness.js';

const BIN = fileURLToPath(new URL('../../../bin/driftwarden.js', import.meta.url));
const SUBS = ['ffffffff-0000-4000-8000-000000000001', 'ffffffff-0000-4000-8000-000000000002'];
const APP_ID = '99999999-0000-4000-8000-0000000000aa';

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `driftwarden sweep` as an operator runs it: a separate process, configured only by environment. */
describe('driftwarden sweep (spawned CLI against the sandbox and Azurite)', () => {
  let sandbox: Sandbox;
  let identity: IdentityEndpoint;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ pageSize: 5, scenario: mixedEstate(SUBS) });
    identity = await startIdentityEndpoint({
      objectId: '99999999-0000-4000-8000-0000000000bb',
      appId: APP_ID,
      name: 'driftwarden-cli-test',
    });
    dir = await mkdtemp(join(tmpdir(), 'dw-sweep-'));
    const suffix = randomBytes(5).toString('hex');
    env = {
      DW_STORAGE: inject('azurite').connectionString,
      DW_EVIDENCE_TABLE: `cliev${suffix}`,
      DW_EXCEPTIONS_TABLE: `cliex${suffix}`,
      DW_REPORTS_CONTAINER: `clireports-${suffix}`,
      DW_ARM_ENDPOINT: sandbox.url,
      DW_SUBSCRIPTION_IDS: SUBS.join(','),
      NODE_EXTRA_CA_CERTS: sandbox.caCertPath,
      // the App Service managed-identity protocol, served locally (as in `npm start`)
      IDENTITY_ENDPOINT: identity.endpoint,
      IDENTITY_HEADER: identity.header,
      AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
      AZURE_CLIENT_ID: APP_ID,
    };
  });
  afterAll(async () => {
    await identity?.stop();
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rejects bad usage with exit 2 and one line', async () => {
    const bad = await run(['sweep', '--subscription', 'not-a-guid'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/not a subscription id/);
    const format = await run(['sweep', '--format', 'xml'], env);
    expect(format.code).toBe(2);
  });

  it('prints an ARM credential failure as one line per distinct error', async () => {
    const { IDENTITY_ENDPOINT: _endpoint, IDENTITY_HEADER: _header, ...noIdentity } = env;
    const result = await run(['sweep', '--dry-run', '--subscription', SUBS[0] ?? ''], noIdentity);
    expect(result.code).toBe(1);
    const errorLines = result.stdout.slice(result.stdout.indexOf('errors (')).trim().split('\n');
    expect(errorLines[0]).toMatch(/^errors \(\d+\):$/);
    expect(errorLines).toHaveLength(2);
    expect(errorLines[1]).toMatch(new RegExp(`^  ${SUBS[0]} \\(whole subscription\\): .*ManagedIdentity`));
  });

  it('dry run: evaluates everything, changes nothing, exits 1 because drift remains', async () => {
    const result = await run(
      ['sweep', '--dry-run', '--format', 'json', '--subscription', SUBS[0] ?? ''],
      env,
    );
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout) as SweepResult;
    expect(parsed.dryRun).toBe(true);
    expect(parsed.subscriptions).toHaveLength(1);
    expect(parsed.totals.remediated).toBe(0);
    // no exception here: 10 would-be remediations (3 open accounts, so their 2 public containers
    // are listed too) + 2 audit-mode findings
    expect(parsed.totals.audit).toBe(12);
    expect(sandbox.stats().requests.writes).toBe(0);
    expect(result.stderr).toMatch(/sweep: 16\/16 evaluated/); // plain progress lines when not a TTY
  });

  it('sweeps all configured subscriptions, prints the summary and writes the report files', async () => {
    const result = await run(['sweep', '--report', dir], env);
    // audit-mode PHI findings stay open by design: exit 1
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^control\s+evaluated\s+pass\s+fail\s+remediated/m);
    expect(result.stdout).toMatch(/^TOTAL\s/m);
    expect(result.stderr).toMatch(/16 remediated, 4 open, 0 remediation failed, 0 exempt, 0 error\(s\)/);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as SweepReport;
    expect(report.remediations).toHaveLength(16);
    expect(report.verification).toMatchObject({ ok: true });
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toMatch(/<!doctype html>/);
    expect(await readFile(join(dir, 'report.csv'), 'utf8')).toMatch(/^section,/);
    // like the timer's fan-out, the report is stored in the reports container too
    const sweepId = monthSweepId(new Date());
    expect(result.stderr).toContain(`report stored in the reports container as sweep-${sweepId}`);
    const stored = await new SweepReportStore(
      BlobServiceClient.fromConnectionString(env.DW_STORAGE ?? '').getContainerClient(
        env.DW_REPORTS_CONTAINER ?? '',
      ),
    ).readReport(sweepId, 'json');
    expect((JSON.parse(stored ?? 'null') as SweepReport).remediations).toHaveLength(16);
  });
});
