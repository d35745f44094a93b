import {
  type ExpressionContext,
  ExpressionError,
  evaluateString,
  isExpression,
  isUnresolved,
  Unresolved,
} from './expressions.js';
import { appendKey } from './json-lines.js';
import type { DeploymentScope, IacReadResult, IacResource, JsonPath, UnknownValue } from './types.js';

/**
 * ARM deployment templates (what `az deployment group create --template-file` takes and what
 * `bicep build` emits) -> resources in the ARM REST shape, with the values that cannot be known
 * before deployment listed as unknowns. Handles `resources` as an array or, with
 * `languageVersion: "2.0"`, an object keyed by symbolic name; nested child resources; resource and
 * property `copy` loops; `condition`; `existing` (skipped: not deployed here); inline nested
 * deployments (Bicep modules). Pure: the caller reads files.
 */

type Json = Record<string, unknown>;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const MAX_COPY = 800; // ARM's own limit on a copy loop
const MAX_RESOURCES = 200_000;
const MAX_DEPTH = 10; // nested deployments / child resources
// Resolved values, all copy loops included (the 5,000-resource bench template resolves a few hundred thousand).
const MAX_VALUES = 20_000_000;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isUnresolved(value);
}

function own(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Case-insensitive own property (ARM names are case-insensitive). */
function ownCi(obj: Json, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  const found = Object.keys(obj).find((name) => name.toLowerCase() === lower);
  return found === undefined ? undefined : obj[found];
}

/** Assignment that keeps a key named "__proto__" an ordinary property. */
function put(obj: Json, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function isArmTemplate(json: unknown): json is Json {
  if (!isRecord(json)) return false;
  const schema = own(json, '$schema');
  if (typeof schema === 'string' && /deploymentTemplate\.json#?$/i.test(schema)) return true;
  return own(json, 'contentVersion') !== undefined && own(json, 'resources') !== undefined;
}

export function isArmParameters(json: unknown): boolean {
  if (!isRecord(json)) return false;
  const schema = own(json, '$schema');
  return typeof schema === 'string' && /deploymentParameters\.json#?$/i.test(schema);
}

/**
 * Values from an ARM parameters file (`{ "parameters": { "x": { "value": ... } } }`), or from
 * what `bicep build-params` prints (`{ "parametersJson": "..." }`). A Key Vault reference has no
 * value at review time.
 */
export function parseArmParameters(json: unknown, what: string): Map<string, unknown> {
  let document = json;
  if (isRecord(document) && typeof own(document, 'parametersJson') === 'string') {
    try {
      document = JSON.parse(own(document, 'parametersJson') as string);
    } catch {
      throw new TemplateError(`${what}: parametersJson is not valid JSON`);
    }
  }
  const parameters = isRecord(document) ? own(document, 'parameters') : undefined;
  if (!isRecord(parameters))
    throw new TemplateError(`${what}: expected an ARM parameters file ({"parameters": {...}})`);
  const values = new Map<string, unknown>();
  for (const [name, entry] of Object.entries(parameters)) {
    if (!isRecord(entry))
      throw new TemplateError(`${what}: parameter ${JSON.stringify(name)} is not an object`);
    if (Object.hasOwn(entry, 'value')) values.set(name.toLowerCase(), entry.value);
    else if (Object.hasOwn(entry, 'reference'))
      values.set(
        name.toLowerCase(),
        new Unresolved(`parameter '${name}' is a Key Vault reference, read at deployment`),
      );
  }
  return values;
}

export interface ArmReadOptions {
  /** from --parameters; names lower-cased */
  parameters?: ReadonlyMap<string, unknown>;
  scope: DeploymentScope;
  /** bound on resolved values (copy loops multiply); default MAX_VALUES */
  maxValues?: number;
}

interface Loop {
  name: string | undefined;
  index: number | Unresolved;
  /** copyIndex() without a name refers to the resource loop, never to a property loop */
  resource: boolean;
}

/** One template's parameters and variables, resolved lazily (each at most once). */
class TemplateFrame {
  private readonly parameterCache = new Map<string, unknown>();
  private readonly variableCache = new Map<string, unknown>();
  private readonly resolving = new Set<string>();

  constructor(
    private readonly template: Json,
    private readonly provided: ReadonlyMap<string, unknown>,
    readonly scope: DeploymentScope,
    /** shared by a template and its nested deployments: copy loops multiply, the budget bounds them */
    private readonly budget: { left: number } = { left: MAX_VALUES },
  ) {}

  /** A frame for a nested deployment's template, sharing this one's budget. */
  nested(template: Json, provided: ReadonlyMap<string, unknown>, scope: DeploymentScope): TemplateFrame {
    return new TemplateFrame(template, provided, scope, this.budget);
  }

  /** Counts one resolved value; a template that expands past the budget is refused, not half read. */
  spend(): void {
    if (--this.budget.left < 0)
      throw new TemplateError('the template expands to too many values (copy loops multiply); not read');
  }

  context(loops: readonly Loop[]): ExpressionContext {
    return {
      parameter: (name) => this.parameter(name),
      variable: (name) => this.variable(name),
      copyIndex: (loopName) => {
        const loop =
          loopName === undefined
            ? loops.find((candidate) => candidate.resource)
            : loops.find((candidate) => candidate.name?.toLowerCase() === loopName.toLowerCase());
        return loop
          ? loop.index
          : new Unresolved(`copyIndex(${loopName ? `'${loopName}'` : ''}) is used outside its loop`);
      },
      subscriptionId: this.scope.subscriptionId,
      resourceGroup: this.scope.resourceGroup,
    };
  }

  private parameter(name: string): unknown {
    const key = name.toLowerCase();
    if (this.parameterCache.has(key)) return this.parameterCache.get(key);
    let value: unknown;
    if (this.provided.has(key)) value = this.provided.get(key);
    else {
      const declarations = own(this.template, 'parameters');
      const declaration = isRecord(declarations) ? ownCi(declarations, name) : undefined;
      if (!isRecord(declaration))
        value = new Unresolved(`parameter '${name}' is not declared in the template`);
      else if (Object.hasOwn(declaration, 'defaultValue'))
        value = this.guarded(`parameters('${name}')`, () => resolveValue(declaration.defaultValue, this, []));
      else
        value = new Unresolved(`parameter '${name}' has no value (not in the parameters file, no default)`);
    }
    this.parameterCache.set(key, value);
    return value;
  }

  private variable(name: string): unknown {
    const key = name.toLowerCase();
    if (this.variableCache.has(key)) return this.variableCache.get(key);
    const variables = own(this.template, 'variables');
    let value: unknown;
    if (!isRecord(variables)) value = new Unresolved(`variable '${name}' is not declared`);
    else {
      const declared = ownCi(variables, name);
      const copies = own(variables, 'copy');
      const copy = Array.isArray(copies)
        ? copies.find((entry) => isRecord(entry) && String(own(entry, 'name')).toLowerCase() === key)
        : undefined;
      if (declared !== undefined && name.toLowerCase() !== 'copy')
        value = this.guarded(`variables('${name}')`, () => resolveValue(declared, this, []));
      else if (isRecord(copy)) value = this.guarded(`variables('${name}')`, () => expandCopy(copy, this, []));
      else value = new Unresolved(`variable '${name}' is not declared`);
    }
    this.variableCache.set(key, value);
    return value;
  }

  /** A parameter default or variable that refers to itself is an error in ARM: here it is unknown. */
  private guarded(label: string, compute: () => unknown): unknown {
    if (this.resolving.has(label)) return new Unresolved(`${label} refers to itself`);
    this.resolving.add(label);
    try {
      return compute();
    } finally {
      this.resolving.delete(label);
    }
  }
}

/** `{ name, count, input }` of a property or variable copy loop -> the array it produces. */
function expandCopy(copy: Json, frame: TemplateFrame, loops: readonly Loop[]): unknown {
  const name = typeof own(copy, 'name') === 'string' ? (own(copy, 'name') as string) : undefined;
  const count = resolveValue(own(copy, 'count'), frame, loops);
  if (isUnresolved(count)) return new Unresolved(`copy loop '${name}' count: ${count.reason}`);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
    return new Unresolved(`copy loop '${name}' count is not a whole number`);
  const input = own(copy, 'input');
  return Array.from({ length: Math.min(count, MAX_COPY) }, (_, index) =>
    resolveValue(input, frame, [{ name, index, resource: false }, ...loops]),
  );
}

/** Resolves every expression in a template value; unknown parts become Unresolved (carrying the expression). */
export function resolveValue(
  value: unknown,
  frame: TemplateFrame,
  loops: readonly Loop[],
  depth = 0,
): unknown {
  if (depth > 100) return new Unresolved('value nests too deeply');
  frame.spend();
  if (typeof value === 'string') {
    if (!isExpression(value)) return value.startsWith('[[') ? value.slice(1) : value;
    let result: unknown;
    try {
      result = evaluateString(value, frame.context(loops));
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      result = new Unresolved(`cannot be evaluated: ${error.message}`);
    }
    return isUnresolved(result)
      ? new Unresolved(result.reason, result.text, result.expression ?? value)
      : result;
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, frame, loops, depth + 1));
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'copy' && Array.isArray(item)) {
      // Property iteration: "copy": [{ "name": "securityRules", "count": N, "input": {...} }]
      for (const loop of item) {
        if (!isRecord(loop) || typeof own(loop, 'name') !== 'string') continue;
        put(out, own(loop, 'name') as string, expandCopy(loop, frame, loops));
      }
      continue;
    }
    put(out, key, resolveValue(item, frame, loops, depth + 1));
  }
  return out;
}

