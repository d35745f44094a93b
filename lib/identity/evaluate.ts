import { CONTROLS } from '../controls/catalog.js';
import { isTenantControl, type TenantControl } from '../controls/define-tenant.js';
import { defaultIdentitySettings, type IdentitySettings } from '../controls/identity-settings.js';
import type { ControlException, ControlId, Finding, Mode } from '../controls/types.js';
import { applyExceptions } from '../exceptions/match.js';
import type { TenantSnapshot } from './snapshot.js';

/** The tenant-level controls of the catalog, in catalog order. */
export const TENANT_CONTROLS: readonly TenantControl[] = CONTROLS.filter(isTenantControl);

export interface TenantEvaluateOptions {
  settings?: IdentitySettings;
  exceptions?: readonly ControlException[];
  now?: Date;
  /** a control in mode 'off' yields nothing; every other mode is audit (identity is never written) */
  modes?: Partial<Record<ControlId, Mode>>;
}

/** Every tenant control's findings over one snapshot, exceptions applied. Pure. */
export function evaluateTenant(snapshot: TenantSnapshot, options: TenantEvaluateOptions = {}): Finding[] {
  const settings = options.settings ?? defaultIdentitySettings;
  const findings: Finding[] = [];
  for (const control of TENANT_CONTROLS) {
    if ((options.modes?.[control.id as ControlId] ?? control.defaultMode) === 'off') continue;
    findings.push(...control.evaluateTenant(snapshot, settings));
  }
  return applyExceptions(findings, options.exceptions ?? [], options.now ?? new Date(snapshot.readAt));
}
