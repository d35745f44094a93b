import type { ControlId, Mode } from './controls/types.js';
import { DEFAULT_SUB_CHAINS, MAX_SUB_CHAINS } from './evidence/layout.js';

/**
 * The one place that reads the environment. Names are the Function App settings (infra/ sets
 * exactly these). Fails fast, naming the bad setting.
 */
export const SETTINGS = {
  subscriptions: 'DW_SUBSCRIPTION_IDS', // comma-separated subscription ids to sweep
  /** identity-based storage connection (Functions convention): DW_STORAGE__tableServiceUri etc.; or a connection string in DW_STORAGE (local/Azurite only) */
  storageConnection: 'DW_STORAGE',
  tableServiceUri: 'DW_STORAGE__tableServiceUri',
  blobServiceUri: 'DW_STORAGE__blobServiceUri',
  queueServiceUri: 'DW_STORAGE__queueServiceUri',
  evidenceTable: 'DW_EVIDENCE_TABLE',
  exceptionsTable: 'DW_EXCEPTIONS_TABLE',
  reportsContainer: 'DW_REPORTS_CONTAINER',
  sweepQueue: 'DW_SWEEP_QUEUE',
  sweepSchedule: 'DW_SWEEP_SCHEDULE',
  auditOnly: 'DW_AUDIT_ONLY', // global switch: every remediation becomes audit
  modes: 'DW_CONTROL_MODES', // e.g. "STG-CMK-PHI=remediate,NSG-OPEN-INBOUND=audit"
  phiTagName: 'DW_PHI_TAG_NAME',
  phiTagValues: 'DW_PHI_TAG_VALUES',
  managementPorts: 'DW_MANAGEMENT_PORTS',
  internetPrefixMaxLength: 'DW_INTERNET_PREFIX_MAX_LENGTH',
  logRetentionDays: 'DW_LOG_RETENTION_DAYS', // LAW-RETENTION minimum, default 365
  auditWorkspaceTag: 'DW_AUDIT_WORKSPACE_TAG', // tag name: workspaces tagged <name>=true are the audit workspaces
  auditWorkspaceIds: 'DW_AUDIT_WORKSPACE_IDS', // comma-separated workspace ids that are audit workspaces
  diagnosticWorkspaceId: 'DW_DIAG_WORKSPACE_ID', // where DIAG-RESOURCE-LOGS' created settings send (remediate mode)
  selfObjectId: 'DW_SELF_OBJECT_ID', // loop guard: our managed identity's object id
  selfAppId: 'DW_SELF_APP_ID', // loop guard: our managed identity's client/app id
  armEndpoint: 'DW_ARM_ENDPOINT', // default https://management.azure.com (the sandbox in local mode)
  notifyTopicEndpoint: 'DW_NOTIFY_TOPIC_ENDPOINT', // optional Event Grid custom topic
  exceptionMaxDays: 'DW_EXCEPTION_MAX_DAYS',
  managedIdentityClientId: 'AZURE_CLIENT_ID', // user-assigned identity for DefaultAzureCredential
  devPrincipal: 'DW_DEV_PRINCIPAL', // local mode only: the principal the HTTP API acts as
  /** Key Vault key that signs evidence digests: https://<vault>.vault.azure.net/keys/<name>[/<version>] */
  signingKeyId: 'DW_SIGNING_KEY_ID',
  digestContainer: 'DW_DIGEST_CONTAINER', // blob container (time-based immutability) holding the digests
  digestInterval: 'DW_DIGEST_INTERVAL', // seconds between digests (default 300)
  evidenceSubChains: 'DW_EVIDENCE_SUB_CHAINS', // sub-chains per subscription-month for new evidence (default 16)
  exceptionsCacheMs: 'DW_EXCEPTIONS_CACHE_MS', // how long the event path reuses the exceptions it read (default 5000)
  twoStepControls: 'DW_TWO_STEP_CONTROLS', // controls whose exceptions one person requests and another approves
  graphEndpoint: 'DW_GRAPH_ENDPOINT', // default https://graph.microsoft.com (the sandbox's /graph in local mode)
  identitySchedule: 'DW_IDENTITY_SCHEDULE', // NCRONTAB of the daily identity validation
  identityEnabled: 'DW_IDENTITY_ENABLED', // false: no identity validation (e.g. Graph permissions not granted yet)
  tenantId: 'DW_TENANT_ID', // optional: the Entra tenant; read from Graph /organization when unset
  privilegedRoles: 'DW_IDENTITY_PRIVILEGED_ROLES', // comma-separated role template ids (default: Microsoft's admin list)
  sessionMaxHours: 'DW_IDENTITY_SESSION_MAX_HOURS', // default 12
  sessionApps: 'DW_IDENTITY_SESSION_APPS', // "Patient portal=<appId>,Scheduling=<appId>"
  accessReviewMaxAgeDays: 'DW_IDENTITY_REVIEW_MAX_AGE_DAYS', // default 92
  soc2InitiativeId: 'DW_POLICY_SOC2_INITIATIVE_ID', // Azure Policy SOC 2 Type 2 initiative (policy set) GUID
} as const;

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Configuration error in ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface Config {
  subscriptions: string[];
  storage:
    | { connectionString: string }
    | { tableServiceUri: string; blobServiceUri: string | null; queueServiceUri: string | null };
  evidenceTable: string;
  exceptionsTable: string;
  reportsContainer: string;
  sweepQueue: string;
  sweepSchedule: string;
  auditOnly: boolean;
  modeOverrides: Partial<Record<ControlId, Mode>>;
  phiTagName: string | null;
  phiTagValues: string[] | null;
  managementPorts: string[] | null;
  internetPrefixMaxLength: number | null;
  logRetentionDays: number | null;
  /** audit workspace selection (both null: every workspace is judged by LAW-RETENTION) */
  auditWorkspaceTag: string | null;
  /** lower-cased workspace ids */
  auditWorkspaceIds: string[] | null;
  /** the destination DIAG-RESOURCE-LOGS remediation sends to (as given); required for its remediate mode */
  diagnosticWorkspaceId: string | null;
  selfObjectId: string | null;
  selfAppId: string | null;
  armEndpoint: string;
  notifyTopicEndpoint: string | null;
  exceptionMaxDays: number;
  devPrincipal: string | null;
  /** the digest signing key; null = digests are not published (verify checks the table only) */
  signingKey: SigningKeyRef | null;
  digestContainer: string;
  digestIntervalSeconds: number;
  /**
   * sub-chains per subscription and UTC month for new evidence (default 16; 1 = one chain per
   * subscription-month, as before sub-chains). Existing chains stay readable whatever the value.
   */
  evidenceSubChains: number;
  /**
   * how long (ms) the event path and the API may reuse the exceptions they read (default 5000;
   * 0 = read per event). Writes through this process invalidate at once; another instance's
   * write is seen within this bound.
   */
  exceptionsCacheMs: number;
  /** exceptions for these controls are two-step (default NSG-MGMT-PORT; "none" for none) */
  twoStepControls: ControlId[];
  graphEndpoint: string;
  identitySchedule: string;
  identityEnabled: boolean;
  tenantId: string | null;
  /** null: the default privileged role list (lib/controls/identity-settings.ts) */
  privilegedRoles: string[] | null;
  sessionMaxHours: number | null;
  sessionApps: { name: string; appId: string }[];
  accessReviewMaxAgeDays: number | null;
  soc2InitiativeId: string;
}