/** Removes Unresolved values from a resolved resource, recording where they were. */
function extractUnknowns(value: unknown, path: (string | number)[], out: UnknownValue[]): unknown {
  if (isUnresolved(value)) {
    out.push({
      path: [...path],
      expression: value.expression ?? value.text ?? '(expression)',
      reason: value.reason,
    });
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      const cleaned = extractUnknowns(item, [...path, index], out);
      return cleaned === undefined ? null : cleaned;
    });
  }
  if (!isRecord(value)) return value;
  const cleaned: Json = {};
  for (const [key, item] of Object.entries(value)) {
    const result = extractUnknowns(item, [...path, key], out);
    if (result !== undefined) put(cleaned, key, result);
  }
  return cleaned;
}

function textOrPlaceholder(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (isUnresolved(value)) return value.text ?? `{${value.expression ?? what}}`;
  return String(value);
}

/** `/providers/Microsoft.X/a/n1/b/n2` from a full type and a slash-separated full name. */
export function providerPath(type: string, name: string): string {
  const [namespace, ...typeSegments] = type.split('/');
  const names = name.split('/');
  const parts = [namespace ?? ''];
  typeSegments.forEach((segment, index) => {
    parts.push(segment, names[index] ?? '');
  });
  // A name with more segments than its type (a mistake ARM rejects) keeps the rest visible.
  for (const extra of names.slice(typeSegments.length)) parts.push(extra);
  return `/providers/${parts.join('/')}`;
}

