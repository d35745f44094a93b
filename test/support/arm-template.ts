import { readFileSync } from 'node:fs';
import { evaluateValue, type Scope, Unresolved } from './arm-expression.js';

/**
 * Reading a compiled ARM template the way ARM would: resources in either shape (an array, or an
 * object keyed by symbolic name in languageVersion 2.0), nested module deployments with their
 * parameters evaluated in the parent's scope, copy loops expanded when their count is known.
 */

export interface TemplateResource {
  type: string;
  apiVersion: string;
  name: unknown;
  condition?: unknown;
  copy?: { name: string; count: unknown };
  existing?: boolean;
  scope?: unknown;
  location?: unknown;
  kind?: unknown;
  sku?: unknown;
  tags?: unknown;
  identity?: unknown;
  properties?: unknown;
  dependsOn?: unknown;
  /** deployments (modules) only: the target subscription / resource group */
  subscriptionId?: unknown;
  resourceGroup?: unknown;
}

export interface TemplateParameter {
  type?: string;
  defaultValue?: unknown;
  minValue?: number;
  maxValue?: number;
  allowedValues?: unknown[];
  metadata?: { description?: string };
}

export interface ArmTemplate {
  $schema: string;
  languageVersion?: string;
  parameters?: Record<string, TemplateParameter>;
  variables?: Record<string, unknown>;
  resources: TemplateResource[] | Record<string, TemplateResource>;
  outputs?: Record<string, { type: string; value?: unknown }>;
}

/** A template together with what its expressions may read. */
export interface TemplateScope {
  template: ArmTemplate;
  scope: Scope;
  /** module path from the root, e.g. ['monitored[0]', 'systemTopic'] */
  path: string[];
}

/** One resource instance: copy loops expanded (copyIndex bound), properties evaluated. */
export interface ResourceInstance {
  /** symbolic name (languageVersion 2.0) or `#<position>` */
  symbolicName: string;
  /** index within its copy loop, if it has one */
  copyIndex?: number;
  definition: TemplateResource;
  /** the resource with every expression evaluated as far as the template allows */
  evaluated: TemplateResource;
  /** evaluated `condition`: true when there is none */
  deployed: boolean | Unresolved;
  within: TemplateScope;
}

export function readTemplate(file: string): ArmTemplate {
  return JSON.parse(readFileSync(file, 'utf8')) as ArmTemplate;
}

function entries(template: ArmTemplate): [string, TemplateResource][] {
  return Array.isArray(template.resources)
    ? template.resources.map((resource, position) => [`#${position}`, resource])
    : Object.entries(template.resources);
}

/** Scope of a top-level template: given parameter values, else each parameter's default. */
export function rootScope(
  template: ArmTemplate,
  parameterValues: Record<string, unknown> = {},
): TemplateScope {
  return { template, scope: scopeFor(template, parameterValues, {}), path: [] };
}

function scopeFor(
  template: ArmTemplate,
  values: Record<string, unknown>,
  outer: Omit<Scope, 'variables' | 'parameters'>,
): Scope {
  const parameters: Record<string, unknown> = {};
  const scope: Scope = { ...outer, variables: template.variables ?? {}, parameters };
  for (const [name, definition] of Object.entries(template.parameters ?? {})) {
    if (Object.hasOwn(values, name)) parameters[name] = values[name];
    else if (definition.defaultValue !== undefined)
      parameters[name] = evaluateValue(definition.defaultValue, scope);
  }
  return scope;
}

const DEPLOYMENTS = 'Microsoft.Resources/deployments';

/** A module's nested template is evaluated in its own scope (moduleScope), never in the parent's. */
function withoutNestedTemplate(definition: TemplateResource): TemplateResource {
  if (definition.type !== DEPLOYMENTS) return definition;
  const { template: _nested, ...properties } = definition.properties as Record<string, unknown>;
  return { ...definition, properties };
}