export interface SigningKeyRef {
  /** as configured */
  id: string;
  vaultUrl: string;
  name: string;
  version: string | null;
}

type Env = Record<string, string | undefined>;

/** A revocation made on another instance is honoured here for at most this long. */
const MAX_EXCEPTIONS_CACHE_MS = 60_000;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
const CONTAINER_OR_QUEUE = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const MODES: readonly Mode[] = ['remediate', 'audit', 'off'];

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function list(env: Env, name: string): string[] | null {
  const value = text(env, name);
  return value
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
    : null;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name);
  if (value === null) return fallback;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(name, `expected true or false, got "${value}"`);
}

function int(env: Env, name: string, min: number, max: number): number | null {
  const value = text(env, name);
  if (value === null) return null;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

function named(env: Env, name: string, fallback: string, pattern: RegExp, what: string): string {
  const value = text(env, name) ?? fallback;
  if (!pattern.test(value)) throw new ConfigError(name, `"${value}" is not a valid ${what} name`);
  return value;
}

function httpsUri(env: Env, name: string): string | null {
  const value = text(env, name);
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Never echo the value: a connection string or SAS pasted here carries a secret.
    const hint = /AccountKey=|SharedAccessSignature=|sig=/i.test(value)
      ? ` (it looks like a connection string or SAS; a connection string belongs in ${SETTINGS.storageConnection})`
      : '';
    throw new ConfigError(name, `is not a URL${hint}`);
  }
  if (url.protocol !== 'https:' && url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    throw new ConfigError(name, 'must be https (plain http is accepted only for 127.0.0.1/localhost)');
  }
  return value.replace(/\/+$/, '');
}

function signingKey(env: Env): SigningKeyRef | null {
  const id = httpsUri(env, SETTINGS.signingKeyId);
  if (id === null) return null;
  const url = new URL(id);
  const match = /^\/keys\/([A-Za-z0-9-]{1,127})(?:\/([0-9a-fA-F]{32}))?$/.exec(url.pathname);
  if (!match?.[1] || url.search || url.hash)
    throw new ConfigError(
      SETTINGS.signingKeyId,
      'must be a Key Vault key id: https://<vault>.vault.azure.net/keys/<name>[/<version>]',
    );
  return { id, vaultUrl: url.origin, name: match[1], version: match[2] ?? null };
}

