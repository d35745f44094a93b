import { RESOURCE_KINDS, type ResourceKind } from '../resources/kinds.js';
import type { FieldSpec, FieldValues } from './fields.js';
import { nsgMgmtPort } from './nsg-mgmt-port.js';
import { nsgOpenInbound } from './nsg-open-inbound.js';
import { stgCmkPhi } from './stg-cmk-phi.js';
import { stgContainerPublic } from './stg-container-public.js';
import { stgHttpsOnly } from './stg-https-only.js';
import { stgMinTls } from './stg-min-tls.js';
import { stgNetworkPhi } from './stg-network-phi.js';
import { stgPublicBlob } from './stg-public-blob.js';
import type { Control, Mode } from './types.js';

/**
 * The control registry (Cloud Custodian style: data in, lookups out), and the one list of
 * controls: ControlId, the fields the normaliser reads and the properties remediation and
 * restore write are all derived from it. To add a control see lib/controls/README.md.
 */
const CATALOG = [
  stgPublicBlob,
  stgContainerPublic,
  stgHttpsOnly,
  stgMinTls,
  stgCmkPhi,
  stgNetworkPhi,
  nsgMgmtPort,
  nsgOpenInbound,
] as const;

type Catalog = (typeof CATALOG)[number];

export type ControlId = Catalog['id'];

export const CONTROLS: readonly Control[] = Object.freeze([...CATALOG]);

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** The controls (as types) that judge resources of kind K. */
type ControlsOf<K extends ResourceKind> = Catalog extends infer C
  ? C extends { resourceKinds: readonly (infer Kinds)[] }
    ? K extends Kinds
      ? C
      : never
    : never
  : never;

/** Every field the controls of kind K read, and the values their remediations write. */
type ReadsOf<K extends ResourceKind> = UnionToIntersection<ControlsOf<K>['reads']>;
type WritesOf<K extends ResourceKind> = UnionToIntersection<ControlsOf<K>['writes']>;

export type StorageAccountFields = FieldValues<ReadsOf<'storageAccount'>>;
export type BlobContainerFields = FieldValues<ReadsOf<'blobContainer'>>;
/** Storage account properties remediation writes, with their compliant values. */
export type StorageAccountWrites = {
  -readonly [K in keyof WritesOf<'storageAccount'>]: WritesOf<'storageAccount'>[K];
};
export type BlobContainerWrites = {
  -readonly [K in keyof WritesOf<'blobContainer'>]: WritesOf<'blobContainer'>[K];
};
/** Storage properties remediation or restore may write, with any value they can hold. */
export type WritableStorageProperties = Partial<Pick<StorageAccountFields, keyof StorageAccountWrites>>;

/** Throws when two controls share an id (ids are public API: exceptions and reports use them). */
export function assertUniqueIds(controls: readonly Pick<Control, 'id'>[]): void {
  const seen = new Set<string>();
  for (const control of controls) {
    if (seen.has(control.id)) throw new Error(`Duplicate control id in catalog: ${control.id}`);
    seen.add(control.id);
  }
}

assertUniqueIds(CONTROLS);

const BY_ID = new Map<string, Control>(CONTROLS.map((control) => [control.id, control]));

export const CONTROL_IDS: readonly ControlId[] = Object.freeze(CONTROLS.map((control) => control.id));

export function isControlId(value: unknown): value is ControlId {
  return typeof value === 'string' && BY_ID.has(value);
}

/** The control with this id; throws for an unknown id (callers validate user input with isControlId). */
export function getControl(id: ControlId): Control {
  const control = BY_ID.get(id);
  if (!control) throw new Error(`Unknown control id: ${id}`);
  return control;
}

/** Controls that judge a resource kind, in catalog order. */
export function controlsFor(kind: ResourceKind): readonly Control[] {
  return BY_KIND.get(kind) ?? [];
}

const BY_KIND = new Map<ResourceKind, readonly Control[]>(
  RESOURCE_KINDS.map((kind) => [kind, CONTROLS.filter((control) => control.resourceKinds.includes(kind))]),
);

/**
 * The fields of one kind the normaliser reads: the union of its controls' `reads`. Two controls
 * may read the same field only if they read it the same way.
 */
export function fieldsOf(kind: ResourceKind): Readonly<Record<string, FieldSpec>> {
  const fields: Record<string, FieldSpec> = {};
  for (const control of controlsFor(kind)) {
    for (const [name, spec] of Object.entries(control.reads)) {
      const known = fields[name];
      if (known && JSON.stringify(known) !== JSON.stringify(spec))
        throw new Error(`Controls read ${kind} field ${name} in different ways`);
      fields[name] = spec;
    }
  }
  return Object.freeze(fields);
}

/** The fields one control judges (the state evidence records for it). */
export function fieldNamesOf(id: ControlId): readonly string[] {
  return Object.keys(getControl(id).reads);
}

/** The fields of a kind some remediation writes: restore may put them back. */
export function writtenFieldsOf(kind: ResourceKind): Readonly<Record<string, FieldSpec>> {
  const all = fieldsOf(kind);
  const written: Record<string, FieldSpec> = {};
  for (const control of controlsFor(kind)) {
    for (const name of Object.keys(control.writes)) {
      const spec = all[name];
      if (spec) written[name] = spec;
    }
  }
  return Object.freeze(written);
}

for (const kind of RESOURCE_KINDS) fieldsOf(kind); // fail at load, not mid-sweep, on a conflict

/**
 * Effective mode: per-control override (DW_CONTROL_MODES) beats the default; the global
 * audit-only switch (DW_AUDIT_ONLY) downgrades remediate to audit but never turns a control on.
 */
export function effectiveMode(
  id: ControlId,
  overrides: Partial<Record<ControlId, Mode>> = {},
  auditOnly = false,
): Mode {
  const mode = overrides[id] ?? getControl(id).defaultMode;
  return auditOnly && mode === 'remediate' ? 'audit' : mode;
}
