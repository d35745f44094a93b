import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../../lib/api/auth.js';
import { ARM_ACTIONS, HANDLED_EVENT_TYPES, HANDLED_OPERATIONS } from '../../../lib/azure/operations.js';
import { loadConfig, SETTINGS } from '../../../lib/config.js';
import {
  objectEntries,
  param,
  paramValue,
  property,
  readInfra,
  resource,
  stringLiterals,
  unquote,
  variable,
} from './bicep-text.js';

/**
 * Cross-checks infra/ (Bicep, which cannot be compiled here) against the code: app settings,
 * Event Grid filter, custom role, target function, resource names, retention and storage hardening.
 */

const main = readInfra('main.bicep');
const functionApp = readInfra('modules/functionapp.bicep');
const storage = readInfra('modules/storage.bicep');
const events = readInfra('modules/event-subscription.bicep');
const monitored = readInfra('modules/monitored-subscription.bicep');
const monitoring = readInfra('modules/monitoring.bicep');
const exampleParams = readInfra('main.bicepparam');

/**
 * How each setting lib/config.ts reads is provided in Azure. A new SETTINGS entry fails the
 * typecheck until it is classified here.
 * - required: the app does not work in Azure without it (must be set, to a non-empty value)
 * - optional: has a default in code; the Bicep still sets it (possibly to an empty parameter)
 * - localOnly: must never be set in Azure (connection strings with keys, the dev principal)
 */
const CLASSIFICATION: Record<keyof typeof SETTINGS, 'required' | 'optional' | 'localOnly'> = {
  subscriptions: 'required',
  storageConnection: 'localOnly',
  tableServiceUri: 'required',
  blobServiceUri: 'required',
  queueServiceUri: 'required',
  evidenceTable: 'optional',
  exceptionsTable: 'optional',
  reportsContainer: 'optional',
  sweepQueue: 'optional',
  sweepSchedule: 'optional',
  auditOnly: 'optional',
  modes: 'optional',
  phiTagName: 'optional',
  phiTagValues: 'optional',
  managementPorts: 'optional',
  internetPrefixMaxLength: 'optional',
  selfObjectId: 'required',
  selfAppId: 'required',
  armEndpoint: 'optional',
  notifyTopicEndpoint: 'optional', // only when the notification topic is enabled
  exceptionMaxDays: 'optional',
  managedIdentityClientId: 'required',
  devPrincipal: 'localOnly',
  twoStepControls: 'optional',
};

/** Read by the Functions host, not by lib/config.ts: identity-based connection "DW_STORAGE" (queue trigger). */
const HOST_CONNECTION_SETTINGS = [
  `${SETTINGS.storageConnection}__credential`,
  `${SETTINGS.storageConnection}__clientId`,
];

function settingsOf(kind: 'required' | 'optional' | 'localOnly'): string[] {
  return (Object.keys(SETTINGS) as (keyof typeof SETTINGS)[])
    .filter((key) => CLASSIFICATION[key] === kind)
    .map((key) => SETTINGS[key]);
}

/** App settings as Bicep sets them: name → value expression. */
function appSettings(): Map<string, string> {
  return new Map([
    ...objectEntries(variable(functionApp, 'appSettings')),
    ...objectEntries(variable(functionApp, 'notifySettings')),
  ]);
}

const sorted = (values: readonly string[]) => [...values].sort();