/** Every instance of every resource in one template (not descending into modules). */
export function resourcesIn(within: TemplateScope): ResourceInstance[] {
  const instances: ResourceInstance[] = [];
  for (const [symbolicName, definition] of entries(within.template)) {
    const count = definition.copy ? evaluateValue(definition.copy.count, within.scope) : undefined;
    const indexes = definition.copy
      ? typeof count === 'number'
        ? [...Array(count).keys()]
        : []
      : [undefined];
    if (definition.copy && typeof count !== 'number') {
      throw new Error(`copy count of ${symbolicName} is not known: ${String(count)}`);
    }
    for (const copyIndex of indexes) {
      const scope: Scope = copyIndex === undefined ? within.scope : { ...within.scope, copyIndex };
      const evaluated = evaluateValue(withoutNestedTemplate(definition), scope) as TemplateResource;
      const deployed =
        definition.condition === undefined ? true : (evaluateValue(definition.condition, scope) as boolean);
      instances.push({
        symbolicName,
        ...(copyIndex === undefined ? {} : { copyIndex }),
        definition,
        evaluated,
        deployed,
        within,
      });
    }
  }
  return instances;
}

/** The nested template of a module instance, its parameters evaluated in the parent's scope. */
export function moduleScope(instance: ResourceInstance): TemplateScope {
  if (instance.definition.type !== DEPLOYMENTS) throw new Error(`${instance.symbolicName} is not a module`);
  const properties = instance.definition.properties as {
    template: ArmTemplate;
    parameters?: Record<string, unknown>;
  };
  const parentScope: Scope =
    instance.copyIndex === undefined
      ? instance.within.scope
      : { ...instance.within.scope, copyIndex: instance.copyIndex };
  const values: Record<string, unknown> = {};
  // Bicep writes `{ "value": ... }` per parameter, or one expression that yields it
  // (`[if(cond, createObject('value', a), createObject('value', b))]`).
  for (const [name, parameter] of Object.entries(properties.parameters ?? {})) {
    const evaluated = evaluateValue(parameter, parentScope);
    values[name] =
      evaluated && typeof evaluated === 'object' && 'value' in evaluated
        ? evaluated.value
        : new Unresolved(`${String(evaluated)}.value`);
  }
  const label =
    instance.copyIndex === undefined
      ? instance.symbolicName
      : `${instance.symbolicName}[${instance.copyIndex}]`;
  return {
    template: properties.template,
    scope: scopeFor(properties.template, values, {}),
    path: [...instance.within.path, label],
  };
}

/** The same template with some parameter values replaced (e.g. to stand in for a deployment output). */
export function withParameters(within: TemplateScope, overrides: Record<string, unknown>): TemplateScope {
  return { ...within, scope: { ...within.scope, parameters: { ...within.scope.parameters, ...overrides } } };
}

/** The module deployed under `symbolicName` (its first copy, unless `copyIndex` says otherwise). */
export function module(within: TemplateScope, symbolicName: string, copyIndex = 0): TemplateScope {
  const instance = resourcesIn(within).find(
    (r) => r.symbolicName === symbolicName && (r.copyIndex ?? 0) === copyIndex,
  );
  if (!instance)
    throw new Error(`no module ${symbolicName}[${copyIndex}] in ${within.path.join('/') || 'main'}`);
  return moduleScope(instance);
}

/** Every resource instance in the template and all its modules, depth first (modules included). */
export function allResources(within: TemplateScope): ResourceInstance[] {
  return resourcesIn(within).flatMap((instance) =>
    instance.definition.type === DEPLOYMENTS
      ? [instance, ...allResources(moduleScope(instance))]
      : [instance],
  );
}

/** The one resource of `type` in a template (not its modules); throws unless there is exactly one. */
export function onlyOfType(within: TemplateScope, type: string): ResourceInstance {
  const found = resourcesIn(within).filter((r) => r.definition.type.toLowerCase() === type.toLowerCase());
  if (found.length !== 1) {
    throw new Error(`expected one ${type} in ${within.path.join('/') || 'main'}, found ${found.length}`);
  }
  return found[0] as ResourceInstance;
}

/** A resource by symbolic name (languageVersion 2.0 templates). */
export function bySymbol(within: TemplateScope, symbolicName: string): ResourceInstance[] {
  const found = resourcesIn(within).filter((r) => r.symbolicName === symbolicName);
  if (found.length === 0)
    throw new Error(`no resource ${symbolicName} in ${within.path.join('/') || 'main'}`);
  return found;
}

/** `build-params` output → parameter values of the template (`{ parametersJson: "..." }`). */
export function parameterValues(buildParamsFile: string): Record<string, unknown> {
  const output = JSON.parse(readFileSync(buildParamsFile, 'utf8')) as { parametersJson: string };
  const parameters = (JSON.parse(output.parametersJson) as { parameters: Record<string, { value: unknown }> })
    .parameters;
  return Object.fromEntries(Object.entries(parameters).map(([name, p]) => [name, p.value]));
}
