import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../../lib/api/auth.js';
import { ARM_ACTIONS, HANDLED_EVENT_TYPES, HANDLED_OPERATIONS } from '../../../lib/azure/operations.js';
import { loadConfig, SETTINGS } from '../../../lib/config.js';
import { Unresolved } from '../../support/arm-expression.js';
import {
  allResources,
  bySymbol,
  module,
  onlyOfType,
  type ResourceInstance,
  rootScope,
  type TemplateScope,
  withParameters,
} from '../../support/arm-template.js';
import { type CompiledInfraUnderTest, describeCompiled } from '../../support/compiled-infra.js';

/**
 * Cross-checks the ARM template the Bicep CLI compiles from infra/ (test/setup/bicep.ts) against
 * the code: app settings, Event Grid filter, custom role, target function, resource names,
 * retention and storage hardening, role assignments, authentication, diagnostics, API versions.
 * Values are evaluated as ARM would with main.bicepparam's parameters; what only a deployment
 * knows (reference(), resourceId(), subscription(), ...) is compared as expression text.
 */

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
  logRetentionDays: 'optional',
  auditWorkspaceTag: 'optional',
  auditWorkspaceIds: 'optional',
  diagnosticWorkspaceId: 'optional',
  selfObjectId: 'required',
  selfAppId: 'required',
  armEndpoint: 'optional',
  notifyTopicEndpoint: 'optional', // only when the notification topic is enabled
  exceptionMaxDays: 'optional',
  managedIdentityClientId: 'required',
  devPrincipal: 'localOnly',
  signingKeyId: 'required',
  digestContainer: 'optional',
  digestInterval: 'optional',
  evidenceSubChains: 'optional',
  exceptionsCacheMs: 'optional',
  twoStepControls: 'optional',
  graphEndpoint: 'optional',
  identitySchedule: 'optional',
  identityEnabled: 'optional',
  tenantId: 'optional',
  privilegedRoles: 'optional',
  sessionMaxHours: 'optional',
  sessionApps: 'optional',
  accessReviewMaxAgeDays: 'optional',
  soc2InitiativeId: 'optional',
};

/** Read by the Functions host, not by lib/config.ts: identity-based connection "DW_STORAGE" (queue trigger). */
const HOST_CONNECTION_SETTINGS = [
  `${SETTINGS.storageConnection}__credential`,
  `${SETTINGS.storageConnection}__clientId`,
];

/** The app identity's outputs as the modules receive them from main.bicep. */
const IDENTITY = {
  clientId: "[reference('identity').outputs.clientId.value]",
  principalId: "[reference('identity').outputs.principalId.value]",
  id: "[reference('identity').outputs.id.value]",
};
const WORKSPACE_ID = "[reference('monitoring').outputs.workspaceId.value]";

/** Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
const BUILT_IN = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7',
} as const;

function settingsOf(kind: 'required' | 'optional' | 'localOnly'): string[] {
  return (Object.keys(SETTINGS) as (keyof typeof SETTINGS)[])
    .filter((key) => CLASSIFICATION[key] === kind)
    .map((key) => SETTINGS[key]);
}

const sorted = (values: readonly string[]) => [...values].sort();
/** A value as text: literals as they are, unresolved expressions as `[...]`. */
const text = (value: unknown) => String(value);

type Json = Record<string, unknown>;
const props = (instance: ResourceInstance) => instance.evaluated.properties as Json;
const one = (within: TemplateScope, symbol: string) => bySymbol(within, symbol)[0] as ResourceInstance;

/** main.bicep with main.bicepparam's values (`overrides` on top). */
function main(infra: CompiledInfraUnderTest, overrides: Record<string, unknown> = {}): TemplateScope {
  return rootScope(infra.template, { ...infra.exampleParameters, ...overrides });
}

const TOPIC_ENDPOINT = 'https://evgt-dw.eastus2-1.eventgrid.azure.net/api/events';

/**
 * App settings as the Function App receives them: name → evaluated value. The notification
 * topic's endpoint is a deployment output (unknown here, never empty when the topic exists), so a
 * stand-in value lets `empty(notifyTopicEndpoint)` be decided; main passing the real output is
 * checked separately.
 */
