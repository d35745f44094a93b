import { controlsFor } from '../controls/catalog.js';
import { RelatedIndex } from '../controls/related.js';
import { defaultEvaluationSettings } from '../controls/settings.js';
import type { ControlId, Finding } from '../controls/types.js';
import { type EvaluateOptions, evaluateResource } from '../evaluate.js';
import { applyExceptions } from '../exceptions/match.js';
import { ARM_TYPE_NAMES, type ResourceKind } from '../resources/kinds.js';
import { InvalidResourceError, normalizeResource } from '../resources/normalize.js';
import { formatPath } from './json-lines.js';
import type { IacFinding, IacResource, JsonPath, UnknownValue } from './types.js';
import { ABSENT, kindOfType, unitOf, type Witnesses, witnessesFor } from './witnesses.js';

/**
 * Judges review-time resources with the same controls as live ones. A resource with unknown
 * values is judged once per combination of witness values (see witnesses.ts); per control and
 * rule, a verdict that holds in every combination is kept, one that differs becomes `unknown`
 * with the unknown expressions in its message. Exceptions apply afterwards, as at runtime.
 */

const MAX_COMBINATIONS = 256; // per unit; past it every control on the resource is unknown

export class IacResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IacResourceError';
  }
}

interface Relevant {
  unknown: UnknownValue;
  witnesses: Witnesses;
}

/** A copy of `root` in which only the containers along `paths` are new (copy on write). */
function copyAlong(root: Record<string, unknown>, paths: readonly JsonPath[]): Record<string, unknown> {
  const copies = new Set<unknown>();
  const shallow = (value: unknown): unknown => {
    const copy = Array.isArray(value) ? [...value] : { ...(value as object) };
    copies.add(copy);
    return copy;
  };
  const top = shallow(root) as Record<string, unknown>;
  for (const path of paths) {
    let node: Record<string | number, unknown> = top;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i] as string | number;
      let next = node[segment];
      if (typeof next !== 'object' || next === null) next = typeof path[i + 1] === 'number' ? [] : {};
      if (!copies.has(next)) next = shallow(next);
      define(node, segment, next);
      node = next as Record<string | number, unknown>;
    }
  }
  return top;
}

/** Assignment that keeps a key named "__proto__" an ordinary property. */
function define(container: Record<string | number, unknown>, key: string | number, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
  else container[key] = value;
}

/** Sets the value at `path` (containers along it must already be copies: see copyAlong). */
function setAt(target: Record<string, unknown>, path: JsonPath, value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++)
    node = node[path[i] as string | number] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (value !== ABSENT) define(node, last, structuredClone(value));
  else if (Array.isArray(node)) node[last as number] = null;
  else delete node[last];
}

function describeUnknowns(unknowns: readonly UnknownValue[]): string {
  const shown = unknowns.slice(0, 3).map((u) => `${formatPath(u.path)} = ${u.expression} (${u.reason})`);
  const more = unknowns.length > 3 ? `; and ${unknowns.length - 3} more` : '';
  return `${shown.join('; ')}${more}`;
}

function undecided(base: Finding, unknowns: readonly UnknownValue[], failMessage?: string): Finding {
  const { remediation: _none, ...rest } = base;
  const when = failMessage ? ` It fails for some values these can take, for example: ${failMessage}` : '';
  return {
    ...rest,
    status: 'unknown',
    message: `Not decidable before deployment: depends on ${describeUnknowns(unknowns)}.${when}`,
  };
}

function normalizeOrThrow(raw: Record<string, unknown>, resource: IacResource) {
  try {
    return normalizeResource(raw);
  } catch (error) {
    if (error instanceof InvalidResourceError)
      throw new IacResourceError(`${resource.source.path}: ${error.message}`);
    throw error;
  }
}

/** Cartesian product of the units' witnesses, units combined in parallel (see unitOf). */
function variantsOf(
  raw: Record<string, unknown>,
  relevant: readonly Relevant[],
): Record<string, unknown>[] | null {
  const units = new Map<string, Relevant[]>();
  for (const item of relevant) {
    const unit = unitOf(item.unknown);
    units.set(unit, [...(units.get(unit) ?? []), item]);
  }
  let count = 1;
  const sizes = new Map<string, number>();
  for (const [unit, items] of units) {
    const size = items.reduce((product, item) => product * item.witnesses.length, 1);
    if (size > MAX_COMBINATIONS) return null;
    sizes.set(unit, size);
    count = Math.max(count, size);
  }
  const paths = relevant.map((item) => item.unknown.path);
  const variants: Record<string, unknown>[] = [];
  for (let v = 0; v < count; v++) {
    const copy = copyAlong(raw, paths);
    for (const [unit, items] of units) {
      let combination = v % (sizes.get(unit) ?? 1);
      for (const item of items) {
        const choice = combination % item.witnesses.length;
        combination = Math.floor(combination / item.witnesses.length);
        setAt(copy, item.unknown.path, item.witnesses[choice]);
      }
    }
    variants.push(copy);
  }
  return variants;
}

function findingKey(finding: Finding): string {
  return `${finding.controlId}\u0000${finding.ruleName ?? ''}`;
}

