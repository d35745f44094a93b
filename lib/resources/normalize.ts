import { idShapeOf, lastIdSegment } from '../azure/resource-id.js';
import { type FieldSpec, fieldLabel } from '../controls/fields.js';
import { classifySource, isPortSpec } from '../controls/network.js';
import { fieldsOf } from '../controls/resource-fields.js';
import type {
  BlobContainerResource,
  DiagnosticLogEntry,
  DiagnosticSettingResource,
  KeyVaultKeyResource,
  KeyVaultResource,
  LogAnalyticsTableResource,
  LogAnalyticsWorkspaceResource,
  NetworkSecurityGroupResource,
  NormalizedResource,
  SecurityRule,
  SecurityRuleResource,
  StorageAccountResource,
} from '../controls/types.js';
import { kindOfType, type ReadableKind, type ResourceKind } from './kinds.js';

/**
 * Turns resource JSON from any source real users have — the ARM REST shape (`properties: {...}`),
 * the flattened shape `az ... show` and the SDKs print, Resource Notifications payloads (booleans
 * as 0/1) — into one shape for the controls. Each kind's identity (and an NSG's rules) is read
 * here; the properties controls judge are the ones they declare (`reads`, lib/controls/fields.ts).
 *
 * Input is untrusted: only own properties are read (a `__proto__` key is just data), sizes are
 * bounded, and a resource of a known type that cannot be judged raises InvalidResourceError with
 * a one-line message. Resources of other types are not an error: they yield null.
 */
export class InvalidResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidResourceError';
  }
}

type Json = Record<string, unknown>;

const MAX_TEXT = 4096; // ARM ids are far shorter; anything longer is not a real resource
const MAX_TYPE = 256;
const MAX_ITEMS = 10_000; // ARM caps an NSG at 1000 rules and a rule at 4000 prefixes
export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property only: never walks the prototype chain, so hostile keys stay inert. */
function own(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** `properties` when it is an object (the ARM shape), else null (the flattened shape). */
function propertiesOf(obj: Json): Json | null {
  const properties = own(obj, 'properties');
  return isRecord(properties) ? properties : null;
}

/** A property from `properties` (ARM shape) or from the top level (flattened shape). */
function field(obj: Json, key: string): unknown {
  return fieldIn(obj, propertiesOf(obj), key);
}

/** field() with `properties` already looked up: a rule reads seven of them, 200,000 rules an estate. */
function fieldIn(obj: Json, properties: Json | null, key: string): unknown {
  if (properties !== null && Object.hasOwn(properties, key)) return properties[key];
  return own(obj, key);
}

/** For messages: short, one line, quoted. */
export function quote(value: string, max = 80): string {
  const short = value.length > max ? `${value.slice(0, max - 3)}...` : value;
  return JSON.stringify(short);
}

function text(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw new InvalidResourceError(`${what} must be a string, got ${typeof value}`);
  if (value.length > MAX_TEXT)
    throw new InvalidResourceError(`${what} is too long (${value.length} characters)`);
  return value;
}

function requiredText(value: unknown, what: string): string {
  const result = text(value, what);
  if (result === null || result.trim() === '') throw new InvalidResourceError(`${what} is missing`);
  return result;
}

/** Booleans may arrive as true/false, 0/1 (Resource Notifications) or strings. */
function flag(value: unknown, what: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string' && value.length <= 8) {
    const lower = value.trim().toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
  }
  const shown = typeof value === 'string' ? quote(value) : typeof value;
  throw new InvalidResourceError(`${what} must be true or false, got ${shown}`);
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidResourceError(`${what} must be an array`);
  if (value.length > MAX_ITEMS)
    throw new InvalidResourceError(`${what} has too many entries (${value.length})`);
  return value;
}

