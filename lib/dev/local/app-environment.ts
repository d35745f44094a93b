import { SETTINGS } from '../../config.js';
import { DEMO_SUBSCRIPTION_ID } from './demo-scenario.js';
import { DEMO_SESSION_APPS } from './demo-tenant.js';
import type { IdentityEndpoint, LocalIdentity } from './identity-endpoint.js';

/** driftwarden's identity in local mode (what its managed identity is in Azure): the loop guard compares against it. */
export const LOCAL_IDENTITY: LocalIdentity = {
  objectId: '6f1c2d3e-0000-4000-8000-00000000d001',
  appId: '6f1c2d3e-0000-4000-8000-00000000a001',
  name: 'driftwarden (local)',
};

/** The principal the HTTP API acts as in local mode (no roles given → both Reader and Approver). */
export const LOCAL_DEV_PRINCIPAL = 'oncall@contoso.example';

/** Credentials that would make DefaultAzureCredential prefer a real Azure sign-in over the local identity. */
const REAL_AZURE_CREDENTIAL_SETTINGS = [
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
  'AZURE_TENANT_ID',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'IDENTITY_SERVER_THUMBPRINT',
];

export interface AppEnvironmentInput {
  /** the developer's environment: app settings set there win (e.g. DW_CONTROL_MODES) */
  env: Record<string, string | undefined>;
  storageConnectionString: string;
  armEndpoint: string;
  identity: IdentityEndpoint;
  /** the Key Vault stand-in's digest key (lib/dev/key-vault): digests are signed locally too */
  signingKeyId?: string;
}

/**
 * The app settings local mode runs the functions with, named exactly as lib/config.ts reads them.
 * Connections (storage, ARM, identity) always point at the local services; behaviour settings
 * (modes, schedule, table names…) keep the developer's values when set. Values of `undefined`
 * remove a variable (real Azure credentials must not be sent to the sandbox).
 */
export function appEnvironment(input: AppEnvironmentInput): Record<string, string | undefined> {
  const keep = (name: string, fallback: string) => input.env[name]?.trim() || fallback;
  const settings: Record<string, string | undefined> = {
    [SETTINGS.storageConnection]: input.storageConnectionString,
    [SETTINGS.tableServiceUri]: undefined, // identity-based storage settings would win over Azurite
    [SETTINGS.blobServiceUri]: undefined,
    [SETTINGS.queueServiceUri]: undefined,
    [SETTINGS.armEndpoint]: input.armEndpoint,
    // the sandbox serves Microsoft Graph under /graph on the same origin (the demo tenant)
    [SETTINGS.graphEndpoint]: `${input.armEndpoint}/graph`,
    [SETTINGS.identitySchedule]: keep(SETTINGS.identitySchedule, '0 0 4 * * *'),
    [SETTINGS.sessionApps]: keep(SETTINGS.sessionApps, DEMO_SESSION_APPS),
    [SETTINGS.subscriptions]: DEMO_SUBSCRIPTION_ID,
    [SETTINGS.selfObjectId]: LOCAL_IDENTITY.objectId,
    [SETTINGS.selfAppId]: LOCAL_IDENTITY.appId,
    [SETTINGS.managedIdentityClientId]: LOCAL_IDENTITY.appId,
    [SETTINGS.devPrincipal]: keep(SETTINGS.devPrincipal, LOCAL_DEV_PRINCIPAL),
    [SETTINGS.sweepQueue]: keep(SETTINGS.sweepQueue, 'driftwarden-sweep'),
    [SETTINGS.sweepSchedule]: keep(SETTINGS.sweepSchedule, '0 0 3 1 * *'),
    [SETTINGS.reportsContainer]: keep(SETTINGS.reportsContainer, 'driftwarden-reports'),
    [SETTINGS.notifyTopicEndpoint]: undefined, // no Event Grid topic locally
    [SETTINGS.signingKeyId]: input.signingKeyId,
    [SETTINGS.digestInterval]: keep(SETTINGS.digestInterval, '10'), // a digest every ~10 s locally
    // The App Service managed-identity protocol, served by identity-endpoint.ts.
    IDENTITY_ENDPOINT: input.identity.endpoint,
    IDENTITY_HEADER: input.identity.header,
    AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential',
  };
  for (const name of REAL_AZURE_CREDENTIAL_SETTINGS) settings[name] = undefined;
  return settings;
}

/** Applies settings to an environment object; `undefined` deletes (Object.assign would store the string "undefined"). */
export function applyEnvironment(
  target: Record<string, string | undefined>,
  settings: Record<string, string | undefined>,
): void {
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
}