function appSettings(within: TemplateScope): Json {
  const functionApp = module(within, 'functionApp');
  const endpoint = functionApp.scope.parameters.notifyTopicEndpoint;
  const decided =
    endpoint instanceof Unresolved
      ? withParameters(functionApp, { notifyTopicEndpoint: TOPIC_ENDPOINT })
      : functionApp;
  return props(one(decided, 'siteAppSettings'));
}

describeCompiled('infra: Function App settings match lib/config.ts', (infra) => {
  const settings = appSettings(main(infra));
  // the smallest valid parameter set: only the required parameters, everything else defaulted
  const minimal = appSettings(
    rootScope(infra.template, {
      monitoredSubscriptionIds: ['00000000-0000-0000-0000-00000000000a'],
      authClientId: '22222222-2222-2222-2222-222222222222',
    }),
  );

  it('writes the settings object the template builds', () => {
    const resource = one(module(main(infra), 'functionApp'), 'siteAppSettings');
    expect(resource.definition.type).toBe('Microsoft.Web/sites/config');
    expect(resource.definition.name).toBe("[format('{0}/{1}', parameters('appName'), 'appsettings')]");
    expect(resource.definition.properties).toBe(
      "[union(variables('appSettings'), variables('notifySettings'))]",
    );
    expect(typeof settings).toBe('object');
  });

  it('classifies every setting lib/config.ts reads', () => {
    expect(sorted(Object.keys(CLASSIFICATION))).toEqual(sorted(Object.keys(SETTINGS)));
  });

  it.each(settingsOf('required'))('sets required setting %s to a value', (name) => {
    for (const set of [settings, minimal]) {
      expect(Object.hasOwn(set, name), `${name} is missing from the compiled app settings`).toBe(true);
      expect(set[name]).not.toBe('');
    }
  });

  it.each(settingsOf('optional'))('sets optional setting %s', (name) => {
    expect(Object.hasOwn(settings, name), `${name} is missing from the compiled app settings`).toBe(true);
  });

  it.each(settingsOf('localOnly'))('never sets local-only setting %s in Azure', (name) => {
    expect(Object.hasOwn(settings, name)).toBe(false);
    expect(Object.hasOwn(minimal, name)).toBe(false);
  });

  it('sets no DW_* setting that lib/config.ts does not know', () => {
    const known = new Set<string>([...Object.values(SETTINGS), ...HOST_CONNECTION_SETTINGS]);
    const unknown = Object.keys(settings).filter((name) => name.startsWith('DW_') && !known.has(name));
    expect(unknown).toEqual([]);
  });

  it('sets the notification topic endpoint only when notifications are enabled', () => {
    expect(text(module(main(infra), 'functionApp').scope.parameters.notifyTopicEndpoint)).toBe(
      "[reference('notifications').outputs.endpoint.value]",
    );
    expect(
      module(main(infra, { enableNotifications: false }), 'functionApp').scope.parameters.notifyTopicEndpoint,
    ).toBe('');
    expect(settings[SETTINGS.notifyTopicEndpoint]).toBe(TOPIC_ENDPOINT);
    expect(
      Object.hasOwn(appSettings(main(infra, { enableNotifications: false })), SETTINGS.notifyTopicEndpoint),
    ).toBe(false);
  });

  it('uses identity-based storage connections only', () => {
    expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(text(settings.AzureWebJobsStorage__clientId)).toBe(IDENTITY.clientId);
    expect(text(settings.AzureWebJobsStorage__accountName)).toBe("[reference('storage').outputs.name.value]");
    expect(Object.hasOwn(settings, 'AzureWebJobsStorage')).toBe(false);
    expect(settings[`${SETTINGS.storageConnection}__credential`]).toBe('managedidentity');
    expect(text(settings[`${SETTINGS.storageConnection}__clientId`])).toBe(IDENTITY.clientId);
    expect(text(settings[SETTINGS.managedIdentityClientId])).toBe(IDENTITY.clientId);
    for (const value of Object.values(settings)) expect(text(value)).not.toMatch(/AccountKey|listKeys/i);
    // nowhere in the whole template: no key is ever read or handed out
    expect(JSON.stringify(infra.template)).not.toMatch(/AccountKey|listKeys|listKeyValue/i);
  });

  it('points the loop guard at the app identity', () => {
    expect(text(settings[SETTINGS.selfObjectId])).toBe(IDENTITY.principalId);
    expect(text(settings[SETTINGS.selfAppId])).toBe(IDENTITY.clientId);
  });

  it('sets Application Insights (Entra ID auth)', () => {
    expect(Object.hasOwn(settings, 'APPLICATIONINSIGHTS_CONNECTION_STRING')).toBe(true);
    expect(text(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)).toBe(
      `[format('ClientId={0};Authorization=AAD', ${IDENTITY.clientId.slice(1, -1)})]`,
    );
  });

  it('passes the example parameters through', () => {
    expect(settings[SETTINGS.subscriptions]).toBe(
      (infra.exampleParameters.monitoredSubscriptionIds as string[]).join(','),
    );
    expect(settings[SETTINGS.auditOnly]).toBe('true');
    expect(settings[SETTINGS.phiTagName]).toBe('data-classification');
    expect(settings[SETTINGS.exceptionMaxDays]).toBe('90');
    expect(text(settings[SETTINGS.armEndpoint])).toBe('[environment().resourceManager]');
  });
});

