import { RESOURCE_KINDS, type ResourceKind } from '../resources/kinds.js';
import { type Catalog, type ControlId, controlsFor, getControl } from './catalog.js';
import type { FieldSpec, FieldValues } from './fields.js';

/**
 * What the catalog's controls read and write, per resource kind: the types of normalised
 * resources and remediation plans, the fields the normaliser reads, the state evidence records
 * and the properties restore may write back. All derived from the control modules.
 */

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
export type WorkspaceFields = FieldValues<ReadsOf<'logAnalyticsWorkspace'>>;
export type WorkspaceWrites = {
  -readonly [K in keyof WritesOf<'logAnalyticsWorkspace'>]: WritesOf<'logAnalyticsWorkspace'>[K];
};
export type KeyVaultFields = FieldValues<ReadsOf<'keyVault'>>;
/** Storage properties remediation or restore may write, with any value they can hold. */
export type WritableStorageProperties = Partial<Pick<StorageAccountFields, keyof StorageAccountWrites>>;

/**
 * The fields of one kind the normaliser reads: the union of its controls' `reads`. Two controls
 * may read the same field only if they read it the same way.
 */
export function fieldsOf(kind: ResourceKind): Readonly<Record<string, FieldSpec>> {
  // the normaliser asks once per resource: computed once per kind (the catalog is fixed at load)
  let fields = FIELDS.get(kind);
  if (!fields) {
    fields = collectFields(kind);
    FIELDS.set(kind, fields);
  }
  return fields;
}

const FIELDS = new Map<ResourceKind, Readonly<Record<string, FieldSpec>>>();

function collectFields(kind: ResourceKind): Readonly<Record<string, FieldSpec>> {
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
