import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTROL_IDS, getControl, isControlId } from '../../../lib/controls/catalog.js';
import { isTenantControl } from '../../../lib/controls/define-tenant.js';
import type { ControlException, Finding } from '../../../lib/controls/types.js';
import { evaluateDocument } from '../../../lib/evaluate.js';
import { parseResourceDocument } from '../../../lib/resources/normalize.js';

type ExpectedFinding = Partial<Pick<Finding, 'status' | 'ruleName' | 'exceptionId' | 'remediation'>>;
interface Expected {
  description: string;
  findings: ExpectedFinding[];
  also?: Record<string, ExpectedFinding[]>;
  exceptions?: ControlException[];
  now?: string;
}

// Tenant-level controls judge a Graph snapshot, not a resource: their fixtures are tested apart.
const RESOURCE_CONTROL_IDS = CONTROL_IDS.filter((id) => !isTenantControl(getControl(id)));

const root = fileURLToPath(new URL('../../fixtures/', import.meta.url));
// test/fixtures/iac holds review-time inputs (templates, plans), tested by test/unit/iac.
const controlDirs = readdirSync(root).filter(
  (name) => name !== 'iac' && statSync(join(root, name)).isDirectory(),
);
const cases = controlDirs.flatMap((controlId) =>
  readdirSync(join(root, controlId))
    // `.tenant.json`: tenant snapshots of the identity controls (identity-fixtures.test.ts)
    .filter(
      (file) => file.endsWith('.json') && !file.endsWith('.expected.json') && !file.endsWith('.tenant.json'),
    )
    .map((file) => ({
      controlId,
      name: file.replace(/\.json$/, ''),
      resourcePath: join(root, controlId, file),
      expectedPath: join(root, controlId, file.replace(/\.json$/, '.expected.json')),
    })),
);

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function check(findings: Finding[], controlId: string, expected: ExpectedFinding[]): void {
  const got = findings.filter((finding) => finding.controlId === controlId);
  expect(
    got.map((f) => f.status),
    `${controlId} statuses`,
  ).toEqual(expected.map((e) => e.status));
  expected.forEach((want, index) => {
    const finding = got[index];
    if (want.ruleName !== undefined) expect(finding?.ruleName).toBe(want.ruleName);
    expect(finding?.exceptionId).toBe(want.exceptionId);
    // Plans are compared exactly: a storage plan must set only the property its control needs.
    expect(finding?.remediation).toEqual(want.remediation);
  });
}

describe('control fixtures', () => {
  it('has a folder per control and only control folders', () => {
    expect([...controlDirs].sort()).toEqual([...CONTROL_IDS].sort());
    for (const dir of controlDirs) expect(isControlId(dir)).toBe(true);
  });

  it.each(RESOURCE_CONTROL_IDS)('%s has compliant and non-compliant samples in both shapes', (controlId) => {
    const mine = cases.filter((c) => c.controlId === controlId);
    const statuses = mine.flatMap((c) => readJson<Expected>(c.expectedPath).findings.map((f) => f.status));
    expect(statuses).toContain('pass');
    expect(statuses.some((status) => status === 'fail' || status === 'exempt')).toBe(true);
    expect(mine.some((c) => c.name.endsWith('.arm'))).toBe(true);
    expect(mine.some((c) => c.name.endsWith('.cli'))).toBe(true);
  });

  it.each(cases)('$controlId / $name', ({ controlId, resourcePath, expectedPath }) => {
    const expected = readJson<Expected>(expectedPath);
    // A fixture is one resource, or a document whose first resource is the subject and whose
    // others are what a cross-resource control follows (a key, a workspace, diagnostic settings).
    const document = readJson<unknown>(resourcePath);
    const resource = parseResourceDocument(document)[0]?.resource ?? null;
    expect(resource, 'fixture must be a judged resource type').not.toBeNull();
    if (!resource) return;
    const findings = evaluateDocument(document, {
      exceptions: expected.exceptions ?? [],
      now: new Date(expected.now ?? '2026-01-01T00:00:00Z'),
    }).filter((finding) => finding.resourceId === resource.id);
    check(findings, controlId, expected.findings);
    for (const [other, otherExpected] of Object.entries(expected.also ?? {}))
      check(findings, other, otherExpected);
  });
});