function tags(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (value === undefined || value === null) return result;
  if (!isRecord(value)) throw new InvalidResourceError('tags must be an object');
  const names = Object.keys(value);
  if (names.length > MAX_ITEMS) throw new InvalidResourceError(`tags has too many entries (${names.length})`);
  for (const name of names) {
    const raw = value[name];
    if (name.length > MAX_TEXT) throw new InvalidResourceError('a tag name is too long');
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new InvalidResourceError(`tag ${quote(name)} must be a string`);
    }
    const tagValue = String(raw);
    if (tagValue.length > MAX_TEXT) throw new InvalidResourceError(`tag ${quote(name)} is too long`);
    // defineProperty, not assignment: a tag named "__proto__" stays a plain own property.
    Object.defineProperty(result, name, {
      value: tagValue,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

function kindOf(obj: Json): ReadableKind | null {
  const type = own(obj, 'type');
  if (typeof type === 'string' && type.trim() !== '') return type.length > MAX_TYPE ? null : kindOfType(type);
  const id = own(obj, 'id');
  if (typeof id !== 'string' || id.length > MAX_TEXT) return null;
  return idShapeOf(id)?.kind ?? null;
}

/** The id of the resource a child belongs to (account of a container, NSG of a rule), from its id. */
function parentId(id: string, kinds: readonly ReadableKind[], what: string): string {
  const shape = idShapeOf(id);
  if (!shape || !kinds.includes(shape.kind))
    throw new InvalidResourceError(`${what} id ${quote(id)} does not name its parent resource`);
  return shape.topId;
}

/** The value at `path` (first segment from `properties` or the top level); undefined when absent. */
function valueAt(obj: Json, properties: Json | null, path: readonly string[]): unknown {
  let value: unknown = fieldIn(obj, properties, path[0] ?? '');
  for (let depth = 1; depth < path.length; depth++) {
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value))
      throw new InvalidResourceError(`${path.slice(0, depth).join('.')} must be an object`);
    value = own(value, path[depth] as string);
  }
  return value;
}

/**
 * One control-declared field (lib/controls/fields.ts): the ARM path, else the SDK/CLI spelling
 * (which may differ only below the top segment, e.g. `encryption.keyvaultproperties` in REST and
 * `encryption.keyVaultProperties` in the SDK), from `properties` or the top level.
 */
function readField(
  obj: Json,
  properties: Json | null,
  spec: FieldSpec,
  label: string,
): boolean | string | number | null {
  let value = valueAt(obj, properties, spec.arm);
  if (value == null && spec.sdk) value = valueAt(obj, properties, spec.sdk);
  switch (spec.type) {
    case 'flag':
      return flag(value, label);
    case 'text':
      return text(value, label);
    case 'choice':
      return oneOf(text(value, label), spec.values ?? [], label);
    case 'count':
      return whole(value, label);
  }
}

/** A non-negative whole number (ARM's integers; a digit string from hand-written input is accepted). */
function whole(value: unknown, what: string): number | null {
  if (value === undefined || value === null) return null;
  const number = typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    const shown = typeof value === 'string' ? quote(value) : typeof value;
    throw new InvalidResourceError(`${what} must be a whole number, got ${shown}`);
  }
  return number;
}

/** A choice in Azure's casing; input matched case-insensitively. */
function oneOf(raw: string | null, values: readonly string[], what: string): string | null {
  if (raw === null) return null;
  const wanted = raw.trim().toLowerCase();
  const match = values.find((value) => value.toLowerCase() === wanted);
  if (match === undefined) {
    const allowed =
      values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values.join('');
    throw new InvalidResourceError(`${what} ${quote(raw)} is not ${allowed}`);
  }
  return match;
}

/** A kind's fields with their message labels, listed once per kind (the catalog is fixed at load). */
const FIELD_LISTS = new Map<ResourceKind, readonly { name: string; spec: FieldSpec; label: string }[]>();

function fieldListOf(kind: ResourceKind): readonly { name: string; spec: FieldSpec; label: string }[] {
  let fields = FIELD_LISTS.get(kind);
  if (!fields) {
    fields = Object.entries(fieldsOf(kind)).map(([name, spec]) => ({ name, spec, label: fieldLabel(spec) }));
    FIELD_LISTS.set(kind, fields);
  }
  return fields;
}

/**
 * Every field the controls of `kind` read (lib/controls/catalog.ts derives the list), then the
 * kind's identity: the same keys in the same order as `{ ...fields, ...base }`, built in place.
 */
