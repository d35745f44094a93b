/**
 * Conformance of the sandbox's responses, for every ARM operation driftwarden uses, to the
 * official REST API specifications — checked through the SDK packages generated from them.
 *
 * Why the SDKs' generated models and not the spec JSON kept as test data: they are generated
 * from those very specifications (Microsoft.Network 2025-05-01 for @azure/arm-network 36,
 * Microsoft.Storage 2025-08-01 for @azure/arm-storage 20), they are the exact versions the
 * product runs with (a spec copy could drift from what the client understands), and they come
 * with the install under their MIT licence — no vendored files to keep in step. The network
 * mappers carry full metadata (names, flattening, types, enums, required), so that check is
 * strict; the storage package is TypeSpec-generated and only has deserializers, so it checks
 * that every key the sandbox sends is one the spec declares (and that dates parse). Response
 * *types* for storage are not machine-checked here; the product's own fields are asserted below.
 *
 * Operations covered: storage accounts get / list (subscription, resource group) / update /
 * create (LRO result); containers get / list / create / update; NSGs get / list /
 * createOrUpdate; security rules get / list / createOrUpdate; LRO status (Azure-AsyncOperation)
 * and result (Location); ARM error bodies (404, 412, 429 RetryableError, 409).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox, unsignedJwt } from '../../../lib/dev/arm-sandbox/index.js';
import {
  type Deserializer,
  deserializerProblems,
  type Mappers,
  mapperProblems,
  networkMappers,
  storageDeserializers,
} from '../../support/conformance.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import { type RawResponse, rawRequest, SUBSCRIPTION } from './helpers.js';

const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-conf`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/stconf01`;
const CONTAINERS = `${ACCOUNT}/blobServices/default/containers`;
const NSGS = `${RG}/providers/Microsoft.Network/networkSecurityGroups`;
const NSG = `${NSGS}/nsg-conf`;
const NET = 'api-version=2025-05-01';
const STG = 'api-version=2025-08-01';
const auth = { authorization: `Bearer ${unsignedJwt({ upn: 'carol@contoso.com' })}` };

/**
 * Fields of an Azure-AsyncOperation status body that the ARM RPC defines (id, name, status,
 * startTime, endTime, percentComplete, error) but the network SDK's AzureAsyncOperationResult
 * model leaves out (it only reads status and error).
 */
const ASYNC_RPC_EXTRAS = ['id', 'name', 'startTime', 'endTime', 'percentComplete'];