function scopeId(scope: DeploymentScope, level: 'group' | 'subscription'): string {
  return level === 'group'
    ? `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`
    : `/subscriptions/${scope.subscriptionId}`;
}

interface Walk {
  out: IacResource[];
  notes: string[];
  depth: number;
  level: 'group' | 'subscription';
}

interface Parent {
  type: string;
  name: string;
}

function entriesOf(resources: unknown, jsonPath: JsonPath, display: string): [string, JsonPath, unknown][] {
  if (Array.isArray(resources))
    return resources.map((item, index) => [`${display}[${index}]`, [...jsonPath, index], item]);
  if (isRecord(resources))
    return Object.entries(resources).map(([key, item]) => [
      appendKey(display, key),
      [...jsonPath, key],
      item,
    ]);
  return [];
}

const DEPLOYMENTS = 'microsoft.resources/deployments';

function walkResources(
  resources: unknown,
  jsonPath: JsonPath,
  display: string,
  frame: TemplateFrame,
  parent: Parent | null,
  walk: Walk,
  outerLoops: readonly Loop[],
): void {
  if (walk.depth > MAX_DEPTH) {
    walk.notes.push(`${display}: nested more than ${MAX_DEPTH} levels deep; not read`);
    return;
  }
  for (const [label, path, resource] of entriesOf(resources, jsonPath, display)) {
    if (!isRecord(resource)) continue;
    if (own(resource, 'existing') === true) continue; // a reference to a resource deployed elsewhere
    const copy = own(resource, 'copy');
    const instances: Loop[][] = [];
    if (isRecord(copy)) {
      const loopName = typeof own(copy, 'name') === 'string' ? (own(copy, 'name') as string) : undefined;
      const count = resolveValue(own(copy, 'count'), frame, outerLoops);
      if (typeof count === 'number' && Number.isInteger(count) && count >= 0) {
        if (count > MAX_COPY)
          walk.notes.push(
            `${label}: copy count ${count} is over ARM's limit of ${MAX_COPY}; first ${MAX_COPY} read`,
          );
        for (let index = 0; index < Math.min(count, MAX_COPY); index++)
          instances.push([{ name: loopName, index, resource: true }, ...outerLoops]);
      } else {
        // Unknown count: judge one instance whose copyIndex() is unknown.
        const reason = isUnresolved(count) ? count.reason : 'copy count is not a whole number';
        instances.push([
          { name: loopName, index: new Unresolved(`copy count unknown: ${reason}`), resource: true },
          ...outerLoops,
        ]);
      }
    } else instances.push([...outerLoops]);

    for (const loops of instances) {
      if (walk.out.length >= MAX_RESOURCES) throw new TemplateError(`more than ${MAX_RESOURCES} resources`);
      const copyIndex = isRecord(copy) && typeof loops[0]?.index === 'number' ? loops[0].index : undefined;
      readResource(resource, label, path, frame, parent, walk, loops, copyIndex);
    }
  }
}

