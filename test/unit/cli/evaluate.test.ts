import { execFile } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.js';
import type { CliCommand, CliIo } from '../../../lib/cli/types.js';
import { ConfigError } from '../../../lib/config.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (path: string) => join(repo, 'test/fixtures', path);
const run = promisify(execFile);

function fakeIo(stdin: string | string[] = [], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const chunks = typeof stdin === 'string' ? [stdin] : stdin;
  const io: CliIo = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { write: (chunk: string) => err.push(chunk) },
    stdin: (async function* () {
      for (const chunk of chunks) yield Buffer.from(chunk);
    })(),
    env,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function cli(args: string[], stdin?: string | string[], env?: Record<string, string>) {
  const io = fakeIo(stdin, env);
  const code = await main(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const SA = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct';
const compliant = {
  id: SA,
  type: 'Microsoft.Storage/storageAccounts',
  properties: { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' },
};

describe('driftwarden (in-process)', () => {
  it('prints help, lists commands, and rejects unknown commands with exit 2 and one line', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/evaluate\s+evaluate resource JSON/);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: driftwarden <command>');
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('runs commands from an injected registry (how other commands plug in)', async () => {
    const seen: string[][] = [];
    const hello: CliCommand = {
      name: 'hello',
      summary: 'say hello',
      usage: 'Usage: driftwarden hello',
      async run(args, io) {
        seen.push(args);
        io.stdout.write('hi\n');
        return 0;
      },
    };
    const io = fakeIo();
    expect(await main(['hello', '--x'], io.io, [hello])).toBe(0);
    expect(seen).toEqual([['--x']]);
    expect(io.stdout()).toBe('hi\n');
  });

  it("prints a failing command's error as one line with no secrets: storage XML, refused connection, ConfigError", async () => {
    const failing = (error: unknown): CliCommand => ({
      name: 'boom',
      summary: 'fails',
      usage: 'Usage: driftwarden boom',
      async run() {
        throw error;
      },
    });
    const xml = new Error(
      '<?xml version="1.0"?>\n<Error>\n  <Code>AuthorizationFailure</Code>\n  <Message>Server failed to authenticate the request.\nRequestId:1 Time:2</Message>\n</Error>',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const leaky = new Error(
      'bad: DefaultEndpointsProtocol=https;AccountKey=c2VjcmV0;x url?sv=1&sig=c2lnbmF0dXJl Authorization: Bearer eyJ0b2tlbg.x.y',
    );
    const config = new ConfigError('DW_STORAGE', 'is not a usable storage connection string');
    const runs = await Promise.all(
      [xml, refused, leaky, config].map(async (error) => {
        const io = fakeIo();
        return { code: await main(['boom'], io.io, [failing(error)]), stderr: io.stderr() };
      }),
    );
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toMatch(/c2VjcmV0|c2lnbmF0dXJl|eyJ0b2tlbg/);
    }
    expect(runs[0]?.stderr).toBe(
      'driftwarden boom: unexpected error: AuthorizationFailure: Server failed to authenticate the request.\n',
    );
    expect(runs[1]?.stderr).toContain('cannot connect (connect ECONNREFUSED 127.0.0.1:1); check DW_STORAGE');
    expect(runs[2]?.stderr).toContain('AccountKey=***');
    expect(runs[3]?.stderr).toBe(
      'driftwarden boom: Configuration error in DW_STORAGE: is not a usable storage connection string\n',
    );
  });

  it('evaluate --help prints usage with exit 0', async () => {
    const result = await cli(['evaluate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: driftwarden evaluate [FILE|-]');
  });

  it('exit 0 and the documented JSON schema when nothing fails', async () => {
    const result = await cli(['evaluate', '-'], JSON.stringify(compliant));
    expect(result.code).toBe(0);
    const { findings } = JSON.parse(result.stdout) as { findings: Record<string, unknown>[] };
    // the six storage-account controls plus DIAG-RESOURCE-LOGS and KV-HSM-KEY-PHI (not applicable: nothing to follow)
    expect(findings.length).toBe(7);
    for (const finding of findings) {
      expect(Object.keys(finding).slice(0, 7)).toEqual([
        'resourceId',
        'resourceType',
        'controlId',
        'status',
        'severity',
        'criteria',
        'message',
      ]);
      expect(['pass', 'not-applicable']).toContain(finding.status);
    }
  });

  it('exit 1 on a failing fixture file, and the table format is readable', async () => {
    const result = await cli([
      'evaluate',
      fixture('NSG-MGMT-PORT/prefixes-mixed.arm.json'),
      '--format',
      'table',
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^STATUS\s+CONTROL\s+SEVERITY\s+RESOURCE\s+MESSAGE$/);
    expect(result.stdout).toMatch(/FAIL\s+NSG-MGMT-PORT\s+critical\s+nsg-prefixes-mixed\/allow-ssh-ops/);
    // DIAG-RESOURCE-LOGS is not applicable: the file holds no diagnostic settings
    expect(result.stdout).toContain('3 findings: 1 fail, 0 exempt, 1 pass, 1 not-applicable');
  });

  it('applies --exceptions: a matching exception turns the fail into exempt and exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-cli-'));
    const path = join(dir, 'exceptions.json');
    const nsgId =
      '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-patient-portal/providers/Microsoft.Network/networkSecurityGroups/nsg-rdp-any';
    writeFileSync(
      path,
      JSON.stringify([
        {
          id: 'EXC-7',
          controlId: 'NSG-MGMT-PORT',
          scope: nsgId,
          ruleName: 'allow-rdp',
          expiresOn: '2999-01-01T00:00:00Z',
        },
      ]),
    );
    const result = await cli(['evaluate', fixture('NSG-MGMT-PORT/rdp-any.arm.json'), '--exceptions', path]);
    expect(result.code).toBe(0);
    const { findings } = JSON.parse(result.stdout) as {
      findings: { status: string; exceptionId?: string }[];
    };
    expect(findings.find((f) => f.status === 'exempt')?.exceptionId).toBe('EXC-7');

    writeFileSync(
      path,
      JSON.stringify([{ id: 'EXC-8', controlId: 'NOPE', scope: nsgId, expiresOn: '2999-01-01' }]),
    );
    const bad = await cli(['evaluate', fixture('NSG-MGMT-PORT/rdp-any.arm.json'), '--exceptions', path]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"NOPE" is not a control id');
  });

  it('reports unknown resource types as not-applicable (one table row) and exits 0', async () => {
    const vm = {
      id: '/subscriptions/s1/providers/Microsoft.Compute/virtualMachines/vm1',
      type: 'Microsoft.Compute/virtualMachines',
    };
    const json = await cli(['evaluate'], JSON.stringify({ value: [vm] }));
    expect(json.code).toBe(0);
    expect(
      (JSON.parse(json.stdout) as { findings: { status: string }[] }).findings.every(
        (f) => f.status === 'not-applicable',
      ),
    ).toBe(true);
    const table = await cli(['evaluate', '--format', 'table'], JSON.stringify([vm]));
    expect(table.stdout.split('\n').filter((line) => line.includes('vm1'))).toHaveLength(1);
  });

  it.each([
    ['not JSON', ['evaluate', '-'], '{"id": nope', /standard input is not valid JSON/],
    [
      'not JSON, without quoting the input back',
      ['evaluate', '-'],
      'DW_STORAGE=AccountName=a;AccountKey=c2VjcmV0a2V5',
      /^driftwarden evaluate: standard input is not valid JSON: Unexpected token 'D'\n$/,
    ],
    ['empty input', ['evaluate', '-'], '', /standard input is empty/],
    ['a JSON number', ['evaluate', '-'], '42', /expected a resource object/],
    ['an array of strings', ['evaluate', '-'], '["a"]', /item 0 is not a JSON object/],
    [
      'an unusable known resource',
      ['evaluate', '-'],
      JSON.stringify({ ...compliant, properties: { allowBlobPublicAccess: 'perhaps' } }),
      /allowBlobPublicAccess must be true or false/,
    ],
    ['a missing file', ['evaluate', '/nonexistent/x.json'], '', /no such file/],
    ['a bad format', ['evaluate', '--format', 'xml', '-'], '{}', /--format must be json, table or sarif/],
    // Issue 16 item 5: was node:util's own message (/Unknown option '--bogus'/), with an unbalanced quote.
    [
      'an unknown option',
      ['evaluate', '--bogus'],
      '{}',
      /unknown option --bogus\. See: driftwarden evaluate --help\n$/,
    ],
    ['two files', ['evaluate', 'a.json', 'b.json'], '', /one FILE/],
  ])('exit 2 with one line, no stack, for %s', async (_label, args, stdin, pattern) => {
    const result = await cli(args, stdin);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('refuses a file over the size cap before reading it (sparse 300 MiB file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-cli-'));
    const path = join(dir, 'huge.json');
    writeFileSync(path, '');
    truncateSync(path, 300 * 1024 * 1024);
    const result = await cli(['evaluate', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is 300\.0 MiB; the input limit is 256\.0 MiB/);
  });

  it('names a bad evaluation setting', async () => {
    const result = await cli(['evaluate', '-'], JSON.stringify(compliant), { DW_MANAGEMENT_PORTS: 'ssh' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DW_MANAGEMENT_PORTS');
  });
});

describe('bin/driftwarden.js (spawned)', () => {
  const bin = join(repo, 'bin/driftwarden.js');

  it('evaluates a fixture file: exit 1 and JSON findings', async () => {
    const error = await run('node', [bin, 'evaluate', fixture('STG-PUBLIC-BLOB/public-true.cli.json')], {
      cwd: repo,
    }).catch((e: { code: number; stdout: string }) => e);
    expect('code' in error ? error.code : 0).toBe(1);
    const { findings } = JSON.parse(error.stdout) as { findings: { controlId: string; status: string }[] };
    expect(findings.find((f) => f.controlId === 'STG-PUBLIC-BLOB')?.status).toBe('fail');
  });

  it('reads stdin with -: exit 0 on a compliant account, exit 2 on garbage', async () => {
    const ok = await spawnWithStdin(bin, ['evaluate', '-', '--format', 'table'], JSON.stringify(compliant));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('STG-PUBLIC-BLOB');
    const bad = await spawnWithStdin(bin, ['evaluate', '-'], 'not json at all');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

async function spawnWithStdin(bin: string, args: string[], input: string) {
  const { spawn } = await import('node:child_process');
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('node', [bin, ...args], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
