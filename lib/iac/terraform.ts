import { providerPath } from './arm-template.js';
import type { DeploymentScope, IacReadResult, IacResource, JsonPath, UnknownValue } from './types.js';

/**
 * Terraform plan JSON (`terraform show -json plan.tfplan`) -> resources in the ARM REST shape.
 * Reads `resource_changes[].change.after` (and `after_unknown`); a plan with no changes list is
 * read from `planned_values`. Deletions are skipped (nothing will exist to judge); no-op changes
 * are judged (the resource stays as it is). azurerm attribute names of current provider versions
 * are read, and the older names where they were renamed; unset attributes get the provider
 * default. Pure: the caller reads the file.
 */

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function isTerraformPlan(json: unknown): json is Json {
  return (
    isRecord(json) &&
    typeof own(json, 'format_version') === 'string' &&
    (Array.isArray(own(json, 'resource_changes')) || isRecord(own(json, 'planned_values')))
  );
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** One planned resource: its values after apply, which of them are known only then, and where it is. */
interface Planned {
  address: string;
  type: string;
  after: Json;
  /** `after_unknown`: true, or an object/array mirroring `after` with true where unknown */
  unknown: unknown;
  jsonPath: JsonPath;
}

/** Is the attribute (or any part of it) known only after apply? */
function unknownAt(unknown: unknown, ...path: (string | number)[]): boolean {
  let node = unknown;
  for (const segment of path) {
    if (node === true) return true;
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isRecord(node) && typeof segment === 'string') node = own(node, segment);
    else return false;
  }
  return node === true;
}

class Mapper {
  readonly unknowns: UnknownValue[] = [];

  constructor(private readonly planned: Planned) {}

  /**
   * The first of `names` present in `after` (current name first, then older ones), or a mark
   * that it is unknown. `rawPath` is where the value goes in the ARM shape.
   */
  read(
    names: readonly string[],
    rawPath: JsonPath,
    base: (string | number)[] = [],
  ): { value: unknown; known: boolean; name: string } {
    const { after, unknown } = this.planned;
    let node: unknown = after;
    for (const segment of base)
      node = isRecord(node)
        ? own(node, segment as string)
        : Array.isArray(node)
          ? node[segment as number]
          : undefined;
    for (const name of names) {
      if (unknownAt(unknown, ...base, name)) {
        this.unknowns.push({
          path: rawPath,
          expression: `${this.planned.address}.${attributePath([...base, name])}`,
          reason: 'known only after apply',
        });
        return { value: undefined, known: false, name };
      }
    }
    for (const name of names) {
      if (isRecord(node) && own(node, name) !== undefined && own(node, name) !== null)
        return { value: own(node, name), known: true, name };
    }
    return {
      value: undefined,
      known: true,
      name: names.find((name) => isRecord(node) && Object.hasOwn(node, name)) ?? names[0] ?? '',
    };
  }
}