function readResource(
  resource: Json,
  label: string,
  path: JsonPath,
  frame: TemplateFrame,
  parent: Parent | null,
  walk: Walk,
  loops: readonly Loop[],
  copyIndex: number | undefined,
): void {
  if (own(resource, 'condition') !== undefined) {
    const condition = resolveValue(own(resource, 'condition'), frame, loops);
    // An unknown condition may deploy the resource: judge it.
    if (condition === false || condition === 'false') return;
  }
  const rawType = resolveValue(own(resource, 'type'), frame, loops);
  if (typeof rawType !== 'string') {
    walk.notes.push(`${label}: the resource type is not known before deployment; not judged`);
    return;
  }
  const name = textOrPlaceholder(resolveValue(own(resource, 'name'), frame, loops), `${label}.name`);
  // A nested child may give its type relative to the parent ("securityRules", "blobServices/containers").
  const relative = parent !== null && !/^[^/]*\./.test(rawType);
  const type = relative ? `${parent.type}/${rawType}` : rawType;
  const typeDepth = type.split('/').length - 1;
  const fullName = parent !== null && name.split('/').length < typeDepth ? `${parent.name}/${name}` : name;

  if (type.toLowerCase() === DEPLOYMENTS) {
    readDeployment(resource, label, path, frame, walk, loops);
    return;
  }
  const raw: Json = {
    id: `${scopeId(frame.scope, walk.level)}${providerPath(type, fullName)}`,
    name: fullName.split('/').at(-1) ?? fullName,
    type,
  };
  const unknowns: UnknownValue[] = [];
  for (const key of ['tags', 'properties', 'kind', 'sku'] as const) {
    if (own(resource, key) === undefined) continue;
    const cleaned = extractUnknowns(resolveValue(own(resource, key), frame, loops), [key], unknowns);
    if (cleaned !== undefined) put(raw, key, cleaned);
  }
  const source: IacResource['source'] = { path: label, jsonPath: path };
  if (copyIndex !== undefined) source.copyIndex = copyIndex;
  const rules = inlineRulePaths(resource, raw, path);
  if (rules) source.rules = rules;
  walk.out.push({ raw, unknowns, source });

  const children = own(resource, 'resources');
  if (children !== undefined) {
    walkResources(
      children,
      [...path, 'resources'],
      `${label}.resources`,
      frame,
      { type, name: fullName },
      { ...walk, depth: walk.depth + 1 },
      loops,
    );
  }
}

