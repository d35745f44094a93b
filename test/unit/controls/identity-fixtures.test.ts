import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IdentitySettings } from '../../../lib/controls/identity-settings.js';
import type { ControlException, Finding } from '../../../lib/controls/types.js';
import { evaluateTenant, TENANT_CONTROLS } from '../../../lib/identity/evaluate.js';
import type { TenantSnapshot } from '../../../lib/identity/snapshot.js';

/** Tenant-control fixtures: `<case>.tenant.json` is a tenant snapshot (Graph's shapes), see test/fixtures/README.md. */
interface Expected {
  description: string;
  findings: Pick<Finding, 'resourceId' | 'status' | 'exceptionId'>[];
  settings: IdentitySettings;
  exceptions?: ControlException[];
  now?: string;
}

const root = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const cases = TENANT_CONTROLS.flatMap((control) =>
  readdirSync(join(root, control.id))
    .filter((file) => file.endsWith('.tenant.json'))
    .map((file) => ({
      controlId: control.id,
      name: file.replace(/\.tenant\.json$/, ''),
      snapshot: join(root, control.id, file),
      expected: join(root, control.id, file.replace(/\.json$/, '.expected.json')),
    })),
);

describe('tenant control fixtures', () => {
  it.each(TENANT_CONTROLS.map((control) => control.id))('%s has compliant and non-compliant cases', (id) => {
    const statuses = cases
      .filter((c) => c.controlId === id)
      .flatMap((c) => readJson<Expected>(c.expected).findings.map((f) => f.status));
    expect(statuses).toContain('pass');
    expect(statuses).toContain('fail');
  });

  it.each(cases)('$controlId / $name', ({ controlId, snapshot, expected: expectedPath }) => {
    const expected = readJson<Expected>(expectedPath);
    const findings = evaluateTenant(readJson<TenantSnapshot>(snapshot), {
      settings: expected.settings,
      exceptions: expected.exceptions ?? [],
      ...(expected.now ? { now: new Date(expected.now) } : {}),
    }).filter((finding) => finding.controlId === controlId);
    expect(
      findings.map(({ resourceId, status, exceptionId }) => ({ resourceId, status, exceptionId })),
    ).toEqual(
      expected.findings.map(({ resourceId, status, exceptionId }) => ({ resourceId, status, exceptionId })),
    );
    for (const finding of findings) expect(finding.message.length).toBeGreaterThan(10);
  });
});
