import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../../lib/app/app.js';
import { undocumentedOptions } from '../../../lib/cli/args.js';
import { COMMANDS } from '../../../lib/cli/commands/index.js';
import { main } from '../../../lib/cli/main.js';
import type { CliIo } from '../../../lib/cli/types.js';
import { loadConfig } from '../../../lib/config.js';
import { type Sandbox, sandboxCredential, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { type IdentityEndpoint, startIdentityEndpoint } from '../../../lib/dev/local/identity-endpoint.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { restoreKey } from '../../../lib/remediation/restore.js';
import { mixedEstate } from '../sweep/harness.js';
import { nsgRemediation, SUB_A, SUB_B, storageId } from './seed.js';
import { steppingClock } from './stores.js';

/** Issue 16 item 5 (and the CLI halves of items 2 and 6): each CLI complaint, as a user meets it. */

const SIGNED_IN = { upn: 'oncall-cli@contoso.example', oid: '0c1c0000-0000-4000-8000-0000000000c1' };

async function driftwarden(
  argv: string[],
  env: Record<string, string | undefined>,
  tty?: { columns: number },
  stdin = '',
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk), isTTY: Boolean(tty), columns: tty?.columns },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {
      if (stdin) yield Buffer.from(stdin);
    })(),
    env,
    // issue 13 item 3: the approver is the signed-in identity, never $USER or a typed name
    credential: sandboxCredential(SIGNED_IN),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function freshEnv(): Record<string, string> {
  const suffix = randomBytes(6).toString('hex');
  return {
    USER: 'cli-user',
    DW_STORAGE: inject('azurite').connectionString,
    DW_EVIDENCE_TABLE: `cliev${suffix}`,
    DW_EXCEPTIONS_TABLE: `cliex${suffix}`,
  };
}

const ruleScope = `/subscriptions/${SUB_B}/resourceGroups/rg-telehealth-production-westeurope/providers/Microsoft.Network/networkSecurityGroups/nsg-telehealth-frontend`;
const addArgs = (ticket: string, extra: string[] = []) => [
  'exceptions',
  'add',
  '--control',
  'NSG-OPEN-INBOUND',
  '--scope',
  ruleScope,
  '--rule',
  'allow-partner-443',
  '--justification',
  'Partner clinic range until the VPN is live',
  '--ticket',
  ticket,
  '--expires',
  '30d',
  ...extra,
];