function withFields<R extends NormalizedResource>(
  obj: Json,
  kind: R['kind'] & ResourceKind,
  base: Record<string, unknown>,
): R {
  const properties = propertiesOf(obj);
  const out: Record<string, unknown> = {};
  for (const { name, spec, label } of fieldListOf(kind)) out[name] = readField(obj, properties, spec, label);
  for (const key of Object.keys(base)) out[key] = base[key];
  // exactly the fields the kind's controls declared (R's fields are derived from the same list) + its identity
  return out as R;
}

function normalizeStorageAccount(obj: Json, id: string, name: string): StorageAccountResource {
  const base = { kind: 'storageAccount' as const, id, name, tags: tags(own(obj, 'tags')) };
  return withFields<StorageAccountResource>(obj, 'storageAccount', base);
}

function normalizeBlobContainer(obj: Json, id: string, name: string): BlobContainerResource {
  const base = {
    kind: 'blobContainer' as const,
    id,
    name,
    storageAccountId: parentId(id, ['blobContainer'], 'container'),
  };
  return withFields<BlobContainerResource>(obj, 'blobContainer', base);
}

function normalizeWorkspace(obj: Json, id: string, name: string): LogAnalyticsWorkspaceResource {
  const base = { kind: 'logAnalyticsWorkspace' as const, id, name, tags: tags(own(obj, 'tags')) };
  return withFields<LogAnalyticsWorkspaceResource>(obj, 'logAnalyticsWorkspace', base);
}

function normalizeVault(obj: Json, id: string, name: string): KeyVaultResource {
  const base = { kind: 'keyVault' as const, id, name, tags: tags(own(obj, 'tags')) };
  return withFields<KeyVaultResource>(obj, 'keyVault', base);
}

/** ARM's key (REST: under `properties`; SDK: flattened). */
function normalizeVaultKey(obj: Json, id: string, name: string): KeyVaultKeyResource {
  return {
    kind: 'keyVaultKey',
    id,
    name,
    vaultId: parentId(id, ['keyVaultKey'], 'key'),
    keyUri: text(field(obj, 'keyUri'), 'keyUri'),
    kty: text(field(obj, 'kty'), 'kty'),
  };
}

/**
 * A table's retention as set on the table: -1 (what ARM takes for "the default"), absent, or
 * reported with `<name>AsDefault: true` (what ARM returns for a value it derived) all read as null.
 */
function tableDays(obj: Json, name: 'retentionInDays' | 'totalRetentionInDays'): number | null {
  if (flag(field(obj, `${name}AsDefault`), `${name}AsDefault`) === true) return null;
  const value = field(obj, name);
  if (value === -1 || value === '-1') return null;
  return whole(value, name);
}

/** A workspace table (REST: under `properties`; `az monitor log-analytics workspace table`: flattened). */
function normalizeTable(obj: Json, id: string, name: string): LogAnalyticsTableResource {
  return {
    kind: 'logAnalyticsTable',
    id,
    name,
    workspaceId: parentId(id, ['logAnalyticsTable'], 'table'),
    retentionInDays: tableDays(obj, 'retentionInDays'),
    totalRetentionInDays: tableDays(obj, 'totalRetentionInDays'),
    plan: text(field(obj, 'plan'), 'plan'),
  };
}

function logEntry(raw: unknown): DiagnosticLogEntry {
  if (!isRecord(raw)) throw new InvalidResourceError('a logs entry is not an object');
  return {
    category: text(own(raw, 'category'), 'logs category'),
    categoryGroup: text(own(raw, 'categoryGroup'), 'logs categoryGroup'),
    enabled: flag(own(raw, 'enabled'), 'logs enabled') ?? false,
  };
}

