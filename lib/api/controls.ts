import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Config } from '../config.js';
import type { Control, Mode } from '../controls/types.js';
import type { ApiDeps } from './deps.js';
import { json } from './http.js';

/** Mode in force: DW_CONTROL_MODES overrides the default; DW_AUDIT_ONLY turns remediate into audit. */
export function modeInForce(control: Control, config: Pick<Config, 'modeOverrides' | 'auditOnly'>): Mode {
  const mode = config.modeOverrides[control.id] ?? control.defaultMode;
  return config.auditOnly && mode === 'remediate' ? 'audit' : mode;
}

/** GET /api/controls — the catalog (data only, no evaluate) with the mode in force. */
export async function listControls(_request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const items = deps.controls.map((control) => ({
    id: control.id,
    title: control.title,
    severity: control.severity,
    criteria: control.criteria,
    azurePolicyDefinitionIds: control.azurePolicyDefinitionIds,
    resourceKinds: control.resourceKinds,
    defaultMode: control.defaultMode,
    mode: modeInForce(control, deps.config),
    remediationDescription: control.remediationDescription,
  }));
  return json(200, { items, auditOnly: deps.config.auditOnly });
}