describeCompiled('infra: Event Grid subscription matches lib/azure/operations.ts', (infra) => {
  const events = module(main(infra, { subscribeToEvents: true }), 'eventSubscriptions');
  const subscription = onlyOfType(events, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
  const filter = props(subscription).filter as {
    includedEventTypes: string[];
    advancedFilters: { operatorType: string; key: string; values: string[] }[];
  };

  it('filters data.operationName on exactly HANDLED_OPERATIONS', () => {
    expect(filter.advancedFilters).toHaveLength(1);
    const [advanced] = filter.advancedFilters;
    expect(advanced?.key).toBe('data.operationName');
    expect(advanced?.operatorType).toBe('StringIn');
    const operations = advanced?.values ?? [];
    expect(sorted(operations)).toEqual(sorted(HANDLED_OPERATIONS));
    expect(new Set(operations).size).toBe(operations.length);
    expect(operations.length).toBeLessThanOrEqual(25); // Event Grid's limit for StringIn values
  });

  it('includes exactly HANDLED_EVENT_TYPES', () => {
    expect(sorted(filter.includedEventTypes)).toEqual(sorted(HANDLED_EVENT_TYPES));
  });

  it('retries for 24 hours and dead-letters with the system topic identity', () => {
    const properties = props(subscription) as {
      eventDeliverySchema: string;
      retryPolicy: Json;
      deadLetterWithResourceIdentity: {
        identity: { type: string };
        deadLetterDestination: { endpointType: string; properties: Json };
      };
    };
    expect(properties.eventDeliverySchema).toBe('EventGridSchema');
    expect(properties.retryPolicy).toEqual({ maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 });
    const deadLetter = properties.deadLetterWithResourceIdentity;
    expect(deadLetter.identity.type).toBe('SystemAssigned');
    expect(deadLetter.deadLetterDestination.endpointType).toBe('StorageBlob');
    expect(deadLetter.deadLetterDestination.properties.blobContainerName).toBe('driftwarden-deadletter');
    expect(text(deadLetter.deadLetterDestination.properties.resourceId)).toBe(
      "[reference('storage').outputs.id.value]",
    );
  });

  it('is created only with subscribeToEvents, after the dead-letter access', () => {
    const instances = (scope: TemplateScope) =>
      bySymbol(scope, 'eventSubscriptions').map((instance) => instance.deployed);
    expect(instances(main(infra, { subscribeToEvents: true }))).toEqual([true, true]);
    expect(instances(main(infra))).toEqual([false, false]); // main.bicepparam: first deployment
    expect(one(main(infra), 'eventSubscriptions').definition.dependsOn).toContain('deadLetterAccess');
  });

  it('listens to the subscription system topic', () => {
    const topic = onlyOfType(
      module(module(main(infra), 'monitored'), 'systemTopic'),
      'Microsoft.EventGrid/systemTopics',
    );
    expect(props(topic).topicType).toBe('Microsoft.Resources.Subscriptions');
    expect(props(topic).source).toEqual(new Unresolved('subscription().id'));
    expect(topic.evaluated.location).toBe('global');
    expect(topic.evaluated.identity).toEqual({ type: 'SystemAssigned' });
  });
});

describeCompiled('infra: custom role matches ARM_ACTIONS', (infra) => {
  const monitored = module(main(infra), 'monitored');
  const role = onlyOfType(monitored, 'Microsoft.Authorization/roleDefinitions');
  const permissions = props(role).permissions as Json[];

  it('grants exactly ARM_ACTIONS', () => {
    expect(permissions).toHaveLength(1);
    const actions = permissions[0]?.actions as string[];
    expect(sorted(actions)).toEqual(sorted(ARM_ACTIONS));
    expect(new Set(actions).size).toBe(actions.length);
    expect(props(role).type).toBe('CustomRole');
    expect(props(role).assignableScopes).toEqual([new Unresolved('subscription().id')]);
  });

  it('grants no data actions and is assigned to the app identity', () => {
    expect(permissions[0]?.notActions).toEqual([]);
    expect(permissions[0]?.dataActions).toEqual([]);
    expect(permissions[0]?.notDataActions).toEqual([]);
    const assignment = onlyOfType(monitored, 'Microsoft.Authorization/roleAssignments');
    expect(text(props(assignment).roleDefinitionId)).toBe(
      `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${text(role.evaluated.name).slice(1, -1)})]`,
    );
    expect(text(props(assignment).principalId)).toBe(IDENTITY.principalId);
    expect(props(assignment).principalType).toBe('ServicePrincipal');
  });

  it('is deployed into every monitored subscription', () => {
    const deployments = bySymbol(main(infra), 'monitored').map(
      (instance) => instance.evaluated.subscriptionId,
    );
    expect(deployments).toEqual(infra.exampleParameters.monitoredSubscriptionIds);
  });
});

describeCompiled('infra: target function is registered', (infra) => {
  const functionName = infra.template.variables?.eventFunctionName;

  it('passes the function name to the event subscription', () => {
    expect(functionName).toBe('onResourceChange');
    const events = module(main(infra), 'eventSubscriptions');
    expect(events.scope.parameters.functionName).toBe(functionName);
    const destination = (props(onlyOfType(events, 'Microsoft.EventGrid/systemTopics/eventSubscriptions'))
      .destination ?? {}) as { endpointType: string; properties: Json };
    expect(destination.endpointType).toBe('AzureFunction');
    expect(destination.properties.maxEventsPerBatch).toBe(1);
    // the function `onResourceChange` of the deployed Function App, in the app's resource group
    expect(text(destination.properties.resourceId)).toBe(
      "[extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', subscription().subscriptionId, 'rg-driftwarden'), " +
        "'Microsoft.Web/sites/functions', reference('functionApp').outputs.name.value, 'onResourceChange')]",
    );
  });

  it('is an eventGrid function in functions/index.ts', async () => {
    // Imported here, not at the top: a problem in a function module fails this test only.
    await import('../../../functions/index.js');
    const { registeredFunctions } = await import('../../../lib/host/registration.js');
    const registered = registeredFunctions().find((definition) => definition.name === functionName);
    expect(
      registered,
      `infra/ delivers events to "${String(functionName)}", but functions/index.ts registers no function of that name`,
    ).toBeDefined();
    expect(registered?.kind).toBe('eventGrid');
  });
});

/** The storage module with a known account name, so child resource names evaluate fully. */
function storageOf(within: TemplateScope): TemplateScope {
  return withParameters(module(within, 'storage'), { name: 'stdw' });
}

const childNames = (within: TemplateScope, type: string) =>
  allResources(within)
    .filter((r) => r.definition.type === type)
    .map((r) => text(r.evaluated.name));

describeCompiled('infra: resource names equal the lib/config.ts defaults', (infra) => {
  const names = infra.template.variables?.names as Record<string, string>;
  const defaults = loadConfig({ [SETTINGS.storageConnection]: 'UseDevelopmentStorage=true' });
  const settings = appSettings(main(infra));
  const storage = storageOf(main(infra));

  it.each(['evidenceTable', 'exceptionsTable', 'sweepQueue', 'reportsContainer'] as const)('%s', (key) => {
    expect(names[key]).toBe(defaults[key]);
    expect(settings[SETTINGS[key]]).toBe(defaults[key]);
  });

  it('creates the tables, queue and containers under those names', () => {
    expect(names.intentsTable).toBe('driftwardenIntents');
    expect(childNames(storage, 'Microsoft.Storage/storageAccounts/tableServices/tables')).toEqual([
      'stdw/default/driftwardenEvidence',
      'stdw/default/driftwardenExceptions',
      'stdw/default/driftwardenIntents',
    ]);
    expect(childNames(storage, 'Microsoft.Storage/storageAccounts/queueServices/queues')).toEqual([
      'stdw/default/driftwarden-sweep',
      'stdw/default/driftwarden-sweep-poison',
    ]);
    expect(sorted(childNames(storage, 'Microsoft.Storage/storageAccounts/blobServices/containers'))).toEqual([
      'stdw/default/app-package',
      'stdw/default/driftwarden-deadletter',
      'stdw/default/driftwarden-reports',
    ]);
  });

  it('deploys the Flex package to the app-package container with the app identity', () => {
    const site = one(module(main(infra), 'functionApp'), 'site');
    const storageConfig = (props(site).functionAppConfig as { deployment: { storage: Json } }).deployment
      .storage;
    expect(storageConfig.type).toBe('blobContainer');
    expect(text(storageConfig.value)).toBe(
      "[format('{0}{1}', reference('storage').outputs.blobServiceUri.value, 'app-package')]",
    );
    expect(storageConfig.authentication).toEqual({
      type: 'UserAssignedIdentity',
      userAssignedIdentityResourceId: new Unresolved(IDENTITY.id.slice(1, -1)),
    });
  });
});

describeCompiled('infra: retention and storage hardening', (infra) => {
  const storage = storageOf(main(infra));
  const params = infra.template.parameters ?? {};

  it('keeps reports immutable for at least 365 days', () => {
    const policy = onlyOfType(
      storage,
      'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies',
    );
    expect(policy.evaluated.name).toBe('stdw/default/driftwarden-reports/default');
    expect(props(policy).immutabilityPeriodSinceCreationInDays).toBe(
      infra.exampleParameters.reportsRetentionDays,
    );
    expect(props(policy).allowProtectedAppendWrites).toBe(false);
    expect(storage.template.parameters?.reportsRetentionDays?.minValue).toBeGreaterThanOrEqual(365);
    expect(params.reportsRetentionDays?.minValue).toBeGreaterThanOrEqual(365);
    expect(Number(params.reportsRetentionDays?.defaultValue)).toBeGreaterThanOrEqual(365);
    expect(Number(infra.exampleParameters.reportsRetentionDays)).toBeGreaterThanOrEqual(365);
    expect(policy.deployed).toBe(true);
    // once locked, redeployments leave the policy alone (a locked policy cannot be rewritten)
    const locked = storageOf(main(infra, { reportsImmutabilityLocked: true }));
    expect(
      onlyOfType(locked, 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies')
        .deployed,
    ).toBe(false);
  });

  it('disables shared keys and anonymous access, requires TLS 1.2 and HTTPS', () => {
    const account = props(onlyOfType(storage, 'Microsoft.Storage/storageAccounts'));
    expect(account.allowSharedKeyAccess).toBe(false);
    expect(account.allowBlobPublicAccess).toBe(false);
    expect(account.minimumTlsVersion).toBe('TLS1_2');
    expect(account.supportsHttpsTrafficOnly).toBe(true);
    expect(account.defaultToOAuthAuthentication).toBe(true);
    expect(account.allowCrossTenantReplication).toBe(false);
    expect((account.encryption as Json).requireInfrastructureEncryption).toBe(true);
    for (const name of childNames(storage, 'Microsoft.Storage/storageAccounts/blobServices/containers')) {
      const container = allResources(storage).find((r) => text(r.evaluated.name) === name);
      expect(props(container as ResourceInstance).publicAccess, name).toBe('None');
    }
  });

  it('keeps logs for at least 365 days', () => {
    const monitoring = module(main(infra), 'monitoring');
    expect(params.logRetentionDays?.minValue).toBeGreaterThanOrEqual(365);
    expect(monitoring.template.parameters?.retentionInDays?.minValue).toBeGreaterThanOrEqual(365);
    const workspace = onlyOfType(monitoring, 'Microsoft.OperationalInsights/workspaces');
    expect(props(workspace).retentionInDays).toBe(infra.exampleParameters.logRetentionDays);
    const appInsights = onlyOfType(monitoring, 'Microsoft.Insights/components');
    expect(props(appInsights).DisableLocalAuth).toBe(true);
  });
});

describeCompiled('infra: Function App hosting and App Service Authentication', (infra) => {
  const functionApp = module(main(infra), 'functionApp');
  const site = one(functionApp, 'site');

  it('runs on Flex Consumption (Linux, Node 22) as the user-assigned identity, HTTPS only', () => {
    const plan = one(functionApp, 'plan');
    expect(plan.evaluated.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(props(plan).reserved).toBe(true);
    expect(site.evaluated.kind).toBe('functionapp,linux');
    expect(site.evaluated.identity).toEqual({
      type: 'UserAssigned',
      userAssignedIdentities: { [`[format('{0}', ${IDENTITY.id.slice(1, -1)})]`]: {} },
    });
    const properties = props(site) as {
      httpsOnly: boolean;
      siteConfig: Json;
      functionAppConfig: { runtime: Json; scaleAndConcurrency: Json };
    };
    expect(properties.httpsOnly).toBe(true);
    expect(properties.siteConfig).toMatchObject({ minTlsVersion: '1.2', ftpsState: 'Disabled' });
    expect(properties.functionAppConfig.runtime).toEqual({ name: 'node', version: '22' });
    expect(properties.functionAppConfig.scaleAndConcurrency).toEqual({
      instanceMemoryMB: infra.exampleParameters.instanceMemoryMB,
      maximumInstanceCount: infra.exampleParameters.maximumInstanceCount,
    });
    // Flex takes the runtime from functionAppConfig and rejects these settings
    const settings = appSettings(main(infra));
    expect(Object.hasOwn(settings, 'FUNCTIONS_WORKER_RUNTIME')).toBe(false);
    expect(Object.hasOwn(settings, 'FUNCTIONS_EXTENSION_VERSION')).toBe(false);
  });

  it('turns basic-auth publishing off (SCM and FTP)', () => {
    const policies = bySymbol(functionApp, 'scmBasicAuth').concat(bySymbol(functionApp, 'ftpBasicAuth'));
    expect(policies.map((p) => text(p.evaluated.name).match(/'(scm|ftp)'\)\]$/)?.[1])).toEqual([
      'scm',
      'ftp',
    ]);
    for (const policy of policies) expect(props(policy)).toEqual({ allow: false });
  });

  it('requires an Entra ID sign-in everywhere except the Event Grid webhook and the page (which redirects itself)', () => {
    const auth = one(functionApp, 'siteAuth');
    expect(auth.definition.type).toBe('Microsoft.Web/sites/config');
    expect(text(auth.evaluated.name)).toMatch(/'authsettingsV2'\)\]$/);
    const settings = props(auth) as {
      platform: Json;
      globalValidation: Json;
      httpSettings: Json;
      identityProviders: { azureActiveDirectory: { enabled: boolean; registration: Json; validation: Json } };
      login: Json;
    };
    expect(settings.platform.enabled).toBe(true);
    expect(settings.globalValidation).toEqual({
      requireAuthentication: true,
      unauthenticatedClientAction: infra.exampleParameters.unauthenticatedClientAction,
      redirectToProvider: 'azureactivedirectory',
      excludedPaths: ['/runtime/webhooks/eventgrid', '/api/ui'],
    });
    expect(settings.httpSettings.requireHttps).toBe(true);
    const aad = settings.identityProviders.azureActiveDirectory;
    const clientId = infra.exampleParameters.authClientId;
    expect(aad.enabled).toBe(true);
    expect(aad.registration.clientId).toBe(clientId);
    expect(aad.registration.clientSecretSettingName).toBeNull(); // no secret: ID-token flow
    expect(text(aad.registration.openIdIssuer)).toBe(
      "[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, tenant().tenantId)]",
    );
    expect(aad.validation.allowedAudiences).toEqual([`api://${String(clientId)}`, clientId]);
    expect(settings.login).toEqual({ tokenStore: { enabled: false } });
    const withSecret = props(
      one(module(main(infra, { authClientSecretSettingName: 'AUTH_SECRET' }), 'functionApp'), 'siteAuth'),
    ) as typeof settings;
    expect(withSecret.identityProviders.azureActiveDirectory.registration.clientSecretSettingName).toBe(
      'AUTH_SECRET',
    );
  });
});

