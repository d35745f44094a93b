import type { Finding } from '../controls/types.js';

/**
 * What the review-time readers (ARM templates, Terraform plans) hand to the evaluator: a resource in
 * the ARM REST shape lib/resources/normalize.ts already reads, the values in it that are not known
 * before deployment, and where in the input it came from. Pure data; no I/O.
 */

export type JsonPath = readonly (string | number)[];

/** A value the reader could not determine; it was removed from `raw` at `path`. */
export interface UnknownValue {
  /** where in `raw` the value belongs, e.g. ['properties', 'allowBlobPublicAccess'] */
  path: JsonPath;
  /** the expression or attribute as written, e.g. "[parameters('allowPublic')]" */
  expression: string;
  /** why it has no value, e.g. "parameter 'allowPublic' has no value" */
  reason: string;
}

export interface IacSource {
  /** template resource path (`resources[2]`, `resources.nsg`) or Terraform address */
  path: string;
  /** JSON path of the resource in the input text, for line lookup */
  jsonPath: JsonPath;
  /** for a copy-loop instance: its index */
  copyIndex?: number;
  /** JSON paths of inline security rules by rule name, so a rule finding points at the rule */
  rules?: Readonly<Record<string, JsonPath>>;
}

export interface IacResource {
  /** ARM REST shape: { id, name, type, tags?, properties? } */
  raw: Record<string, unknown>;
  unknowns: UnknownValue[];
  source: IacSource;
}

export interface IacReadResult {
  resources: IacResource[];
  /** things the reader skipped or could not follow, one line each (printed to stderr) */
  notes: string[];
}

/** Where a finding came from, as printed in the findings JSON (`source`) and in SARIF. */
export interface FindingSource {
  /** the input file as given on the command line (absent for standard input) */
  file?: string;
  path: string;
  copyIndex?: number;
  /** 1-based line of the resource (or of the offending inline rule) in the input text */
  line?: number;
}

export interface IacFinding extends Finding {
  source: FindingSource;
  /** internal: JSON path used to find `source.line` */
  jsonPath: JsonPath;
}

/** Deployment scope: what `resourceGroup()`, `subscription()` and Terraform ids resolve to. */
export interface DeploymentScope {
  subscriptionId: string;
  resourceGroup: string;
}

/** `--scope /subscriptions/<id>[/resourceGroups/<name>]`; placeholders keep ids readable without one. */
export function parseScope(scope: string | undefined): DeploymentScope | null {
  if (scope === undefined) return { subscriptionId: '{subscription}', resourceGroup: '{resourceGroup}' };
  const match = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/?$/i.exec(scope.trim());
  if (!match?.[1]) return null;
  return { subscriptionId: match[1], resourceGroup: match[2] ?? '{resourceGroup}' };
}
