import type { Config } from '../config.js';
import { effectiveMode } from '../controls/catalog.js';
import type { ControlId, Mode } from '../controls/types.js';

export type ModeResolver = (id: ControlId) => Mode;

/**
 * Per-control mode in force: catalog default, overridden by DW_CONTROL_MODES, and DW_AUDIT_ONLY
 * turning every `remediate` into `audit` (it never turns an `off` control on).
 */
export function modeResolver(config: Pick<Config, 'modeOverrides' | 'auditOnly'>): ModeResolver {
  const overrides = { ...config.modeOverrides };
  const auditOnly = config.auditOnly;
  return (id) => effectiveMode(id, overrides, auditOnly);
}
