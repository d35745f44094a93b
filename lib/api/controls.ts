import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { effectiveMode } from '../controls/catalog.js';
import { isTenantControl } from '../controls/define-tenant.js';
import type { ApiDeps } from './deps.js';
import { json } from './http.js';

/** GET /api/controls — the catalog (data only, no evaluate) with the mode in force. */
export async function listControls(_request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const items = deps.controls.map((control) => ({
    id: control.id,
    title: control.title,
    severity: control.severity,
    criteria: control.criteria,
    azurePolicyDefinitionIds: control.azurePolicyDefinitionIds,
    resourceKinds: control.resourceKinds,
    // 'tenant': judged from Microsoft Graph (identity), not from an ARM resource
    scope: isTenantControl(control) ? 'tenant' : 'resource',
    defaultMode: control.defaultMode,
    mode: effectiveMode(control.id, deps.config.modeOverrides, deps.config.auditOnly),
    remediationDescription: control.remediationDescription,
  }));
  return json(200, { items, auditOnly: deps.config.auditOnly });
}
