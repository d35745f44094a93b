import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IacFinding } from '../../../lib/iac/types.js';

export const fixturePath = (path: string) =>
  fileURLToPath(new URL(`../../fixtures/iac/${path}`, import.meta.url));

export function readFixture(path: string): unknown {
  return JSON.parse(readFileSync(fixturePath(path), 'utf8'));
}

/** "status CONTROL path[#copy][/rule]" for every finding that is not a pass or not-applicable. */
export function verdicts(findings: readonly IacFinding[]): string[] {
  return findings
    .filter((finding) => finding.status !== 'pass' && finding.status !== 'not-applicable')
    .map(
      (finding) =>
        `${finding.status} ${finding.controlId} ${finding.source.path}${finding.source.copyIndex !== undefined ? `#${finding.source.copyIndex}` : ''}${finding.ruleName ? `/${finding.ruleName}` : ''}`,
    );
}