/** `security_rule[2].source_address_prefix`, as Terraform prints attribute paths. */
function attributePath(path: readonly (string | number)[]): string {
  return path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function armId(scope: DeploymentScope, group: unknown, type: string, name: string): string {
  const rg = str(group) ?? scope.resourceGroup;
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${rg}${providerPath(type, name)}`;
}

/** The real id once the resource exists (updates, no-ops); built from name and group for a create. */
function idOf(planned: Planned, fallback: () => string): string {
  return str(own(planned.after, 'id')) ?? fallback();
}

function nameOf(planned: Planned): string {
  return str(own(planned.after, 'name')) ?? `{${planned.address}.name}`;
}

function storageAccount(planned: Planned, scope: DeploymentScope): IacResource {
  const m = new Mapper(planned);
  const props: Json = {};
  const name = nameOf(planned);
  const id = idOf(planned, () =>
    armId(scope, own(planned.after, 'resource_group_name'), 'Microsoft.Storage/storageAccounts', name),
  );
  // allow_blob_public_access (azurerm 2.x) defaulted to false; allow_nested_items_to_be_public (3.x+) defaults to true.
  const nested = m.read(
    ['allow_nested_items_to_be_public', 'allow_blob_public_access'],
    ['properties', 'allowBlobPublicAccess'],
  );
  const legacy =
    Object.hasOwn(planned.after, 'allow_blob_public_access') &&
    !Object.hasOwn(planned.after, 'allow_nested_items_to_be_public');
  if (nested.known) props.allowBlobPublicAccess = nested.value ?? !legacy;
  const https = m.read(
    ['https_traffic_only_enabled', 'enable_https_traffic_only'],
    ['properties', 'supportsHttpsTrafficOnly'],
  );
  if (https.known) props.supportsHttpsTrafficOnly = https.value ?? true;
  // min_tls_version: TLS1_2 by default since azurerm 3.0 (TLS1_0 in 2.x, recognised by its old attribute names).
  const tls = m.read(['min_tls_version'], ['properties', 'minimumTlsVersion']);
  if (tls.known) props.minimumTlsVersion = tls.value ?? (legacy ? 'TLS1_0' : 'TLS1_2');
  const network = m.read(['public_network_access_enabled'], ['properties', 'publicNetworkAccess']);
  if (network.known) props.publicNetworkAccess = network.value === false ? 'Disabled' : 'Enabled';
  const rules = m.read(['network_rules'], ['properties', 'networkAcls']);
  if (rules.known && Array.isArray(rules.value) && rules.value.length > 0) {
    const action = m.read(
      ['default_action'],
      ['properties', 'networkAcls', 'defaultAction'],
      ['network_rules', 0],
    );
    if (action.known) props.networkAcls = { defaultAction: action.value ?? 'Allow' };
  }
  const cmk = m.read(['customer_managed_key'], ['properties', 'encryption']);
  if (cmk.known) {
    const keyed = Array.isArray(cmk.value) && cmk.value.length > 0;
    props.encryption = { keySource: keyed ? 'Microsoft.Keyvault' : 'Microsoft.Storage' };
  }
  const raw: Json = { id, name, type: 'Microsoft.Storage/storageAccounts', properties: props };
  readTags(m, planned, raw);
  return { raw, unknowns: m.unknowns, source: { path: planned.address, jsonPath: planned.jsonPath } };
}

/** Tags, with a whole map or single values known only after apply (e.g. merged from a module output). */
function readTags(m: Mapper, planned: Planned, raw: Json): void {
  const tags = m.read(['tags'], ['tags']);
  if (!tags.known) return;
  if (isRecord(tags.value)) raw.tags = tags.value;
  const unknownTags = isRecord(planned.unknown) ? own(planned.unknown, 'tags') : undefined;
  if (!isRecord(unknownTags)) return;
  for (const [name, flag] of Object.entries(unknownTags)) {
    if (flag === true)
      m.unknowns.push({
        path: ['tags', name],
        expression: `${planned.address}.tags["${name}"]`,
        reason: 'known only after apply',
      });
  }
}

const ACCESS_TYPES: Record<string, string> = { private: 'None', blob: 'Blob', container: 'Container' };

function storageContainer(
  planned: Planned,
  scope: DeploymentScope,
  accounts: ReadonlyMap<string, string>,
): IacResource {
  const m = new Mapper(planned);
  const name = nameOf(planned);
  const accountId =
    str(own(planned.after, 'storage_account_id')) ??
    accounts.get(String(own(planned.after, 'storage_account_name')).toLowerCase()) ??
    armId(
      scope,
      undefined,
      'Microsoft.Storage/storageAccounts',
      str(own(planned.after, 'storage_account_name')) ?? `{${planned.address}.storage_account}`,
    );
  // azurerm's container id is a data-plane URL; the ARM id is what exceptions and the runtime use.
  const id = `${accountId}/blobServices/default/containers/${name}`;
  const access = m.read(['container_access_type'], ['properties', 'publicAccess']);
  const props: Json = {};
  if (access.known) {
    const value = typeof access.value === 'string' ? access.value : 'private';
    props.publicAccess = ACCESS_TYPES[value.toLowerCase()] ?? value;
  }
  const raw: Json = {
    id,
    name,
    type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    properties: props,
  };
  return { raw, unknowns: m.unknowns, source: { path: planned.address, jsonPath: planned.jsonPath } };
}

/** azurerm rule attributes -> ARM rule properties (single values and lists are both kept). */
const RULE_FIELDS: [string, string][] = [
  ['priority', 'priority'],
  ['direction', 'direction'],
  ['access', 'access'],
  ['protocol', 'protocol'],
  ['source_address_prefix', 'sourceAddressPrefix'],
  ['source_address_prefixes', 'sourceAddressPrefixes'],
  ['destination_port_range', 'destinationPortRange'],
  ['destination_port_ranges', 'destinationPortRanges'],
  ['source_port_range', 'sourcePortRange'],
  ['destination_address_prefix', 'destinationAddressPrefix'],
];

function ruleProperties(m: Mapper, base: (string | number)[], rawBase: JsonPath): Json {
  const props: Json = {};
  for (const [tf, arm] of RULE_FIELDS) {
    const field = m.read([tf], [...rawBase, arm], base);
    // azurerm sends "" and [] for unset single and list attributes.
    if (!field.known || field.value === '' || (Array.isArray(field.value) && field.value.length === 0))
      continue;
    props[arm] = field.value;
  }
  return props;
}

function networkSecurityGroup(planned: Planned, scope: DeploymentScope): IacResource {
  const m = new Mapper(planned);
  const name = nameOf(planned);
  const id = idOf(planned, () =>
    armId(scope, own(planned.after, 'resource_group_name'), 'Microsoft.Network/networkSecurityGroups', name),
  );
  const rulesField = m.read(['security_rule'], ['properties', 'securityRules']);
  const securityRules: Json[] = [];
  const rulePaths: Record<string, JsonPath> = {};
  if (rulesField.known && Array.isArray(rulesField.value)) {
    rulesField.value.forEach((rule, index) => {
      if (!isRecord(rule)) return;
      const ruleName = m.read(
        ['name'],
        ['properties', 'securityRules', index, 'name'],
        ['security_rule', index],
      );
      const label = str(ruleName.value) ?? `{${planned.address}.security_rule[${index}].name}`;
      securityRules.push({
        name: label,
        properties: ruleProperties(
          m,
          ['security_rule', index],
          ['properties', 'securityRules', index, 'properties'],
        ),
      });
      Object.defineProperty(rulePaths, label, {
        value: [...planned.jsonPath, 'change', 'after', 'security_rule', index],
        enumerable: true,
      });
    });
  }
  const raw: Json = {
    id,
    name,
    type: 'Microsoft.Network/networkSecurityGroups',
    properties: { securityRules },
  };
  readTags(m, planned, raw);
  const source: IacResource['source'] = { path: planned.address, jsonPath: planned.jsonPath };
  if (planned.jsonPath[0] === 'resource_changes') source.rules = rulePaths;
  return { raw, unknowns: m.unknowns, source };
}

function networkSecurityRule(planned: Planned, scope: DeploymentScope): IacResource {
  const m = new Mapper(planned);
  const name = nameOf(planned);
  const nsg =
    str(own(planned.after, 'network_security_group_name')) ??
    `{${planned.address}.network_security_group_name}`;
  const id = idOf(planned, () =>
    armId(
      scope,
      own(planned.after, 'resource_group_name'),
      'Microsoft.Network/networkSecurityGroups/securityRules',
      `${nsg}/${name}`,
    ),
  );
  const raw: Json = {
    id,
    name,
    type: 'Microsoft.Network/networkSecurityGroups/securityRules',
    properties: ruleProperties(m, [], ['properties']),
  };
  return { raw, unknowns: m.unknowns, source: { path: planned.address, jsonPath: planned.jsonPath } };
}

const READERS = new Set([
  'azurerm_storage_account',
  'azurerm_storage_container',
  'azurerm_network_security_group',
  'azurerm_network_security_rule',
]);

function fromChanges(changes: unknown[], notes: string[]): Planned[] {
  const planned: Planned[] = [];
  changes.forEach((change, index) => {
    if (!isRecord(change) || own(change, 'mode') === 'data') return;
    const type = own(change, 'type');
    const address = String(own(change, 'address') ?? `resource_changes[${index}]`);
    const detail = own(change, 'change');
    if (typeof type !== 'string' || !isRecord(detail)) return;
    const actions = Array.isArray(own(detail, 'actions')) ? (own(detail, 'actions') as unknown[]) : [];
    if (
      actions.length === 0 ||
      actions.every((action) => action === 'delete' || action === 'forget' || action === 'read')
    )
      return;
    const after = own(detail, 'after');
    if (!isRecord(after)) {
      if (READERS.has(type)) notes.push(`${address}: no planned values (change.after); not judged`);
      return;
    }
    planned.push({
      address,
      type,
      after,
      unknown: own(detail, 'after_unknown') ?? {},
      jsonPath: ['resource_changes', index],
    });
  });
  return planned;
}

function fromPlannedValues(module: unknown, jsonPath: JsonPath, out: Planned[], depth = 0): void {
  if (!isRecord(module) || depth > 32) return;
  const resources = own(module, 'resources');
  if (Array.isArray(resources)) {
    resources.forEach((resource, index) => {
      if (!isRecord(resource) || own(resource, 'mode') === 'data') return;
      const values = own(resource, 'values');
      const type = own(resource, 'type');
      if (!isRecord(values) || typeof type !== 'string') return;
      out.push({
        address: String(own(resource, 'address')),
        type,
        after: values,
        unknown: {},
        jsonPath: [...jsonPath, 'resources', index],
      });
    });
  }
  const children = own(module, 'child_modules');
  if (!Array.isArray(children)) return;
  children.forEach((child, index) => {
    fromPlannedValues(child, [...jsonPath, 'child_modules', index], out, depth + 1);
  });
}

export function readTerraformPlan(plan: unknown, scope: DeploymentScope): IacReadResult {
  if (!isTerraformPlan(plan)) throw new PlanError('not a Terraform plan (terraform show -json)');
  const notes: string[] = [];
  const changes = own(plan, 'resource_changes');
  let planned: Planned[];
  if (Array.isArray(changes)) planned = fromChanges(changes, notes);
  else {
    planned = [];
    const values = own(plan, 'planned_values');
    fromPlannedValues(
      isRecord(values) ? own(values, 'root_module') : undefined,
      ['planned_values', 'root_module'],
      planned,
    );
  }
  // Containers name their account (azurerm 3.x): resolve it to the account's id when it is in the plan.
  const accounts = new Map<string, string>();
  const accountOf = new Map<Planned, IacResource>();
  for (const item of planned) {
    if (item.type !== 'azurerm_storage_account') continue;
    const account = storageAccount(item, scope);
    accountOf.set(item, account);
    accounts.set(String(account.raw.name).toLowerCase(), String(account.raw.id));
  }
  const resources: IacResource[] = [];
  for (const item of planned) {
    const account = accountOf.get(item);
    if (account) resources.push(account);
    else if (item.type === 'azurerm_storage_container')
      resources.push(storageContainer(item, scope, accounts));
    else if (item.type === 'azurerm_network_security_group')
      resources.push(networkSecurityGroup(item, scope));
    else if (item.type === 'azurerm_network_security_rule') resources.push(networkSecurityRule(item, scope));
  }
  return { resources, notes };
}
