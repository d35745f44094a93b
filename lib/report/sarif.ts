import { createHash } from 'node:crypto';
import type { Control, Finding, Severity } from '../controls/types.js';
import type { FindingSource } from '../iac/types.js';

/**
 * SARIF 2.1.0 for code-scanning pages (GitHub code scanning, Azure DevOps): one rule per control
 * with its help text and SOC 2 criteria, one result per failing, undecided or exempt finding.
 * Pass and not-applicable findings are not results (SARIF results are things to look at).
 *  - fail    -> kind "fail", level by severity (critical/high error, medium warning, low note)
 *  - unknown -> kind "review" (SARIF: a human must decide), level "warning"
 *  - exempt  -> kind "fail" with an accepted external suppression naming the exception
 * Pure: the caller writes the log.
 */

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/** GitHub code scanning ranks security results by this property (0.0-10.0). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};

export interface SarifOptions {
  toolVersion: string;
  controls: readonly Control[];
  /** the input file as a URI relative to the repository root (or absolute file: URI); absent for stdin */
  artifactUri?: string;
}

export type SarifFinding = Finding & { source?: FindingSource };

function ruleName(id: string): string {
  return id
    .toLowerCase()
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function ruleOf(control: Control) {
  const criteria = control.criteria.join(', ');
  const policies = control.azurePolicyDefinitionIds.join(', ');
  const text = [
    `${control.title}.`,
    `Severity: ${control.severity}. SOC 2 criteria: ${criteria}.`,
    `At runtime driftwarden ${control.defaultMode === 'remediate' ? 'remediates' : 'audits'} this control: ${control.remediationDescription}`,
    `Closest Azure Policy definitions: ${policies}.`,
    'Fix the template or plan so the resource is deployed compliant, or record an approved exception (driftwarden exceptions) and pass it with --exceptions.',
  ].join('\n');
  const markdown = [
    `**${control.title}** (${control.id})`,
    '',
    `- Severity: ${control.severity}`,
    `- SOC 2 criteria: ${criteria}`,
    `- Runtime: ${control.defaultMode}; ${control.remediationDescription}`,
    `- Azure Policy: ${control.azurePolicyDefinitionIds.map((id) => `\`${id}\``).join(', ')}`,
    '',
    'Fix the template or plan, or record an approved exception and pass it with `--exceptions`.',
  ].join('\n');
  return {
    id: control.id,
    name: ruleName(control.id),
    shortDescription: { text: control.title },
    fullDescription: { text: `${control.title}. SOC 2 ${criteria}.` },
    help: { text, markdown },
    defaultConfiguration: { level: LEVEL[control.severity] },
    properties: {
      tags: ['security', 'soc2', ...control.criteria.map((criterion) => `soc2/${criterion}`)],
      'security-severity': SECURITY_SEVERITY[control.severity],
      precision: 'very-high',
      severity: control.severity,
      soc2Criteria: [...control.criteria],
      azurePolicyDefinitionIds: [...control.azurePolicyDefinitionIds],
      defaultMode: control.defaultMode,
    },
  };
}

function fingerprint(finding: SarifFinding): string {
  const subject = [finding.controlId, finding.resourceId.toLowerCase(), finding.ruleName ?? ''].join(
    '\u0000',
  );
  return createHash('sha256').update(subject).digest('hex').slice(0, 32);
}

function resultOf(finding: SarifFinding, ruleIndex: number, options: SarifOptions) {
  const location: Record<string, unknown> = {
    logicalLocations: [
      {
        fullyQualifiedName: finding.source?.path ?? finding.resourceId,
        name: finding.ruleName ?? finding.resourceId.split('/').at(-1) ?? finding.resourceId,
        kind: 'resource',
      },
    ],
  };
  if (options.artifactUri !== undefined) {
    // A relative URI is resolved against the checkout (%SRCROOT%); an absolute file: URI stands alone.
    const artifactLocation = options.artifactUri.startsWith('file:')
      ? { uri: options.artifactUri }
      : { uri: options.artifactUri, uriBaseId: '%SRCROOT%' };
    const physical: Record<string, unknown> = { artifactLocation };
    if (finding.source?.line !== undefined) physical.region = { startLine: finding.source.line };
    location.physicalLocation = physical;
  }
  const where = finding.source
    ? ` [${finding.source.path}${finding.source.copyIndex !== undefined ? `, copy ${finding.source.copyIndex}` : ''}]`
    : '';
  const result: Record<string, unknown> = {
    ruleId: finding.controlId,
    ruleIndex,
    kind: finding.status === 'unknown' ? 'review' : 'fail',
    level: finding.status === 'unknown' ? 'warning' : LEVEL[finding.severity],
    message: { text: `${finding.message}${where}` },
    locations: [location],
    partialFingerprints: { 'driftwardenFinding/v1': fingerprint(finding) },
    properties: {
      status: finding.status,
      resourceId: finding.resourceId,
      resourceType: finding.resourceType,
      severity: finding.severity,
      soc2Criteria: [...finding.criteria],
      ...(finding.ruleName !== undefined ? { ruleName: finding.ruleName } : {}),
    },
  };
  if (finding.status === 'exempt') {
    result.suppressions = [
      {
        kind: 'external',
        status: 'accepted',
        justification: `driftwarden exception ${finding.exceptionId ?? '(unnamed)'}`,
      },
    ];
  }
  return result;
}

export function toSarif(findings: readonly SarifFinding[], options: SarifOptions): Record<string, unknown> {
  const index = new Map(options.controls.map((control, position) => [control.id, position]));
  const results = findings
    .filter(
      (finding) => finding.status === 'fail' || finding.status === 'unknown' || finding.status === 'exempt',
    )
    .map((finding) => resultOf(finding, index.get(finding.controlId) ?? -1, options));
  return {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'driftwarden',
            semanticVersion: options.toolVersion,
            version: options.toolVersion,
            rules: options.controls.map(ruleOf),
          },
        },
        columnKind: 'utf16CodeUnits',
        invocations: [{ executionSuccessful: true }],
        results,
      },
    ],
  };
}