/** Which unknowns can matter to a finding about `ruleName`: the resource's own and that rule's. */
function unknownsFor(
  relevant: readonly Relevant[],
  raw: Record<string, unknown>,
  ruleName: string | undefined,
) {
  const rules = (raw.properties as { securityRules?: unknown[] } | undefined)?.securityRules;
  const mine = relevant.filter((item) => {
    const unit = unitOf(item.unknown);
    if (unit === 'resource' || ruleName === undefined) return true;
    const index = Number(unit.slice('rule:'.length));
    const name = Array.isArray(rules) ? (rules[index] as { name?: unknown } | null)?.name : undefined;
    // A rule that is itself unknown (no name yet) or whose name is an expression may be this one.
    return name === ruleName || typeof name !== 'string' || name.startsWith('{');
  });
  return (mine.length > 0 ? mine : relevant).map((item) => item.unknown);
}

function judge(resource: IacResource, options: EvaluateOptions): Finding[] {
  const settings = options.settings ?? defaultEvaluationSettings;
  const plain: EvaluateOptions = { ...options, exceptions: [] };
  const kind = kindOfType(resource.raw.type);
  const relevant: Relevant[] = [];
  for (const unknown of kind === null ? [] : resource.unknowns) {
    const witnesses = witnessesFor(kind as ResourceKind, unknown, settings);
    if (witnesses !== null) relevant.push({ unknown, witnesses });
  }
  if (kind === null || relevant.length === 0) {
    const normalized = normalizeOrThrow(resource.raw, resource);
    return normalized ? evaluateResource(normalized, plain) : [];
  }

  const variants = variantsOf(resource.raw, relevant);
  if (variants === null) {
    // Too many combinations to enumerate: every control on the resource is undecided.
    const id = String(resource.raw.id);
    return controlsFor(kind)
      .filter((control) => (options.modes?.[control.id] ?? control.defaultMode) !== 'off')
      .map((control) =>
        undecided(
          {
            resourceId: id,
            resourceType: ARM_TYPE_NAMES[kind],
            controlId: control.id,
            status: 'unknown',
            severity: control.severity,
            criteria: [...control.criteria],
            message: '',
          },
          relevant.map((item) => item.unknown),
        ),
      );
  }

  const perVariant = variants.map((raw) => {
    const normalized = normalizeOrThrow(raw, resource);
    return normalized ? evaluateResource(normalized, plain) : [];
  });
  const total = perVariant.length;
  // Per control, in catalog order: failing keys (control + rule) and how many variants fail them.
  const order: ControlId[] = [];
  const failures = new Map<string, { finding: Finding; count: number }>();
  const others = new Map<ControlId, Finding[]>();
  for (const findings of perVariant) {
    for (const finding of findings) {
      if (!order.includes(finding.controlId)) order.push(finding.controlId);
      if (finding.status === 'fail') {
        const key = findingKey(finding);
        const seen = failures.get(key);
        if (seen) seen.count++;
        else failures.set(key, { finding, count: 1 });
      } else others.set(finding.controlId, [...(others.get(finding.controlId) ?? []), finding]);
    }
  }
  const merged: Finding[] = [];
  for (const controlId of order) {
    const mine = [...failures.values()].filter((entry) => entry.finding.controlId === controlId);
    if (mine.length === 0) {
      const candidates = others.get(controlId) ?? [];
      const pass = candidates.find((finding) => finding.status === 'pass') ?? candidates[0];
      if (pass) merged.push(pass);
      continue;
    }
    for (const { finding, count } of mine) {
      if (count === total) merged.push(finding);
      else
        merged.push(
          undecided(finding, unknownsFor(relevant, resource.raw, finding.ruleName), finding.message),
        );
    }
  }
  return merged;
}

/**
 * The workspace tables a template declares, for LAW-RETENTION: a template names the tables whose
 * retention it sets; every other table keeps its defaults (follows the workspace), so the list is
 * complete once the template declares any. Tables with unresolved values are left out.
 */
function declaredTables(resources: readonly IacResource[]): RelatedIndex {
  const tables = resources.filter(
    (resource) => kindOfType(resource.raw.type) === 'logAnalyticsTable' && resource.unknowns.length === 0,
  );
  const index = new RelatedIndex({ tables: tables.length > 0 });
  for (const table of tables) {
    const normalized = normalizeOrThrow(table.raw, table);
    if (normalized) index.add(normalized);
  }
  return index;
}

/** One finding per applicable control per resource, as evaluateResource, plus its source. */
export function evaluateIacResources(
  resources: readonly IacResource[],
  options: EvaluateOptions = {},
): IacFinding[] {
  const out: IacFinding[] = [];
  const now = options.now ?? new Date();
  const withTables: EvaluateOptions = { ...options, related: options.related ?? declaredTables(resources) };
  for (const resource of resources) {
    const findings = applyExceptions(judge(resource, withTables), options.exceptions ?? [], now);
    for (const finding of findings) {
      const rulePath = finding.ruleName ? resource.source.rules?.[finding.ruleName] : undefined;
      const source: IacFinding['source'] = { path: resource.source.path };
      if (resource.source.copyIndex !== undefined) source.copyIndex = resource.source.copyIndex;
      out.push({ ...finding, source, jsonPath: rulePath ?? resource.source.jsonPath });
    }
  }
  return out;
}