describe('exceptions list, add and revoke', () => {
  it('shows a RULE column and the full SCOPE, at 250 columns and at 80 (item 5)', async () => {
    const env = freshEnv();
    expect((await driftwarden(addArgs('CHG-1'), env)).code).toBe(0);
    for (const columns of [250, 80]) {
      const listed = await driftwarden(['exceptions', 'list'], env, { columns });
      const [header, row] = listed.stdout.trim().split('\n');
      expect(header).toMatch(/^ID\s+STATUS\s+CONTROL\s+RULE\s+EXPIRES\s+APPROVED BY\s+TICKET\s+SCOPE$/);
      expect(row).toContain(ruleScope); // never cut: people copy it
      expect(row).toMatch(/NSG-OPEN-INBOUND\s+allow-partner-443\s+/);
      expect(row).not.toContain('…');
    }
  });

  it('works when $USER is unset: the approver is the signed-in identity (items 5; issue 13 item 3)', async () => {
    const env = freshEnv();
    delete (env as Record<string, string | undefined>).USER;
    const added = await driftwarden([...addArgs('CHG-2'), '--format', 'json'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).approvedBy).toBe(SIGNED_IN.upn);
    const revoked = await driftwarden(
      ['exceptions', 'revoke', JSON.parse(added.stdout).id, '--reason', 'VPN is live', '--format', 'json'],
      env,
    );
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      status: 'revoked',
      revokedBy: SIGNED_IN.upn,
      revokedReason: 'VPN is live',
    });
  });

  it('names every missing field at once (item 5)', async () => {
    const add = await driftwarden(['exceptions', 'add', '--control', 'NSG-OPEN-INBOUND'], {});
    expect(add.code).toBe(2);
    expect(add.stderr).toBe(
      'driftwarden exceptions: --scope, --justification, --ticket and --expires are required\n',
    );
    const restore = await driftwarden(['restore', 'AAAA.1'], {});
    expect(restore.code).toBe(2);
    expect(restore.stderr).toBe(
      'driftwarden restore: --justification, --ticket and --expires are required\n',
    );
  });

  it('`exceptions list --format json` is read as is by `evaluate --exceptions` (item 5)', async () => {
    const env = freshEnv();
    const account = storageId(SUB_A, 'rg-marketing', 'stpublicassets');
    const added = await driftwarden(
      [
        'exceptions',
        'add',
        '--control',
        'STG-PUBLIC-BLOB',
        '--scope',
        account,
        '--justification',
        'Public marketing images, no PHI',
        '--ticket',
        'CHG-3',
        '--expires',
        '30d',
      ],
      env,
    );
    expect(added.code).toBe(0);
    const listed = await driftwarden(['exceptions', 'list', '--format', 'json'], env);
    expect(JSON.parse(listed.stdout)).toHaveProperty('items');
    const dir = mkdtempSync(join(tmpdir(), 'dw-oncall-'));
    const file = join(dir, 'exceptions.json');
    writeFileSync(file, listed.stdout);
    const resource = {
      id: account,
      type: 'Microsoft.Storage/storageAccounts',
      properties: {
        allowBlobPublicAccess: true,
        supportsHttpsTrafficOnly: true,
        minimumTlsVersion: 'TLS1_2',
      },
    };
    const evaluated = await driftwarden(
      ['evaluate', '-', '--exceptions', file],
      {},
      undefined,
      JSON.stringify(resource),
    );
    expect(evaluated.stderr).toBe('');
    expect(evaluated.code).toBe(0);
    const findings = JSON.parse(evaluated.stdout).findings as { controlId: string; status: string }[];
    expect(findings.find((f) => f.controlId === 'STG-PUBLIC-BLOB')?.status).toBe('exempt');
  });
});

describe('log', () => {
  let env: Record<string, string>;
  let batch: EvidenceRecord[];

  beforeAll(async () => {
    env = freshEnv();
    const store = await createApp(loadConfig(env), {
      clock: steppingClock(),
      evidenceSubChains: 1,
    }).evidence();
    // One sweep batch: one chain, one time stamp, sequences 1..12 (ids ending .1 … .12).
    batch = await store.appendMany(
      Array.from({ length: 12 }, (_, index) => nsgRemediation(index, { actor: `u${index}@contoso.org` })),
    );
  });

  it('orders records of one instant by sequence as a number: .12 … .10, .9 … .1, not .2, .12, .11 (item 5)', async () => {
    expect(new Set(batch.map((record) => record.time)).size).toBe(1);
    const json = JSON.parse((await driftwarden(['log', '--format', 'json'], env)).stdout);
    const sequences = json.items.map((item: { sequence: number }) => item.sequence);
    expect(sequences).toEqual([...sequences].sort((a: number, b: number) => b - a));
    expect(sequences).toHaveLength(12);
    const table = (await driftwarden(['log'], env)).stdout.trim().split('\n').slice(1);
    expect(table.map((line) => Number(/\.(\d+)\s/.exec(line)?.[1]))).toEqual(sequences);
  });

  it('--follow prints oldest first, in columns that do not move between polls (item 5)', async () => {
    const store = await createApp(loadConfig(env), {
      clock: steppingClock(1),
      evidenceSubChains: 1,
    }).evidence();
    const run = driftwarden(['log', '--follow', '--interval', '0.3', '--polls', '4'], env);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const late = await store.append(
      nsgRemediation(99, { actor: 'a-much-longer-name@contoso.org', outcome: 'remediation-failed' }),
    );
    const { code, stdout } = await run;
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+OUTCOME\s+CONTROL\s+ACTOR\s+ID\s+RESOURCE$/);
    expect(lines.filter((line) => line.startsWith('TIME'))).toHaveLength(1);
    const sequences = lines.slice(1, 13).map((line) => Number(/\.(\d+)\s/.exec(line)?.[1]));
    expect(sequences).toEqual(Array.from({ length: 12 }, (_, index) => index + 1)); // oldest first
    expect(lines.at(-1)).toContain(late.recordId);
    const header = lines[0] ?? '';
    const starts = lines.slice(1).map((line) => line.indexOf(line.split(/\s{2,}/)[4] ?? '§'));
    expect(new Set(starts).size).toBe(1); // the ID column starts at the same offset on every line
    expect(starts[0]).toBe(header.indexOf('ID'));
  });

  it('mistyped options and times say what works, in one line without stray quotes (item 5)', async () => {
    const typo = await driftwarden(['log', '--sinse', '1h'], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      'driftwarden log: unknown option --sinse (did you mean --since?). See: driftwarden log --help\n',
    );
    const value = await driftwarden(['log', '--since'], env);
    expect(value.stderr).toBe('driftwarden log: --since needs a value. See: driftwarden log --help\n');
    const yesterday = await driftwarden(['log', '--since', 'yesterday'], env);
    expect(yesterday.code).toBe(2);
    expect(yesterday.stderr).toMatch(/since must be an ISO 8601 date .* or an age: 30m, 24h, 7d/);
    const ok = await driftwarden(
      ['log', '--since', '7d', '--outcome', 'actionable', '--format', 'json'],
      env,
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).items.length).toBeGreaterThan(0);
  });
});

