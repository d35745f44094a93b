import { diagnosticScopeOf } from '../controls/diag-resource-logs.js';
import type {
  DiagnosticLogEntry,
  DiagnosticSettingResource,
  NormalizedResource,
  RelatedResources,
} from '../controls/types.js';

/**
 * What DIAG-RESOURCE-LOGS evidence shows as "before" and "after": the diagnostic settings of the
 * judged resource's scope (its blob service for a storage account), each with its destination
 * workspace and log entries, in name order. A remediation adds (or overwrites) driftwarden's
 * setting; a restore puts back only that setting, as recorded. Pure.
 */

export interface DiagnosticSettingState {
  id: string;
  name: string;
  workspaceId: string | null;
  logs: DiagnosticLogEntry[];
}

export interface DiagnosticState {
  scopeId: string;
  diagnosticSettings: DiagnosticSettingState[];
}

function stateOfSetting(setting: DiagnosticSettingResource): DiagnosticSettingState {
  return {
    id: setting.id,
    name: setting.name,
    workspaceId: setting.workspaceId,
    logs: setting.logs.map((entry) => ({ ...entry })),
  };
}

/** The scope's settings as `related` knows them; null when they are not known. */
export function diagnosticStateOf(
  resource: NormalizedResource,
  related: RelatedResources | undefined,
): DiagnosticState | null {
  const scopeId = diagnosticScopeOf(resource);
  const settings = scopeId ? related?.diagnosticSettings(scopeId) : undefined;
  if (!scopeId || settings === undefined) return null;
  return {
    scopeId,
    diagnosticSettings: settings.map(stateOfSetting).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function isState(value: unknown): value is DiagnosticState {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as DiagnosticState).scopeId === 'string' &&
    Array.isArray((value as DiagnosticState).diagnosticSettings)
  );
}

/** The setting named `name` in a recorded state (case-insensitive, as ARM names compare); null if absent. */
export function settingNamed(state: unknown, name: string): DiagnosticSettingState | null {
  if (!isState(state)) return null;
  return (
    state.diagnosticSettings.find((setting) => setting.name.toLowerCase() === name.toLowerCase()) ?? null
  );
}

/** `state` with the setting `name` replaced by `setting` (or removed when null). */
export function withSetting(
  state: DiagnosticState,
  name: string,
  setting: DiagnosticSettingState | null,
): DiagnosticState {
  const others = state.diagnosticSettings.filter((s) => s.name.toLowerCase() !== name.toLowerCase());
  const next = setting ? [...others, setting] : others;
  return { scopeId: state.scopeId, diagnosticSettings: next.sort((a, b) => a.name.localeCompare(b.name)) };
}

/** `related` with the scope's diagnostic settings as `state` has them (what a write would leave). */
export function relatedWith(related: RelatedResources, state: DiagnosticState): RelatedResources {
  const scope = state.scopeId.toLowerCase();
  const settings: DiagnosticSettingResource[] = state.diagnosticSettings.map((setting) => ({
    kind: 'diagnosticSetting',
    scopeId: state.scopeId,
    ...setting,
    logs: setting.logs.map((entry) => ({ ...entry })),
  }));
  return {
    diagnosticSettings: (scopeId) =>
      scopeId.toLowerCase() === scope ? settings : related.diagnosticSettings(scopeId),
    workspace: (workspaceId) => related.workspace(workspaceId),
    tables: (workspaceId) => related.tables(workspaceId),
    vaultKey: (vaultUri, keyName) => related.vaultKey(vaultUri, keyName),
  };
}

export function isDiagnosticState(value: unknown): value is DiagnosticState {
  return isState(value);
}