describe('infra: Function App settings match lib/config.ts', () => {
  const settings = appSettings();

  it('writes the settings object the template builds', () => {
    const resourceDef = resource(functionApp, 'siteAppSettings');
    expect(resourceDef.type).toBe('Microsoft.Web/sites/config');
    expect(property(resourceDef.body, 'name')).toBe("'appsettings'");
    expect(property(resourceDef.body, 'properties')).toBe('union(appSettings, notifySettings)');
  });

  it('classifies every setting lib/config.ts reads', () => {
    expect(sorted(Object.keys(CLASSIFICATION))).toEqual(sorted(Object.keys(SETTINGS)));
  });

  it.each(settingsOf('required'))('sets required setting %s to a value', (name) => {
    expect(settings.has(name), `${name} is missing from infra/modules/functionapp.bicep`).toBe(true);
    expect(settings.get(name)).not.toBe("''");
  });

  it.each(settingsOf('optional'))('sets optional setting %s', (name) => {
    expect(settings.has(name), `${name} is missing from infra/modules/functionapp.bicep`).toBe(true);
  });

  it.each(settingsOf('localOnly'))('never sets local-only setting %s in Azure', (name) => {
    expect(settings.has(name)).toBe(false);
  });

  it('sets no DW_* setting that lib/config.ts does not know', () => {
    const known = new Set<string>([...Object.values(SETTINGS), ...HOST_CONNECTION_SETTINGS]);
    const unknown = [...settings.keys()].filter((name) => name.startsWith('DW_') && !known.has(name));
    expect(unknown).toEqual([]);
  });

  it('uses identity-based storage connections only', () => {
    expect(settings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(settings.has('AzureWebJobsStorage__accountName')).toBe(true);
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    expect(settings.get(`${SETTINGS.storageConnection}__credential`)).toBe("'managedidentity'");
    expect(settings.get(`${SETTINGS.storageConnection}__clientId`)).toBe('identityClientId');
    expect(settings.get(SETTINGS.managedIdentityClientId)).toBe('identityClientId');
    for (const value of settings.values()) expect(value).not.toMatch(/AccountKey|listKeys/i);
  });

  it('points the loop guard at the app identity', () => {
    expect(settings.get(SETTINGS.selfObjectId)).toBe('identityPrincipalId');
    expect(settings.get(SETTINGS.selfAppId)).toBe('identityClientId');
  });

  it('sets Application Insights', () => {
    expect(settings.has('APPLICATIONINSIGHTS_CONNECTION_STRING')).toBe(true);
  });
});

describe('infra: Event Grid subscription matches lib/azure/operations.ts', () => {
  const subscription = resource(events, 'toFunction');

  it('filters data.operationName on exactly HANDLED_OPERATIONS', () => {
    const operations = stringLiterals(variable(events, 'handledOperations'));
    expect(sorted(operations)).toEqual(sorted(HANDLED_OPERATIONS));
    expect(new Set(operations).size).toBe(operations.length);
    expect(property(subscription.body, 'key')).toBe("'data.operationName'");
    expect(property(subscription.body, 'operatorType')).toBe("'StringIn'");
    expect(property(subscription.body, 'values')).toBe('handledOperations');
  });

  it('includes exactly HANDLED_EVENT_TYPES', () => {
    const eventTypes = stringLiterals(variable(events, 'handledEventTypes'));
    expect(sorted(eventTypes)).toEqual(sorted(HANDLED_EVENT_TYPES));
    expect(property(subscription.body, 'includedEventTypes')).toBe('handledEventTypes');
  });

  it('retries for 24 hours and dead-letters with the system topic identity', () => {
    expect(subscription.type).toBe('Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(property(subscription.body, 'maxDeliveryAttempts')).toBe('30');
    expect(property(subscription.body, 'eventTimeToLiveInMinutes')).toBe('1440');
    const deadLetter = subscription.body.slice(subscription.body.indexOf('deadLetterWithResourceIdentity'));
    expect(property(deadLetter, 'type')).toBe("'SystemAssigned'");
    expect(property(deadLetter, 'endpointType')).toBe("'StorageBlob'");
  });

  it('listens to the subscription system topic', () => {
    const topic = resource(readInfra('modules/system-topic.bicep'), 'topic');
    expect(property(topic.body, 'topicType')).toBe("'Microsoft.Resources.Subscriptions'");
    expect(property(topic.body, 'location')).toBe("'global'");
  });
});

describe('infra: custom role matches ARM_ACTIONS', () => {
  const role = resource(monitored, 'remediatorRole');

  it('grants exactly ARM_ACTIONS', () => {
    const actions = stringLiterals(variable(monitored, 'armActions'));
    expect(sorted(actions)).toEqual(sorted(ARM_ACTIONS));
    expect(new Set(actions).size).toBe(actions.length);
    expect(role.type).toBe('Microsoft.Authorization/roleDefinitions');
    expect(property(role.body, 'actions')).toBe('armActions');
  });

  it('grants no data actions and is assigned to the app identity', () => {
    expect(property(role.body, 'notActions')).toBe('[]');
    expect(property(role.body, 'dataActions')).toBe('[]');
    const assignment = resource(monitored, 'remediatorAssignment');
    expect(property(assignment.body, 'roleDefinitionId')).toBe('remediatorRole.id');
    expect(property(assignment.body, 'principalId')).toBe('principalId');
  });
});

describe('infra: target function is registered', () => {
  const functionName = unquote(variable(main, 'eventFunctionName').split('=')[1]?.trim() ?? '');

  it('passes the function name to the event subscription', () => {
    expect(functionName).toBe('onResourceChange');
    const eventModule = main.slice(
      main.indexOf("module eventSubscriptions 'modules/event-subscription.bicep'"),
    );
    expect(property(eventModule, 'functionName')).toBe('eventFunctionName');
    // Bicep: '${functionAppId}/functions/${functionName}'
    expect(property(subscriptionDestination(), 'resourceId')).toMatch(
      /^'\$\{functionAppId\}\/functions\/\$\{functionName\}'$/,
    );
  });

  it('is an eventGrid function in functions/index.ts', async () => {
    // Imported here, not at the top: a problem in a function module fails this test only.
    await import('../../../functions/index.js');
    const { registeredFunctions } = await import('../../../lib/host/registration.js');
    const registered = registeredFunctions().find((definition) => definition.name === functionName);
    expect(
      registered,
      `infra/ delivers events to "${functionName}", but functions/index.ts registers no function of that name`,
    ).toBeDefined();
    expect(registered?.kind).toBe('eventGrid');
  });
});

function subscriptionDestination(): string {
  const body = resource(events, 'toFunction').body;
  return body.slice(body.indexOf('destination:'));
}

describe('infra: resource names equal the lib/config.ts defaults', () => {
  const names = objectEntries(variable(main, 'names'));
  const defaults = loadConfig({ [SETTINGS.storageConnection]: 'UseDevelopmentStorage=true' });
  const settings = appSettings();

  it.each(['evidenceTable', 'exceptionsTable', 'sweepQueue', 'reportsContainer'] as const)('%s', (key) => {
    expect(unquote(names.get(key) ?? '')).toBe(defaults[key]);
    expect(settings.get(SETTINGS[key])).toBe(`names.${key}`);
  });

  it('creates the tables, queue and containers under those names', () => {
    expect(stringLiterals(variable(main, 'names'))).toContain('driftwardenIntents');
    expect(variable(storage, 'tableNames')).toMatch(
      /names\.evidenceTable[\s\S]*names\.exceptionsTable[\s\S]*names\.intentsTable/,
    );
    expect(variable(storage, 'queueNames')).toContain('names.sweepQueue');
    expect(property(resource(storage, 'reportsContainer').body, 'name')).toBe('names.reportsContainer');
    expect(property(resource(storage, 'deadLetterContainer').body, 'name')).toBe('names.deadLetterContainer');
  });
});

describe('infra: retention and storage hardening', () => {
  it('keeps reports immutable for at least 365 days', () => {
    const policy = resource(storage, 'reportsImmutability');
    expect(policy.type).toBe(
      'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies',
    );
    expect(property(policy.body, 'parent')).toBe('reportsContainer');
    expect(property(policy.body, 'immutabilityPeriodSinceCreationInDays')).toBe('reportsRetentionDays');
    expect(param(storage, 'reportsRetentionDays').minValue).toBeGreaterThanOrEqual(365);
    const top = param(main, 'reportsRetentionDays');
    expect(top.minValue).toBeGreaterThanOrEqual(365);
    expect(Number(top.defaultValue)).toBeGreaterThanOrEqual(365);
    expect(Number(paramValue(exampleParams, 'reportsRetentionDays'))).toBeGreaterThanOrEqual(365);
  });

  it('disables shared keys and anonymous access, requires TLS 1.2 and HTTPS', () => {
    const account = resource(storage, 'account').body;
    expect(property(account, 'allowSharedKeyAccess')).toBe('false');
    expect(property(account, 'allowBlobPublicAccess')).toBe('false');
    expect(property(account, 'minimumTlsVersion')).toBe("'TLS1_2'");
    expect(property(account, 'supportsHttpsTrafficOnly')).toBe('true');
  });

  it('keeps logs for at least 365 days', () => {
    expect(param(main, 'logRetentionDays').minValue).toBeGreaterThanOrEqual(365);
    expect(param(monitoring, 'retentionInDays').minValue).toBeGreaterThanOrEqual(365);
    expect(property(resource(monitoring, 'workspace').body, 'retentionInDays')).toBe('retentionInDays');
  });
});

describe('infra: app registration roles', () => {
  it('app-roles.json defines exactly the roles the API checks', () => {
    const roles = JSON.parse(
      readFileSync(new URL('../../../infra/app-roles.json', import.meta.url), 'utf8'),
    ) as {
      value: string;
      id: string;
      isEnabled: boolean;
    }[];
    expect(sorted(roles.map((role) => role.value))).toEqual(sorted(Object.values(ROLES)));
    expect(new Set(roles.map((role) => role.id)).size).toBe(roles.length);
    expect(roles.every((role) => role.isEnabled)).toBe(true);
  });
});

describe('infra: App Service Authentication (issue 13, item 8)', () => {
  it('answers unauthenticated /api/* calls with 401 by default; the page is excluded and redirects itself', () => {
    expect(param(main, 'unauthenticatedClientAction').defaultValue).toBe("'Return401'");
    expect(paramValue(exampleParams, 'unauthenticatedClientAction')).toBe("'Return401'");
    const auth = resource(functionApp, 'siteAuth').body;
    expect(property(auth, 'unauthenticatedClientAction')).toBe('unauthenticatedClientAction');
    expect(property(auth, 'requireAuthentication')).toBe('true');
    expect(unquote(variable(functionApp, 'onCallPagePath').split('=')[1]?.trim() ?? '')).toBe('/api/ui');
    expect(auth).toMatch(/excludedPaths:\s*\[\s*eventGridWebhookPath\s+onCallPagePath\s*\]/);
  });
});
