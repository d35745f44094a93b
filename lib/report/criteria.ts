import { CONTROLS, effectiveMode } from '../controls/catalog.js';
import type { ControlId, Mode, Severity } from '../controls/types.js';

/**
 * The scope an auditor maps to their criteria: every control with its mode in force, and the map
 * Trust Services Criterion → control → closest Azure Policy built-in definition (from the catalog).
 */

export interface ScopeControl {
  id: ControlId;
  title: string;
  severity: Severity;
  mode: Mode;
  criteria: string[];
  azurePolicyDefinitionIds: string[];
}

export interface CriteriaMapRow {
  criterion: string;
  controlId: ControlId;
  controlTitle: string;
  azurePolicyDefinitionIds: string[];
}

export function scopeControls(
  overrides: Partial<Record<ControlId, Mode>> = {},
  auditOnly = false,
): ScopeControl[] {
  return CONTROLS.map((control) => ({
    id: control.id,
    title: control.title,
    severity: control.severity,
    mode: effectiveMode(control.id, overrides, auditOnly),
    criteria: [...control.criteria],
    azurePolicyDefinitionIds: [...control.azurePolicyDefinitionIds],
  }));
}

/** One row per (criterion, control), criteria in TSC order (CC6.1 before CC6.10). */
export function criteriaMap(): CriteriaMapRow[] {
  const rows = CONTROLS.flatMap((control) =>
    control.criteria.map((criterion) => ({
      criterion,
      controlId: control.id,
      controlTitle: control.title,
      azurePolicyDefinitionIds: [...control.azurePolicyDefinitionIds],
    })),
  );
  return rows.sort(
    (a, b) =>
      a.criterion.localeCompare(b.criterion, 'en', { numeric: true }) ||
      a.controlId.localeCompare(b.controlId),
  );
}