describe('restore', () => {
  it('refuses to restore an already restored record, naming the restore in force (item 2)', async () => {
    const env = freshEnv();
    const config = loadConfig(env);
    const store = await createApp(config, { clock: steppingClock(), evidenceSubChains: 1 }).evidence();
    const exceptions = await createApp(config).exceptions();
    const remediated = await store.append(nsgRemediation(4242));
    const exception = await exceptions.create({
      controlId: 'NSG-OPEN-INBOUND',
      scope: remediated.resourceId,
      justification: 'Partner needs 443 tonight',
      ticket: 'INC-1',
      approvedBy: 'first@contoso.org',
      expiresOn: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    await store.append({
      ...nsgRemediation(4242),
      idempotencyKey: restoreKey(remediated),
      trigger: 'manual',
      outcome: 'restored',
      actor: 'first@contoso.org',
      exceptionId: exception.id,
    });
    const again = await driftwarden(
      [
        'restore',
        remediated.recordId,
        '--justification',
        'Another reason, another ticket',
        '--ticket',
        'INC-2',
        '--expires',
        '30d',
      ],
      env,
    );
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(
      new RegExp(
        `^driftwarden restore: Record ${remediated.recordId.replace('.', '\\.')} was already restored on .+ by first@contoso\\.org .*exception ${exception.id}, ticket INC-1.*nothing was written`,
      ),
    );
    expect(await exceptions.list()).toHaveLength(1);
    const json = JSON.parse(
      (await driftwarden(['log', '--format', 'json', '--outcome', 'remediated'], env)).stdout,
    );
    expect(json.items[0]).toMatchObject({ restorable: false, restoredBy: { actor: 'first@contoso.org' } });
  });

  it('restore without $USER gets past the approver (the signed-in identity) to the record lookup (item 5)', async () => {
    const env: Record<string, string | undefined> = { ...freshEnv(), USER: undefined };
    const result = await driftwarden(
      ['restore', 'AAAA.1', '--justification', 'Partner range needed', '--ticket', 'I-1', '--expires', '7d'],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Remediation record not found/);
  });
});

describe('every command documents every flag', () => {
  it('`<command> --help` lists each option it accepts (item 5: sweep --help omitted flags)', async () => {
    for (const command of COMMANDS) {
      const help = await driftwarden([command.name, '--help'], {});
      expect(help.code, command.name).toBe(0);
      expect(help.stdout).toBe(`${command.usage}\n`);
    }
    const sweep = (await driftwarden(['sweep', '--help'], {})).stdout;
    for (const flag of [
      '--subscription',
      '--dry-run',
      '--format',
      '--report',
      '--sweep-id',
      '--concurrency',
      '--verbose',
    ])
      expect(sweep).toContain(flag);
    // the check itself notices a flag left out of the help
    expect(
      undocumentedOptions('Usage: x [--alpha]', { alpha: { type: 'string' }, beta: { type: 'boolean' } }),
    ).toEqual(['beta']);
  });
});

describe('evaluate (item 6)', () => {
  const account = storageId(SUB_A, 'rg', 'stacct');
  const graphRow = {
    id: account,
    name: 'stacct',
    type: 'microsoft.storage/storageaccounts',
    properties: { allowBlobPublicAccess: true, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' },
  };

  it('exits 2 with a clear message when nothing in the input is a resource', async () => {
    for (const input of ['{}', '[]', '{"count": 0}', '{"data": []}']) {
      const result = await driftwarden(['evaluate', '-'], {}, undefined, input);
      expect(result.code, input).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^driftwarden evaluate: standard input: nothing to evaluate \(.+\)\. Expected Azure resource JSON/,
      );
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('reads a Resource Graph result, list form and table form', async () => {
    const list = await driftwarden(
      ['evaluate', '-'],
      {},
      undefined,
      JSON.stringify({ count: 1, data: [graphRow], skip_token: null, total_records: 1 }),
    );
    expect(list.code).toBe(1);
    const findings = JSON.parse(list.stdout).findings as {
      controlId: string;
      status: string;
      resourceId: string;
    }[];
    expect(findings.find((f) => f.controlId === 'STG-PUBLIC-BLOB')).toMatchObject({
      status: 'fail',
      resourceId: account,
    });
    const columns = ['id', 'name', 'type', 'properties'].map((name) => ({ name, type: 'string' }));
    const table = await driftwarden(
      ['evaluate', '-'],
      {},
      undefined,
      JSON.stringify({
        data: { columns, rows: [[graphRow.id, graphRow.name, graphRow.type, graphRow.properties]] },
      }),
    );
    expect(table.code).toBe(1);
    expect(JSON.parse(table.stdout).findings).toEqual(JSON.parse(list.stdout).findings);
  });
});

describe('sweep (spawned, against the ARM sandbox)', () => {
  const BIN = fileURLToPath(new URL('../../../bin/driftwarden.js', import.meta.url));
  const SUBS = ['ffffffff-0000-4000-8000-0000000000a1'];
  const UNKNOWN = 'ffffffff-0000-4000-8000-00000000dead';
  let sandbox: Sandbox;
  let identity: IdentityEndpoint;
  let env: Record<string, string>;

  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: mixedEstate(SUBS) });
    identity = await startIdentityEndpoint({
      objectId: '99999999-0000-4000-8000-0000000000cc',
      appId: '99999999-0000-4000-8000-0000000000dd',
      name: 'driftwarden-oncall-test',
    });
    env = {
      ...freshEnv(),
      DW_ARM_ENDPOINT: sandbox.url,
      DW_SUBSCRIPTION_IDS: SUBS.join(','),
      NODE_EXTRA_CA_CERTS: sandbox.caCertPath,
      IDENTITY_ENDPOINT: identity.endpoint,
      IDENTITY_HEADER: identity.header,
      AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
      AZURE_CLIENT_ID: '99999999-0000-4000-8000-0000000000dd',
    };
  });
  afterAll(async () => {
    await identity?.stop();
    await sandbox?.stop();
  });

  it('--sweep-id must be a month, as the help says (item 5)', async () => {
    const result = await driftwarden(['sweep', '--sweep-id', 'march'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^driftwarden sweep: --sweep-id "march" is not a month: use YYYY-MM, e.g. \d{4}-\d{2}/,
    );
  });

  it('an unknown --subscription is reported as not found, exit 1, not ok (item 5)', async () => {
    const result = await run([
      'sweep',
      '--subscription',
      UNKNOWN,
      '--dry-run',
      '--sweep-id',
      '2026-11-oncall',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`subscription ${UNKNOWN} not found`);
    expect(result.stderr).toMatch(/1 error\(s\)/);
    const known = await run([
      'sweep',
      '--subscription',
      SUBS[0] ?? '',
      '--dry-run',
      '--sweep-id',
      '2026-11-oncall',
    ]);
    expect(known.stderr).not.toContain('not found');
  });
});