/** Inline NSG rules written as a literal array: rule name -> JSON path, so findings point at the rule. */
function inlineRulePaths(resource: Json, raw: Json, path: JsonPath): Record<string, JsonPath> | undefined {
  const written = isRecord(own(resource, 'properties'))
    ? own(own(resource, 'properties') as Json, 'securityRules')
    : undefined;
  const resolved = isRecord(raw.properties) ? own(raw.properties, 'securityRules') : undefined;
  if (!Array.isArray(written) || !Array.isArray(resolved) || written.length !== resolved.length)
    return undefined;
  const rules: Record<string, JsonPath> = {};
  resolved.forEach((rule, index) => {
    if (isRecord(rule) && typeof own(rule, 'name') === 'string')
      put(rules, own(rule, 'name') as string, [...path, 'properties', 'securityRules', index]);
  });
  return rules;
}

/** An inline nested deployment (how Bicep compiles a module): read its template in its own scope. */
function readDeployment(
  resource: Json,
  label: string,
  path: JsonPath,
  frame: TemplateFrame,
  walk: Walk,
  loops: readonly Loop[],
): void {
  const properties = own(resource, 'properties');
  if (!isRecord(properties)) return;
  const template = own(properties, 'template');
  if (!isRecord(template)) {
    if (own(properties, 'templateLink') !== undefined)
      walk.notes.push(
        `${label}: linked template (templateLink) is not followed; compile or inline it to judge it`,
      );
    return;
  }
  const options = own(properties, 'expressionEvaluationOptions');
  const inner = isRecord(options) && String(own(options, 'scope')).toLowerCase() === 'inner';
  const group = resolveValue(own(resource, 'resourceGroup'), frame, loops);
  const subscription = resolveValue(own(resource, 'subscriptionId'), frame, loops);
  const scope: DeploymentScope = {
    subscriptionId: typeof subscription === 'string' ? subscription : frame.scope.subscriptionId,
    resourceGroup:
      typeof group === 'string'
        ? group
        : isUnresolved(group)
          ? textOrPlaceholder(group, 'resourceGroup')
          : frame.scope.resourceGroup,
  };
  const level = own(resource, 'resourceGroup') !== undefined ? 'group' : walk.level;
  let innerFrame = frame;
  if (inner) {
    const values = new Map<string, unknown>();
    const parameters = own(properties, 'parameters');
    if (isRecord(parameters)) {
      for (const [name, entry] of Object.entries(parameters)) {
        if (!isRecord(entry)) continue;
        if (Object.hasOwn(entry, 'value'))
          values.set(name.toLowerCase(), resolveValue(entry.value, frame, loops));
        else if (Object.hasOwn(entry, 'reference'))
          values.set(
            name.toLowerCase(),
            new Unresolved(`parameter '${name}' is a Key Vault reference, read at deployment`),
          );
      }
    }
    innerFrame = frame.nested(template, values, scope);
  }
  walkResources(
    own(template, 'resources'),
    [...path, 'properties', 'template', 'resources'],
    `${label}.properties.template.resources`,
    innerFrame,
    null,
    { ...walk, depth: walk.depth + 1, level },
    inner ? [] : loops,
  );
}

export function readArmTemplate(template: unknown, options: ArmReadOptions): IacReadResult {
  if (!isArmTemplate(template)) throw new TemplateError('not an ARM deployment template');
  const schema = String(own(template, '$schema') ?? '');
  const level =
    /subscriptionDeploymentTemplate|managementGroupDeploymentTemplate|tenantDeploymentTemplate/i.test(schema)
      ? 'subscription'
      : 'group';
  const resources = own(template, 'resources');
  if (!Array.isArray(resources) && !isRecord(resources))
    throw new TemplateError(
      '"resources" must be an array, or an object keyed by symbolic name (languageVersion 2.0)',
    );
  const frame = new TemplateFrame(template, options.parameters ?? new Map(), options.scope, {
    left: options.maxValues ?? MAX_VALUES,
  });
  const walk: Walk = { out: [], notes: [], depth: 0, level };
  walkResources(resources, ['resources'], 'resources', frame, null, walk, []);
  return { resources: walk.out, notes: walk.notes };
}