/** A diagnostic setting: its scope is everything before `/providers/Microsoft.Insights/...` in its id. */
function normalizeDiagnosticSetting(obj: Json, id: string, name: string): DiagnosticSettingResource {
  const at = id.toLowerCase().lastIndexOf('/providers/microsoft.insights/diagnosticsettings/');
  if (at <= 0) throw new InvalidResourceError(`diagnostic setting id ${quote(id)} does not name its scope`);
  const workspaceId = text(field(obj, 'workspaceId'), 'workspaceId');
  return {
    kind: 'diagnosticSetting',
    id,
    name,
    scopeId: id.slice(0, at),
    workspaceId: workspaceId === '' ? null : workspaceId,
    logs: list(field(obj, 'logs'), 'logs').map(logEntry),
  };
}

/** The message labels of a rule's single/plural pair (built once, not per rule). */
interface PairLabels {
  single: string;
  many: string;
  entry: string;
}

function pairLabels(single: string): PairLabels {
  return { single, many: `${single}s`, entry: `${single}s entry` };
}

const SOURCE_LABELS = pairLabels('sourceAddressPrefix');
const PORT_LABELS = pairLabels('destinationPortRange');

function unionOf(single: unknown, many: unknown, labels: PairLabels): string[] {
  const first = text(single, labels.single);
  const items = list(many, labels.many);
  const hasFirst = first !== null && first !== '';
  if (items.length === 0) return hasFirst ? [first] : [];
  // The usual list (no single value, every entry a distinct non-empty string) is copied as it
  // is: an exact-size array, as rules are kept for the whole evaluation.
  let asGiven = !hasFirst;
  for (let index = 0; index < items.length; index++) {
    const value = text(items[index], labels.entry);
    if (asGiven && (value === null || value === '' || items.indexOf(value) < index)) asGiven = false;
  }
  if (asGiven) return items.slice() as string[];
  const values: string[] = hasFirst ? [first] : [];
  for (const item of items) {
    const value = item as string | null | undefined; // each entry was checked by text() above
    if (value !== null && value !== undefined && value !== '' && !values.includes(value)) values.push(value);
  }
  return values.slice();
}

function priorityOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d{1,6}$/.test(value)) return Number(value);
  return null;
}

/** One security rule in either shape. Throws on a rule that cannot be judged or remediated. */
export function normalizeSecurityRule(raw: unknown, isDefault: boolean): SecurityRule {
  if (!isRecord(raw)) throw new InvalidResourceError('a security rule is not an object');
  const name = requiredText(own(raw, 'name'), 'security rule name');
  try {
    return readRule(raw, name, isDefault);
  } catch (error) {
    // Name the rule here, once, rather than formatting a label for every rule up front.
    if (error instanceof InvalidResourceError)
      throw new InvalidResourceError(`rule ${quote(name)}: ${error.message}`);
    throw error;
  }
}

function readRule(raw: Json, name: string, isDefault: boolean): SecurityRule {
  const properties = propertiesOf(raw);
  const sourceAddressPrefixes = unionOf(
    fieldIn(raw, properties, 'sourceAddressPrefix'),
    fieldIn(raw, properties, 'sourceAddressPrefixes'),
    SOURCE_LABELS,
  );
  for (const source of sourceAddressPrefixes) {
    if (classifySource(source, 0) === 'invalid') {
      throw new InvalidResourceError(`source ${quote(source)} is not an address prefix or service tag`);
    }
  }
  const destinationPortRanges = unionOf(
    fieldIn(raw, properties, 'destinationPortRange'),
    fieldIn(raw, properties, 'destinationPortRanges'),
    PORT_LABELS,
  );
  for (const spec of destinationPortRanges) {
    if (!isPortSpec(spec)) throw new InvalidResourceError(`port range ${quote(spec)} is not valid`);
  }
  return {
    name,
    id: text(own(raw, 'id'), 'id'),
    etag: text(own(raw, 'etag'), 'etag'),
    priority: priorityOf(fieldIn(raw, properties, 'priority')),
    direction: requiredText(fieldIn(raw, properties, 'direction'), 'direction'),
    access: requiredText(fieldIn(raw, properties, 'access'), 'access'),
    protocol: requiredText(fieldIn(raw, properties, 'protocol'), 'protocol'),
    sourceAddressPrefixes,
    destinationPortRanges,
    isDefault,
  };
}

