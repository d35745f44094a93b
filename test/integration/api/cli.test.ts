import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../../lib/app/app.js';
import { main } from '../../../lib/cli/main.js';
import type { CliIo } from '../../../lib/cli/types.js';
import { loadConfig } from '../../../lib/config.js';
import { sandboxCredential } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord, EvidenceStore } from '../../../lib/evidence/types.js';
import { mixedRecords, nsgRemediation, SUB_B } from './seed.js';
import { steppingClock } from './stores.js';

const CLI_USER = { upn: 'cli-user@contoso.example', oid: 'c1100000-0000-4000-8000-0000000000c1' };
const LEAD = { upn: 'lead@contoso.org', oid: '1ead0000-0000-4000-8000-00000000001e' };

/**
 * Runs `driftwarden <argv>` in-process with captured output and the given settings, signed in as
 * `who` (the sandbox's stand-in credential: a token carrying that person's claims).
 */
async function driftwarden(argv: string[], env: Record<string, string>, who = CLI_USER) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {})(),
    env: { USER: 'someone-else', ...env },
    credential: sandboxCredential(who),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function freshEnv(): Record<string, string> {
  const suffix = randomBytes(6).toString('hex');
  return {
    DW_STORAGE: inject('azurite').connectionString,
    DW_EVIDENCE_TABLE: `cliev${suffix}`,
    DW_EXCEPTIONS_TABLE: `cliex${suffix}`,
  };
}