const CONTROL_ID = /^[A-Z]+-[A-Z-]+$/;

/** A Log Analytics workspace id, as given (compared case-insensitively, as ARM compares ids). */
const WORKSPACE_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]{1,90}\/providers\/Microsoft\.OperationalInsights\/workspaces\/[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/i;

function workspaceIdOf(name: string, value: string): string {
  if (!WORKSPACE_ID.test(value))
    throw new ConfigError(
      name,
      `"${value.slice(0, 200)}" is not a Log Analytics workspace id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>)`,
    );
  return value;
}

function workspaceIds(env: Env, name: string): string[] | null {
  const values = list(env, name);
  return values === null ? null : values.map((value) => workspaceIdOf(name, value).toLowerCase());
}

/** Azure tag names: up to 512 characters, none of < > % & \\ ? / */
function tagName(env: Env, name: string): string | null {
  const value = text(env, name);
  if (value !== null && (value.length > 512 || /[<>%&\\?/]/.test(value)))
    throw new ConfigError(name, `"${value.slice(0, 100)}" is not a valid tag name`);
  return value;
}

/**
 * DIAG-RESOURCE-LOGS remediates by creating a diagnostic setting that sends to the configured
 * workspace: remediate mode without one is refused at start-up, not discovered per resource.
 */
function checkDiagnosticRemediation(modes: Partial<Record<ControlId, Mode>>, workspace: string | null): void {
  if (modes['DIAG-RESOURCE-LOGS'] === 'remediate' && workspace === null)
    throw new ConfigError(
      SETTINGS.diagnosticWorkspaceId,
      `DIAG-RESOURCE-LOGS=remediate (${SETTINGS.modes}) creates diagnostic settings sending to a workspace: set ${SETTINGS.diagnosticWorkspaceId} to its resource id`,
    );
}

function twoStep(env: Env): ControlId[] {
  const value = text(env, SETTINGS.twoStepControls);
  if (value === null) return ['NSG-MGMT-PORT'];
  if (/^none$/i.test(value)) return [];
  const ids = (list(env, SETTINGS.twoStepControls) ?? []).map((id) => id.toUpperCase());
  const bad = ids.find((id) => !CONTROL_ID.test(id));
  if (bad) throw new ConfigError(SETTINGS.twoStepControls, `"${bad}" is not a control id (or use "none")`);
  return ids as ControlId[];
}

/** Azure Policy's built-in regulatory compliance initiative "SOC 2 Type 2". */
export const SOC2_TYPE2_INITIATIVE_ID = '4054785f-702b-4a98-9215-009cbd58b141';

function guid(env: Env, name: string): string | null {
  const value = text(env, name);
  if (value !== null && !GUID.test(value)) throw new ConfigError(name, `"${value}" is not a GUID`);
  return value?.toLowerCase() ?? null;
}

function guids(env: Env, name: string): string[] | null {
  const values = list(env, name);
  if (values === null) return null;
  for (const value of values) if (!GUID.test(value)) throw new ConfigError(name, `"${value}" is not a GUID`);
  if (values.length === 0) throw new ConfigError(name, 'name at least one role template id');
  return values.map((value) => value.toLowerCase());
}

/** "Patient portal=<appId>,Scheduling=<appId>" (a bare app id names itself). */
function sessionApps(env: Env): { name: string; appId: string }[] {
  return (list(env, SETTINGS.sessionApps) ?? []).map((entry) => {
    const at = entry.lastIndexOf('=');
    const name = at >= 0 ? entry.slice(0, at).trim() : entry;
    const appId = (at >= 0 ? entry.slice(at + 1) : entry).trim();
    if (!GUID.test(appId))
      throw new ConfigError(SETTINGS.sessionApps, `"${entry}" must look like Name=<app id GUID>`);
    return { name: name || appId, appId: appId.toLowerCase() };
  });
}

/** Parses and validates configuration from an environment (default: process.env). */
export function loadConfig(env: Env = process.env): Config {
  const subscriptions = list(env, SETTINGS.subscriptions) ?? [];
  for (const id of subscriptions) {
    if (!GUID.test(id))
      throw new ConfigError(SETTINGS.subscriptions, `"${id}" is not a subscription id (GUID)`);
  }

  const connectionString = text(env, SETTINGS.storageConnection);
  const tableServiceUri = httpsUri(env, SETTINGS.tableServiceUri);
  let storage: Config['storage'];
  if (tableServiceUri) {
    storage = {
      tableServiceUri,
      blobServiceUri: httpsUri(env, SETTINGS.blobServiceUri),
      queueServiceUri: httpsUri(env, SETTINGS.queueServiceUri),
    };
  } else if (connectionString) {
    storage = { connectionString };
  } else {
    throw new ConfigError(
      SETTINGS.tableServiceUri,
      `set ${SETTINGS.tableServiceUri} (managed identity) or ${SETTINGS.storageConnection} (local connection string)`,
    );
  }

  const modeOverrides: Partial<Record<ControlId, Mode>> = {};
  for (const pair of list(env, SETTINGS.modes) ?? []) {
    const [id, mode] = pair.split('=').map((part) => part.trim());
    if (!id || !mode || !MODES.includes(mode as Mode)) {
      throw new ConfigError(SETTINGS.modes, `"${pair}" must look like CONTROL-ID=remediate|audit|off`);
    }
    modeOverrides[id.toUpperCase() as ControlId] = mode as Mode;
  }
  const diagnosticWorkspace = text(env, SETTINGS.diagnosticWorkspaceId);
  const diagnosticWorkspaceId =
    diagnosticWorkspace === null ? null : workspaceIdOf(SETTINGS.diagnosticWorkspaceId, diagnosticWorkspace);
  checkDiagnosticRemediation(modeOverrides, diagnosticWorkspaceId);

  return {
    subscriptions,
    storage,
    evidenceTable: named(env, SETTINGS.evidenceTable, 'driftwardenEvidence', TABLE_NAME, 'table'),
    exceptionsTable: named(env, SETTINGS.exceptionsTable, 'driftwardenExceptions', TABLE_NAME, 'table'),
    reportsContainer: named(
      env,
      SETTINGS.reportsContainer,
      'driftwarden-reports',
      CONTAINER_OR_QUEUE,
      'container',
    ),
    sweepQueue: named(env, SETTINGS.sweepQueue, 'driftwarden-sweep', CONTAINER_OR_QUEUE, 'queue'),
    sweepSchedule: text(env, SETTINGS.sweepSchedule) ?? '0 0 3 1 * *',
    auditOnly: bool(env, SETTINGS.auditOnly, false),
    modeOverrides,
    phiTagName: text(env, SETTINGS.phiTagName),
    phiTagValues: list(env, SETTINGS.phiTagValues),
    managementPorts: list(env, SETTINGS.managementPorts),
    internetPrefixMaxLength: int(env, SETTINGS.internetPrefixMaxLength, 0, 128),
    // Log Analytics allows 30-730 days of interactive retention
    logRetentionDays: int(env, SETTINGS.logRetentionDays, 30, 730),
    auditWorkspaceTag: tagName(env, SETTINGS.auditWorkspaceTag),
    auditWorkspaceIds: workspaceIds(env, SETTINGS.auditWorkspaceIds),
    diagnosticWorkspaceId,
    selfObjectId: text(env, SETTINGS.selfObjectId),
    selfAppId: text(env, SETTINGS.selfAppId),
    armEndpoint: httpsUri(env, SETTINGS.armEndpoint) ?? 'https://management.azure.com',
    notifyTopicEndpoint: httpsUri(env, SETTINGS.notifyTopicEndpoint),
    exceptionMaxDays: int(env, SETTINGS.exceptionMaxDays, 1, 365) ?? 90,
    devPrincipal: text(env, SETTINGS.devPrincipal),
    signingKey: signingKey(env),
    digestContainer: named(
      env,
      SETTINGS.digestContainer,
      'driftwarden-digests',
      CONTAINER_OR_QUEUE,
      'container',
    ),
    digestIntervalSeconds: int(env, SETTINGS.digestInterval, 5, 86_400) ?? 300,
    evidenceSubChains: int(env, SETTINGS.evidenceSubChains, 1, MAX_SUB_CHAINS) ?? DEFAULT_SUB_CHAINS,
    exceptionsCacheMs: int(env, SETTINGS.exceptionsCacheMs, 0, MAX_EXCEPTIONS_CACHE_MS) ?? 5_000,
    twoStepControls: twoStep(env),
    graphEndpoint: httpsUri(env, SETTINGS.graphEndpoint) ?? 'https://graph.microsoft.com',
    identitySchedule: text(env, SETTINGS.identitySchedule) ?? '0 0 4 * * *',
    identityEnabled: bool(env, SETTINGS.identityEnabled, true),
    tenantId: guid(env, SETTINGS.tenantId),
    privilegedRoles: guids(env, SETTINGS.privilegedRoles),
    sessionMaxHours: int(env, SETTINGS.sessionMaxHours, 1, 24 * 90),
    sessionApps: sessionApps(env),
    accessReviewMaxAgeDays: int(env, SETTINGS.accessReviewMaxAgeDays, 1, 366),
    soc2InitiativeId: guid(env, SETTINGS.soc2InitiativeId) ?? SOC2_TYPE2_INITIATIVE_ID,
  };
}
