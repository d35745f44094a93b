import { RESOURCE_KINDS, type ResourceKind } from '../resources/kinds.js';
import { diagResourceLogs } from './diag-resource-logs.js';
import { idnAccessReview } from './idn-access-review.js';
import { idnAdminMfa } from './idn-admin-mfa.js';
import { idnMfaExclusion } from './idn-mfa-exclusion.js';
import { idnSessionTimeout } from './idn-session-timeout.js';
import { kvHsmKeyPhi } from './kv-hsm-key-phi.js';
import { kvNetworkPhi } from './kv-network-phi.js';
import { kvPurgeProtection } from './kv-purge-protection.js';
import { kvSoftDelete } from './kv-soft-delete.js';
import { lawRetention } from './law-retention.js';
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
 * controls: ControlId here, and in resource-fields.ts the fields the normaliser reads and the
 * properties remediation and restore write, are all derived from it. To add a control see lib/controls/README.md.
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
  lawRetention,
  diagResourceLogs,
  kvPurgeProtection,
  kvSoftDelete,
  kvNetworkPhi,
  kvHsmKeyPhi,
  // tenant-level identity controls (define-tenant.ts): no resource kinds, judged from Graph
  idnAdminMfa,
  idnMfaExclusion,
  idnSessionTimeout,
  idnAccessReview,
] as const;

/** The controls, as types: what lib/controls/resource-fields.ts derives field and write types from. */
export type Catalog = (typeof CATALOG)[number];

export type ControlId = Catalog['id'];

export const CONTROLS: readonly Control[] = Object.freeze([...CATALOG]);

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
 * Effective mode: per-control override (DW_CONTROL_MODES) beats the default; the global
 * audit-only switch (DW_AUDIT_ONLY) downgrades remediate to audit but never turns a control on.
 */
export function effectiveMode(
  id: ControlId,
  overrides: Partial<Record<ControlId, Mode>> = {},
  auditOnly = false,
): Mode {
  const control = getControl(id);
  const mode = overrides[id] ?? control.defaultMode;
  // a control without resource kinds (the identity controls) has nothing it could write
  return (auditOnly || control.resourceKinds.length === 0) && mode === 'remediate' ? 'audit' : mode;
}