describe('driftwarden log', () => {
  let env: Record<string, string>;
  let store: EvidenceStore;
  let seeded: EvidenceRecord[];

  beforeAll(async () => {
    env = freshEnv();
    store = await createApp(loadConfig(env), { clock: steppingClock(), evidenceSubChains: 1 }).evidence();
    seeded = [];
    for (const input of mixedRecords(12)) seeded.push(await store.append(input));
  });

  it('prints JSON pages like the API, newest first, with filters', async () => {
    const all = await driftwarden(['log', '--format', 'json', '--limit', '500'], env);
    expect(all.code).toBe(0);
    const page = JSON.parse(all.stdout);
    expect(page.items.map((item: { id: string }) => item.id)).toEqual(
      seeded.map((record) => record.recordId).reverse(),
    );
    expect(page.continuationToken).toBeNull();

    const filtered = await driftwarden(
      ['log', '--format', 'json', '--control', 'NSG-OPEN-INBOUND', '--subscription', SUB_B],
      env,
    );
    const expected = seeded.filter((r) => r.controlId === 'NSG-OPEN-INBOUND' && r.subscriptionId === SUB_B);
    expect(expected.length).toBeGreaterThan(0);
    expect(JSON.parse(filtered.stdout).items).toHaveLength(expected.length);
  });

  it('pages with --limit and walks them all with --all', async () => {
    const first = JSON.parse((await driftwarden(['log', '--format', 'json', '--limit', '5'], env)).stdout);
    expect(first.items).toHaveLength(5);
    expect(first.continuationToken).toEqual(expect.any(String));
    const every = JSON.parse(
      (await driftwarden(['log', '--format', 'json', '--limit', '5', '--all'], env)).stdout,
    );
    expect(every.items).toHaveLength(seeded.length);
  });

  it('prints a table with record ids (for restore)', async () => {
    const { code, stdout } = await driftwarden(['log', '--outcome', 'remediated'], env);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+OUTCOME\s+CONTROL\s+ACTOR\s+ID\s+RESOURCE$/);
    const remediated = seeded.filter((record) => record.outcome === 'remediated');
    expect(lines).toHaveLength(remediated.length + 1);
    for (const record of remediated) expect(stdout).toContain(record.recordId);
  });

  it('--follow prints what arrives while it polls', async () => {
    const run = driftwarden(
      ['log', '--follow', '--format', 'json', '--interval', '0.3', '--polls', '4'],
      env,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    const late = await store.append(nsgRemediation(777, { actor: 'late@contoso.org' }));
    const { code, stdout } = await run;
    expect(code).toBe(0);
    const ids = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).id);
    expect(ids.slice(0, seeded.length)).toEqual(seeded.map((record) => record.recordId)); // oldest first
    expect(ids.at(-1)).toBe(late.recordId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('usage errors exit 2 with one line', async () => {
    for (const [argv, message] of [
      [['log', '--outcome', 'fixed'], /^driftwarden log: outcome must be one of: remediated, /],
      [['log', '--since', 'yesterday'], /^driftwarden log: since must be an ISO 8601 date/],
      [['log', '--format', 'xml'], /^driftwarden log: --format must be table or json/],
    ] as const) {
      const { code, stderr } = await driftwarden([...argv], env);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('exceptions revoke without an id is a usage error before any setting is read', async () => {
    const { code, stderr } = await driftwarden(['exceptions', 'revoke'], {});
    expect(code).toBe(2);
    expect(stderr).toBe('driftwarden exceptions: revoke takes exactly one exception id\n');
  });

  it('an unusable DW_STORAGE is a one-line configuration error that does not echo the key', async () => {
    const { code, stderr } = await driftwarden(['log'], {
      DW_STORAGE: 'AccountName=x;AccountKey=c2VjcmV0a2V5;not-a-pair',
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'driftwarden log: Configuration error in DW_STORAGE: is not a usable storage connection string (AccountName=…;AccountKey=…;TableEndpoint=…)\n',
    );
  });
});

describe('driftwarden verify', () => {
  it('exit 0 on intact evidence; exit 1 listing every edited and deleted record', async () => {
    const env = freshEnv();
    const store = await createApp(loadConfig(env), {
      clock: steppingClock(),
      evidenceSubChains: 1,
    }).evidence();
    await store.appendMany(mixedRecords(6).map((input) => ({ ...input, subscriptionId: SUB_B })));
    const intact = await driftwarden(['verify'], env);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^ok: 6 records in 1 chains verify$/m);

    const table = TableClient.fromConnectionString(
      env.DW_STORAGE as string,
      env.DW_EVIDENCE_TABLE as string,
      {
        allowInsecureConnection: true,
      },
    );
    const rows: { partitionKey: string; rowKey: string }[] = [];
    for await (const entity of table.listEntities()) {
      if (/^r~\d{10}$/.test(entity.rowKey ?? ''))
        rows.push({ partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
    }
    expect(rows).toHaveLength(6);
    const [edited, , deleted] = rows.sort((a, b) => a.rowKey.localeCompare(b.rowKey));
    if (!edited || !deleted) throw new Error('expected record rows');
    await table.updateEntity({ ...edited, action: 'nothing to see here' }, 'Merge');
    await table.deleteEntity(deleted.partitionKey, deleted.rowKey);

    const broken = await driftwarden(['verify'], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^EDITED\s+chain .+ #1/m);
    expect(broken.stdout).toMatch(/^DELETED\s+chain .+ #3/m);
    expect(broken.stdout).toMatch(/^BROKEN: \d+ problem\(s\)/m);
    const json = await driftwarden(['verify', '--format', 'json'], env);
    expect(json.code).toBe(1);
    const kinds = JSON.parse(json.stdout).problems.map((problem: { kind: string }) => problem.kind);
    expect(kinds).toEqual(expect.arrayContaining(['edited', 'deleted']));
  });
});

describe('driftwarden exceptions and restore', () => {
  const scope = `/subscriptions/${SUB_B}/resourceGroups/rg-portal/providers/Microsoft.Storage/storageAccounts/stphi00001`;

  it('add (the approver is the signed-in identity, never $USER), list, revoke', async () => {
    const env = freshEnv();
    const added = await driftwarden(
      [
        'exceptions',
        'add',
        '--control',
        'STG-PUBLIC-BLOB',
        '--scope',
        scope,
        '--justification',
        'Public marketing assets, reviewed by security',
        '--ticket',
        'CHG-9',
        '--expires',
        '30d',
        '--format',
        'json',
      ],
      env,
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const created = JSON.parse(added.stdout);
    expect(created).toMatchObject({
      controlId: 'STG-PUBLIC-BLOB',
      scope,
      approvedBy: CLI_USER.upn,
      approvedByObjectId: CLI_USER.oid,
      status: 'active',
    });

    const listed = await driftwarden(['exceptions', 'list'], env);
    expect(listed.stdout).toMatch(/^ID\s+STATUS\s+CONTROL/);
    expect(listed.stdout).toContain(created.id);

    const revoked = await driftwarden(['exceptions', 'revoke', created.id, '--format', 'json'], env, LEAD);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      status: 'revoked',
      revokedBy: LEAD.upn,
      revokedByObjectId: LEAD.oid,
    });
    const active = JSON.parse(
      (await driftwarden(['exceptions', 'list', '--status', 'active', '--format', 'json'], env)).stdout,
    );
    expect(active.items).toEqual([]);
  });

  it('validation errors are the API messages, exit 2', async () => {
    const env = freshEnv();
    const base = [
      'exceptions',
      'add',
      '--control',
      'STG-PUBLIC-BLOB',
      '--scope',
      scope,
      '--justification',
      'A long enough reason',
      '--ticket',
      'T-1',
    ];
    const tooLong = await driftwarden([...base, '--expires', '400d'], env);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/expiresOn must be at most 90 days from now/);
    const unknown = await driftwarden(
      [...base.slice(0, 3), 'NOPE', ...base.slice(4), '--expires', '1d'],
      env,
    );
    expect(unknown.stderr).toMatch(/not a known control id/);
    const revokeMissing = await driftwarden(['exceptions', 'revoke', 'no-such-id'], env);
    expect(revokeMissing.code).toBe(2);
    expect(revokeMissing.stderr).toMatch(/Exception not found/);
  });

  it('restore validates the approval and the record before any restore', async () => {
    const env = freshEnv();
    const missing = await driftwarden(
      ['restore', 'AAAA.1', '--justification', 'Partner range needed', '--ticket', 'I-1', '--expires', '7d'],
      env,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Remediation record not found/);
    const noTicket = await driftwarden(
      ['restore', 'AAAA.1', '--justification', 'Partner range needed', '--expires', '7d'],
      env,
    );
    expect(noTicket.stderr).toMatch(/ticket is required/);
  });

  it('refuses a typed approver: --approver and --by are not accepted (issue 13, reproduction 7)', async () => {
    const env = freshEnv();
    const typed = await driftwarden(
      [
        'restore',
        'AAAA.1',
        '--justification',
        'Partner range needed',
        '--ticket',
        'I-1',
        '--expires',
        '7d',
        '--approver',
        'ceo@contoso.org',
      ],
      env,
    );
    expect(typed.code).toBe(2);
    expect(typed.stderr).toMatch(
      /--approver is no longer accepted: the approver is the identity you are signed in with/,
    );
    const by = await driftwarden(['exceptions', 'revoke', 'x', '--by=ceo@contoso.org'], env);
    expect(by.code).toBe(2);
    expect(by.stderr).toMatch(/--by is no longer accepted/);
    // a token without an object id names nobody: refused, nothing stored
    const anonymous = await driftwarden(
      [
        'exceptions',
        'add',
        '--control',
        'STG-PUBLIC-BLOB',
        '--scope',
        scope,
        '--justification',
        'Public marketing assets',
        '--ticket',
        'T-2',
        '--expires',
        '7d',
      ],
      env,
      { upn: 'nobody@contoso.org' } as typeof CLI_USER,
    );
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/cannot tell who you are/);
  });
});
