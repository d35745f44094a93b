import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { GRAPH_APPLICATION_PERMISSIONS } from '../../../lib/identity/graph-reader.js';

const script = fileURLToPath(new URL('../../../infra/grant-graph-permissions.sh', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'dw-grant-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PRINCIPAL = '6f1c2d3e-0000-4000-8000-00000000d001';
const ROLE_IDS: Record<string, string> = {
  'Policy.Read.All': '246dd0d5-5bd0-4def-940b-0421030a5b68',
  'RoleManagement.Read.Directory': '483bed4a-2ad3-4361-a73b-c83ccdbdc53c',
  'AccessReview.Read.All': 'd07a8cc0-3d51-4b77-b3b0-32704d1f69fa',
  'GroupMember.Read.All': '98830695-27a2-44f7-8c18-0c3ebc9698f6',
};

/**
 * A stand-in `az` on PATH: answers the script's `az rest` reads from canned data (applying the
 * --query the script passes is az's job, so the stand-in answers per URL with what az would print)
 * and logs every call, so the test sees exactly which app role assignments would be created.
 */
function fakeAz(alreadyGranted: string[]): string {
  const bin = join(dir, `bin-${alreadyGranted.length}`);
  const log = join(bin, 'calls.log');
  const roleCases = Object.entries(ROLE_IDS)
    .map(([name, id]) => `*"value=='${name}'"*) echo '${id}' ;;`)
    .join('\n      ');
  const body = `#!/usr/bin/env bash
echo "$*" >> '${log}'
url=''; query=''; method=''
while [[ $# -gt 0 ]]; do case "$1" in --url) url="$2"; shift;; --query) query="$2"; shift;; --method) method="$2"; shift;; esac; shift; done
if [[ "$method" == POST ]]; then exit 0; fi
case "$url" in
  *"servicePrincipals(appId="*) echo 'graph-sp-id' ;;
  *"/appRoleAssignments"*) printf '%s\\n' ${alreadyGranted.map((name) => `'${ROLE_IDS[name]}'`).join(' ')} ;;
  *"/servicePrincipals/graph-sp-id"*) case "$query" in
      ${roleCases}
    esac ;;
esac
`;
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'az'), body);
  chmodSync(join(bin, 'az'), 0o755);
  writeFileSync(log, '');
  return bin;
}

describe('infra/grant-graph-permissions.sh (the one-time admin consent)', () => {
  it('grants exactly the permissions the Graph reads need', () => {
    const text = readFileSync(script, 'utf8');
    const list = /PERMISSIONS=\(([^)]*)\)/.exec(text)?.[1]?.trim().split(/\s+/);
    expect(list).toEqual([...GRAPH_APPLICATION_PERMISSIONS]);
  });

  it('creates one app role assignment per missing permission, skipping those already granted', async () => {
    const bin = fakeAz(['Policy.Read.All']);
    const { stdout } = await run('bash', [script, PRINCIPAL], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(stdout).toMatch(/already granted: Policy\.Read\.All/);
    const posts = readFileSync(join(bin, 'calls.log'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('rest --method POST'));
    expect(posts).toHaveLength(3);
    for (const name of ['RoleManagement.Read.Directory', 'AccessReview.Read.All', 'GroupMember.Read.All']) {
      expect(
        posts.some(
          (line) =>
            line.includes(`"appRoleId":"${ROLE_IDS[name]}"`) && line.includes(`"principalId":"${PRINCIPAL}"`),
        ),
      ).toBe(true);
    }
  });

  it('refuses something that is not an object id', async () => {
    await expect(run('bash', [script, 'not-an-id'])).rejects.toMatchObject({ code: 2 });
  });
});