function normalizeNsg(obj: Json, id: string, name: string): NetworkSecurityGroupResource {
  return {
    kind: 'networkSecurityGroup',
    id,
    name,
    tags: tags(own(obj, 'tags')),
    securityRules: list(field(obj, 'securityRules'), 'securityRules').map((rule) =>
      normalizeSecurityRule(rule, false),
    ),
    defaultSecurityRules: list(field(obj, 'defaultSecurityRules'), 'defaultSecurityRules').map((rule) =>
      normalizeSecurityRule(rule, true),
    ),
  };
}

function normalizeRuleResource(obj: Json, id: string, isDefault: boolean): SecurityRuleResource {
  const rule = normalizeSecurityRule(obj, isDefault);
  return {
    kind: 'securityRule',
    id,
    name: rule.name,
    networkSecurityGroupId: parentId(id, ['securityRule', 'defaultSecurityRule'], 'security rule'),
    rule: rule.id === null ? { ...rule, id } : rule,
  };
}

/**
 * Normalises one resource. Null for anything driftwarden does not judge (other types, or no
 * recognisable type/id). Throws InvalidResourceError for a known type that is unusable.
 */
export function normalizeResource(json: unknown): NormalizedResource | null {
  if (!isRecord(json)) return null;
  const kind = kindOf(json);
  if (kind === null) return null;
  const id = requiredText(own(json, 'id'), 'id').trim();
  const name = text(own(json, 'name'), 'name') ?? lastIdSegment(id);
  switch (kind) {
    case 'storageAccount':
      return normalizeStorageAccount(json, id, name);
    case 'blobContainer':
      return normalizeBlobContainer(json, id, name);
    case 'networkSecurityGroup':
      return normalizeNsg(json, id, name);
    case 'securityRule':
      return normalizeRuleResource(withName(json, name), id, false);
    case 'defaultSecurityRule':
      return normalizeRuleResource(withName(json, name), id, true);
    case 'logAnalyticsWorkspace':
      return normalizeWorkspace(json, id, name);
    case 'logAnalyticsTable':
      return normalizeTable(json, id, name);
    case 'keyVault':
      return normalizeVault(json, id, name);
    case 'keyVaultKey':
      return normalizeVaultKey(json, id, name);
    case 'diagnosticSetting':
      return normalizeDiagnosticSetting(json, id, name);
  }
}

/** A rule read on its own may omit `name` (it is in the id). */
function withName(obj: Json, name: string): Json {
  return typeof own(obj, 'name') === 'string' ? obj : { ...obj, name };
}

export interface DocumentItem {
  /** position in the document (0 for a single resource) */
  index: number;
  raw: Json;
  /** null when driftwarden does not judge this resource type */
  resource: NormalizedResource | null;
}

/**
 * Accepts one resource, an array of resources, or an ARM list response `{ "value": [...] }`
 * (what `az resource show` / `az network nsg list` print). Throws InvalidResourceError, naming
 * the item, when the document or an item of a known type is unusable.
 */
export function parseResourceDocument(json: unknown): DocumentItem[] {
  let items: unknown[];
  if (Array.isArray(json)) items = json;
  else if (isRecord(json) && Array.isArray(own(json, 'value')) && own(json, 'id') === undefined) {
    items = own(json, 'value') as unknown[];
  } else if (isRecord(json)) items = [json];
  else {
    throw new InvalidResourceError(
      `expected a resource object, an array of resources or {"value": [...]}, got ${json === null ? 'null' : typeof json}`,
    );
  }
  const single = items.length === 1 && items[0] === json;
  return items.map((raw, index) => {
    const where = single ? 'resource' : `item ${index}`;
    if (!isRecord(raw)) throw new InvalidResourceError(`${where} is not a JSON object`);
    try {
      return { index, raw, resource: normalizeResource(raw) };
    } catch (error) {
      if (!(error instanceof InvalidResourceError)) throw error;
      const id = own(raw, 'id');
      const label = typeof id === 'string' ? ` (${quote(id, 300)})` : '';
      throw new InvalidResourceError(`${where}${label}: ${error.message}`);
    }
  });
}