describe('ARM sandbox conformance to the REST specifications (via the generated SDK models)', () => {
  let sandbox: Sandbox;
  let mappers: Mappers;
  let storage: Record<string, Deserializer>;
  const call = (
    path: string,
    api: string,
    options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    rawRequest(`${sandbox.url}${path}${path.includes('?') ? '&' : '?'}${api}`, sandbox.caCertPem, {
      ...options,
      headers: { ...auth, ...options.headers },
    });
  const network = (className: string, response: RawResponse) =>
    mapperProblems(mappers, className, response.body);
  const storageModel = (name: string, response: RawResponse) => {
    const deserialize = storage[name];
    if (!deserialize) throw new Error(`@azure/arm-storage has no ${name}`);
    return deserializerProblems(deserialize, response.body);
  };

  beforeAll(async () => {
    [mappers, storage] = await Promise.all([networkMappers(), storageDeserializers()]);
    sandbox = await startSandbox({ lroDurationMs: 300 });
    sandbox.seed({
      resources: [
        {
          id: ACCOUNT,
          location: 'westeurope',
          kind: 'StorageV2',
          sku: { name: 'Standard_LRS' },
          tags: { app: 'portal' },
          properties: {
            allowBlobPublicAccess: true,
            supportsHttpsTrafficOnly: true,
            minimumTlsVersion: 'TLS1_2',
          },
        },
        { id: `${CONTAINERS}/scans`, properties: { publicAccess: 'Blob' } },
        {
          id: NSG,
          location: 'westeurope',
          tags: { app: 'portal' },
          properties: {
            securityRules: [
              {
                name: 'allow-https',
                properties: { ...RDP_FROM_ANY, destinationPortRange: '443', priority: 200 },
              },
            ],
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('the checkers do catch departures (so a green run means something)', async () => {
    const nsg = (await call(NSG, NET)).body as Record<string, unknown>;
    const props = nsg.properties as Record<string, unknown>;
    const rules = props.securityRules as Array<{ properties: Record<string, unknown> }>;
    const broken = {
      ...nsg,
      madeUp: 1,
      properties: {
        ...props,
        securityRules: [
          { ...rules[0], properties: { ...rules[0]?.properties, priority: '200', sourcePrefix: '*' } },
        ],
      },
    };
    expect(mapperProblems(mappers, 'NetworkSecurityGroup', broken).sort()).toEqual([
      '$.madeUp: not a property of NetworkSecurityGroup',
      '$.properties.securityRules[0].properties.priority: expected a number, got "200"',
      '$.properties.securityRules[0].properties.sourcePrefix: not a property of SecurityRule',
    ]);
    const account = (await call(ACCOUNT, STG)).body as Record<string, unknown>;
    const accountProps = account.properties as Record<string, unknown>;
    const deserialize = storage.storageAccountDeserializer as Deserializer;
    expect(
      deserializerProblems(deserialize, {
        ...account,
        properties: { ...accountProps, allowBlobPublicAcess: true, creationTime: 'yesterday' },
      }),
    ).toEqual([
      "$.properties.allowBlobPublicAcess: not in the spec's model",
      '$.creationTime: not a valid date',
    ]);
  });

  it('storage accounts: get, list, update and the creation LRO’s result', async () => {
    const get = await call(ACCOUNT, STG);
    expect(get.status).toBe(200);
    expect(storageModel('storageAccountDeserializer', get)).toEqual([]);
    // the properties the product reads, with their spec types
    expect(get.body).toMatchObject({
      properties: {
        allowBlobPublicAccess: true,
        supportsHttpsTrafficOnly: true,
        minimumTlsVersion: 'TLS1_2',
      },
    });
    for (const list of [
      await call(`/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Storage/storageAccounts`, STG),
      await call(`${RG}/providers/Microsoft.Storage/storageAccounts`, STG),
    ]) {
      expect(list.status).toBe(200);
      expect(storageModel('_storageAccountListResultDeserializer', list)).toEqual([]);
    }
    const update = await call(ACCOUNT, STG, {
      method: 'PATCH',
      body: { properties: { allowBlobPublicAccess: false } },
    });
    expect(update.status).toBe(200);
    expect(storageModel('storageAccountDeserializer', update)).toEqual([]);

    const create = await call(`${RG}/providers/Microsoft.Storage/storageAccounts/stconf02`, STG, {
      method: 'PUT',
      body: { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: {} },
    });
    expect(create.status).toBe(202);
    const location = String(create.headers.location);
    let poll = await rawRequest(location, sandbox.caCertPem, { headers: auth });
    expect(poll.status).toBe(202);
    while (poll.status === 202) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      poll = await rawRequest(location, sandbox.caCertPem, { headers: auth });
    }
    expect(poll.status).toBe(200);
    expect(storageModel('storageAccountDeserializer', poll)).toEqual([]);
  });

  it('blob containers: get, list, create and update', async () => {
    const get = await call(`${CONTAINERS}/scans`, STG);
    expect(get.status).toBe(200);
    expect(storageModel('blobContainerDeserializer', get)).toEqual([]);
    const list = await call(CONTAINERS, STG);
    expect(list.status).toBe(200);
    expect(storageModel('_listContainerItemsDeserializer', list)).toEqual([]);
    const create = await call(`${CONTAINERS}/exports`, STG, { method: 'PUT', body: { properties: {} } });
    expect(create.status).toBe(201);
    expect(storageModel('blobContainerDeserializer', create)).toEqual([]);
    const update = await call(`${CONTAINERS}/scans`, STG, {
      method: 'PATCH',
      body: { properties: { publicAccess: 'None' } },
    });
    expect(update.status).toBe(200);
    expect(storageModel('blobContainerDeserializer', update)).toEqual([]);
    expect(update.body).toMatchObject({ properties: { publicAccess: 'None' } });
  });

  it('storage errors are CloudError bodies', async () => {
    const missing = await call(`${CONTAINERS}/nope`, STG);
    expect(missing.status).toBe(404);
    expect(storageModel('cloudErrorDeserializer', missing)).toEqual([]);
  });

  it('network security groups: get, list, createOrUpdate (initial response and LRO status)', async () => {
    const get = await call(NSG, NET);
    expect(get.status).toBe(200);
    expect(network('NetworkSecurityGroup', get)).toEqual([]);
    for (const list of [
      await call(`/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Network/networkSecurityGroups`, NET),
      await call(NSGS, NET),
    ]) {
      expect(list.status).toBe(200);
      expect(network('NetworkSecurityGroupListResult', list)).toEqual([]);
    }
    const put = await call(`${NSGS}/nsg-conf2`, NET, {
      method: 'PUT',
      body: { location: 'westeurope', properties: { securityRules: [] } },
    });
    expect(put.status).toBe(201);
    expect(network('NetworkSecurityGroup', put)).toEqual([]);
    await expectAsyncStatus(String(put.headers['azure-asyncoperation']));
  });

  it('security rules: get, list, createOrUpdate, LRO status and result', async () => {
    const get = await call(`${NSG}/securityRules/allow-https`, NET);
    expect(get.status).toBe(200);
    expect(network('SecurityRule', get)).toEqual([]);
    const list = await call(`${NSG}/securityRules`, NET);
    expect(list.status).toBe(200);
    expect(network('SecurityRuleListResult', list)).toEqual([]);
    const put = await call(`${NSG}/securityRules/allow-rdp`, NET, {
      method: 'PUT',
      body: { properties: RDP_FROM_ANY },
    });
    expect(put.status).toBe(201);
    expect(network('SecurityRule', put)).toEqual([]);
    await expectAsyncStatus(String(put.headers['azure-asyncoperation']));

    const del = await call(`${NSG}/securityRules/allow-rdp`, NET, { method: 'DELETE' });
    expect(del.status).toBe(202);
    await expectAsyncStatus(String(del.headers['azure-asyncoperation']));
    const result = await rawRequest(String(del.headers.location), sandbox.caCertPem, { headers: auth });
    expect(result.status).toBe(204);
  });

  it('network errors are CloudError bodies: 404 NotFound, 412, 429 RetryableError with details', async () => {
    const missingRule = await call(`${NSG}/securityRules/nope`, NET);
    expect(missingRule.status).toBe(404);
    expect(network('CloudError', missingRule)).toEqual([]);
    const missingGroup = await call(
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-none/providers/Microsoft.Network/networkSecurityGroups/x`,
      NET,
    );
    expect(network('CloudError', missingGroup)).toEqual([]);
    const stale = await call(`${NSG}/securityRules/allow-https`, NET, {
      method: 'PUT',
      headers: { 'if-match': 'W/"stale"' },
      body: { properties: { ...RDP_FROM_ANY, destinationPortRange: '443', priority: 200 } },
    });
    expect(stale.status).toBe(412);
    expect(network('CloudError', stale)).toEqual([]);
    // an operation holds the NSG: the next write is refused
    const first = await call(`${NSG}/securityRules/allow-ssh`, NET, {
      method: 'PUT',
      body: { properties: { ...RDP_FROM_ANY, destinationPortRange: '22', priority: 210 } },
    });
    expect(first.status).toBe(201);
    const busy = await call(`${NSG}/securityRules/allow-ssh2`, NET, {
      method: 'PUT',
      body: { properties: { ...RDP_FROM_ANY, destinationPortRange: '2222', priority: 220 } },
    });
    expect(busy.status).toBe(429);
    expect(network('CloudError', busy)).toEqual([]);
    expect((busy.body as { error: { details: unknown[] } }).error.details).toHaveLength(1);
  });

  /** Polls an Azure-AsyncOperation URL to the end, checking every status body on the way. */
  async function expectAsyncStatus(url: string): Promise<void> {
    const seen: string[] = [];
    for (;;) {
      const poll = await rawRequest(url, sandbox.caCertPem, { headers: auth });
      expect(poll.status).toBe(200);
      const body = poll.body as Record<string, unknown>;
      const modelled = Object.fromEntries(
        Object.entries(body).filter(([key]) => !ASYNC_RPC_EXTRAS.includes(key)),
      );
      expect(mapperProblems(mappers, 'AzureAsyncOperationResult', modelled)).toEqual([]);
      // the ARM RPC's own fields: strings, startTime a date
      for (const key of ASYNC_RPC_EXTRAS.filter((k) => k in body && k !== 'percentComplete'))
        expect(typeof body[key]).toBe('string');
      if (typeof body.startTime === 'string') expect(Number.isNaN(Date.parse(body.startTime))).toBe(false);
      expect(['InProgress', 'Succeeded', 'Failed', 'Canceled']).toContain(body.status);
      seen.push(String(body.status));
      if (body.status !== 'InProgress') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.at(-1)).toBe('Succeeded');
  }
});