/** role assignments as `<role id> → <principal>` with their scope, across the whole template. */
function roleAssignments(within: TemplateScope): { role: string; principal: string; scope: string }[] {
  return allResources(within)
    .filter((r) => r.definition.type === 'Microsoft.Authorization/roleAssignments')
    .map((r) => ({
      role: text(props(r).roleDefinitionId),
      principal: text(props(r).principalId),
      scope: `${r.within.path.join('/')} ${text(r.evaluated.scope ?? '(deployment scope)')}`,
    }));
}

const builtIn = (id: string) =>
  `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${id}')]`;

describeCompiled('infra: role assignments are least privilege', (infra) => {
  // main.bicepparam enables notifications, so the topic's sender role is included
  const assignments = roleAssignments(main(infra));

  it('assigns exactly these roles (no Owner, Contributor or account-wide blob write for Event Grid)', () => {
    const summary = assignments.map(({ role, principal }) => `${role} → ${principal}`);
    const topicPrincipal = (i: number) =>
      `[reference('monitored[${i}]').outputs.systemTopicPrincipalId.value]`;
    expect(sorted(summary.filter((line) => !line.includes('driftwarden-remediator')))).toEqual(
      sorted([
        `${builtIn(BUILT_IN.storageTableDataContributor)} → ${IDENTITY.principalId}`,
        `${builtIn(BUILT_IN.storageQueueDataContributor)} → ${IDENTITY.principalId}`,
        `${builtIn(BUILT_IN.storageBlobDataOwner)} → ${IDENTITY.principalId}`,
        `${builtIn(BUILT_IN.monitoringMetricsPublisher)} → ${IDENTITY.principalId}`,
        `${builtIn(BUILT_IN.eventGridDataSender)} → ${IDENTITY.principalId}`,
        `${builtIn(BUILT_IN.storageBlobDataContributor)} → ${topicPrincipal(0)}`,
        `${builtIn(BUILT_IN.storageBlobDataContributor)} → ${topicPrincipal(1)}`,
        // evidence anchoring: sign-only on the digest key; lock-only on the digest container's policy
        `[resourceId('Microsoft.Authorization/roleDefinitions', guid(resourceGroup().id, 'driftwarden-digest-signer'))] → ${IDENTITY.principalId}`,
        `[resourceId('Microsoft.Authorization/roleDefinitions', guid(resourceGroup().id, 'driftwarden-digest-policy-locker'))] → [reference('lockerIdentity').principalId]`,
      ]),
    );
    // the custom role, once per monitored subscription
    expect(summary.filter((line) => line.includes('driftwarden-remediator'))).toHaveLength(2);
  });

  it('scopes every data-plane role to one resource, never a resource group or subscription', () => {
    for (const { role, scope } of assignments) {
      if (role.includes('driftwarden-remediator')) continue;
      expect(scope, role).toMatch(/\[resourceId\('Microsoft\.(Storage|Insights|EventGrid|KeyVault)\//);
    }
    const deadLetter = assignments.filter((a) => a.role === builtIn(BUILT_IN.storageBlobDataContributor));
    for (const { scope } of deadLetter) {
      expect(scope).toContain("'Microsoft.Storage/storageAccounts/blobServices/containers'");
      expect(scope).toContain("'driftwarden-deadletter'");
    }
  });
});

describeCompiled('infra: diagnostic settings send to the workspace', (infra) => {
  const diagnostics = allResources(main(infra)).filter(
    (r) => r.definition.type === 'Microsoft.Insights/diagnosticSettings',
  );

  it('covers the Function App and the storage account with its blob, table and queue services', () => {
    const byScope = new Map(
      diagnostics.map((d) => {
        const scope = text(d.evaluated.scope).match(/resourceId\('([^']+)'/)?.[1] ?? '';
        return [scope, d] as const;
      }),
    );
    expect(sorted([...byScope.keys()])).toEqual([
      'Microsoft.KeyVault/vaults',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Storage/storageAccounts/blobServices',
      'Microsoft.Storage/storageAccounts/queueServices',
      'Microsoft.Storage/storageAccounts/tableServices',
      'Microsoft.Web/sites',
    ]);
    for (const d of diagnostics) expect(text(props(d).workspaceId)).toBe(WORKSPACE_ID);
    const site = props(byScope.get('Microsoft.Web/sites') as ResourceInstance);
    expect(site.logs).toEqual([{ category: 'FunctionAppLogs', enabled: true }]);
    for (const service of ['blobServices', 'tableServices', 'queueServices']) {
      const settings = props(byScope.get(`Microsoft.Storage/storageAccounts/${service}`) as ResourceInstance);
      expect(settings.logs, service).toEqual([{ categoryGroup: 'allLogs', enabled: true }]);
      expect(settings.metrics, service).toEqual([{ category: 'Transaction', enabled: true }]);
    }
  });
});

/**
 * API versions the compiled template deploys with. The linter (use-recent-api-versions, an error
 * in infra/bicepconfig.json) keeps them recent; this table makes every change a visible decision.
 */
const API_VERSIONS: Record<string, string> = {
  'Microsoft.Resources/resourceGroups': '2025-04-01',
  'Microsoft.Resources/deployments': '2025-04-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2024-11-30',
  'Microsoft.OperationalInsights/workspaces': '2026-03-01',
  'Microsoft.Insights/components': '2020-02-02',
  'Microsoft.Insights/diagnosticSettings': '2021-05-01-preview', // newest; see storage.bicep
  'Microsoft.Authorization/roleAssignments': '2022-04-01',
  'Microsoft.Authorization/roleDefinitions': '2022-04-01',
  'Microsoft.Storage/storageAccounts': '2026-09-01',
  'Microsoft.Storage/storageAccounts/blobServices': '2026-09-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers': '2026-09-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies': '2026-09-01',
  'Microsoft.Storage/storageAccounts/tableServices': '2026-09-01',
  'Microsoft.Storage/storageAccounts/tableServices/tables': '2026-09-01',
  'Microsoft.Storage/storageAccounts/queueServices': '2026-09-01',
  'Microsoft.Storage/storageAccounts/queueServices/queues': '2026-09-01',
  'Microsoft.Web/serverfarms': '2025-03-01',
  'Microsoft.Web/sites': '2025-03-01',
  'Microsoft.Web/sites/config': '2025-03-01',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': '2025-03-01',
  'Microsoft.EventGrid/topics': '2025-02-15',
  'Microsoft.EventGrid/systemTopics': '2025-02-15',
  'Microsoft.EventGrid/systemTopics/eventSubscriptions': '2025-02-15',
  // evidence anchoring (infra/modules/evidence-anchor.bicep)
  'Microsoft.KeyVault/vaults': '2026-02-01',
  'Microsoft.KeyVault/vaults/keys': '2026-02-01',
  'Microsoft.Resources/deploymentScripts': '2023-08-01',
};

describeCompiled('infra: resource types and API versions', (infra) => {
  it('deploys exactly these types, each with one API version', () => {
    const versions = new Map<string, Set<string>>();
    for (const r of allResources(main(infra))) {
      if (r.definition.existing) continue;
      const seen = versions.get(r.definition.type) ?? new Set<string>();
      seen.add(r.definition.apiVersion);
      versions.set(r.definition.type, seen);
    }
    expect(Object.fromEntries([...versions].map(([type, seen]) => [type, [...seen].join(', ')]))).toEqual(
      API_VERSIONS,
    );
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

describeCompiled('infra: App Service Authentication (issue 13, item 8)', (infra) => {
  it('answers unauthenticated /api/* calls with 401 by default', () => {
    const parameters = (infra.template as { parameters: Record<string, { defaultValue?: unknown }> })
      .parameters;
    expect(parameters.unauthenticatedClientAction?.defaultValue).toBe('Return401');
    expect(infra.exampleParameters.unauthenticatedClientAction).toBe('Return401');
  });
});
