import { spawn } from 'node:child_process';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ARM_LIKE_THROTTLE,
  type Sandbox,
  sandboxCredential,
  startSandbox,
  unsignedJwt,
} from '../../../lib/dev/arm-sandbox/index.js';
import { rawRequest, SUBSCRIPTION } from './helpers.js';

const API = 'api-version=2025-08-01';

describe('ARM sandbox: protocol, auth, limits and faults', () => {
  let sandbox: Sandbox;
  const accountsUrl = () =>
    `${sandbox.url}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Storage/storageAccounts`;
  const auth = { authorization: `Bearer ${unsignedJwt({ upn: 'carol@contoso.com' })}` };

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.reset();
    sandbox.resetStats();
    sandbox.setFaults(undefined);
    sandbox.setThrottle(false);
  });

  it('answers 401 ARM-style without an Authorization header', async () => {
    const response = await rawRequest(`${accountsUrl()}?${API}`, sandbox.caCertPem);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: {
        code: 'AuthenticationFailed',
        message: "Authentication failed. The 'Authorization' header is missing.",
      },
    });
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('answers 400 MissingApiVersionParameter without api-version', async () => {
    const response = await rawRequest(accountsUrl(), sandbox.caCertPem, { headers: auth });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
  });

  it('answers ARM error bodies for unknown resources, paths and methods, and accepts opaque tokens', async () => {
    // the resource group exists (it holds another NSG); the NSG asked for does not
    sandbox.seed({
      resources: [
        {
          id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/other`,
        },
      ],
    });
    const noGroup = await rawRequest(
      `${sandbox.url}/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-none/providers/Microsoft.Network/networkSecurityGroups/nope?${API}`,
      sandbox.caCertPem,
      { headers: auth },
    );
    expect(noGroup.status).toBe(404);
    expect(noGroup.body).toEqual({
      error: { code: 'ResourceGroupNotFound', message: "Resource group 'rg-none' could not be found." },
    });
    const missing = await rawRequest(
      `${sandbox.url}/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nope?${API}`,
      sandbox.caCertPem,
      { headers: { authorization: 'Bearer opaque-token-not-a-jwt' } },
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'ResourceNotFound' } });
    expect(missing.headers['x-ms-request-id']).toBeTruthy();
    const unknown = await rawRequest(
      `${sandbox.url}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines?${API}`,
      sandbox.caCertPem,
      { headers: auth },
    );
    expect(unknown.status).toBe(404);
    const method = await rawRequest(`${accountsUrl()}?${API}`, sandbox.caCertPem, {
      method: 'POST',
      headers: auth,
      body: {},
    });
    expect(method.status).toBe(405);
    const emptyPut = await rawRequest(
      `${sandbox.url}/subscriptions/${SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n?${API}`,
      sandbox.caCertPem,
      { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: undefined },
    );
    expect(emptyPut.status).toBe(201); // empty body = an NSG with no rules
  });

  it('throttles per subscription with 429 + Retry-After, and the SDK retry policy waits and succeeds', async () => {
    sandbox.setThrottle({ reads: { burst: 2, perSecond: 1 }, writes: ARM_LIKE_THROTTLE.writes });
    // the same caller as the raw requests: ARM's buckets are per caller (plus a global one)
    const client = new StorageManagementClient(
      sandbox.credential({ upn: 'carol@contoso.com' }),
      SUBSCRIPTION,
      {
        ...sandbox.clientOptions(),
      },
    );
    const first = await rawRequest(`${accountsUrl()}?${API}`, sandbox.caCertPem, { headers: auth });
    expect(first.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('1');
    // current ARM also reports the subscription's global bucket (15 times a caller's)
    expect(first.headers['x-ms-ratelimit-remaining-subscription-global-reads']).toBe('29');
    await rawRequest(`${accountsUrl()}?${API}`, sandbox.caCertPem, { headers: auth });
    const throttled = await rawRequest(`${accountsUrl()}?${API}`, sandbox.caCertPem, { headers: auth });
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(throttled.body).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
    // another subscription has its own bucket
    const other = await rawRequest(
      `${sandbox.url}/subscriptions/other-sub/providers/Microsoft.Storage/storageAccounts?${API}`,
      sandbox.caCertPem,
      { headers: auth },
    );
    expect(other.status).toBe(200);

    const started = Date.now();
    const names: string[] = [];
    for await (const account of client.storageAccounts.list()) names.push(account.name ?? '');
    expect(names).toEqual([]);
    expect(sandbox.stats().throttled).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500); // it honoured Retry-After
  });

  it('injects seeded faults (500, 409, 429, dropped connections) that the SDK rides out', async () => {
    sandbox.setFaults({ rate: 0.3, seed: 7, kinds: ['500', 'reset'] });
    const client = new NetworkManagementClient(sandbox.credential(), SUBSCRIPTION, {
      ...sandbox.clientOptions(),
      retryOptions: { maxRetries: 10, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    });
    for (let i = 0; i < 5; i++) {
      await client.networkSecurityGroups.beginCreateOrUpdateAndWait('rg', `nsg-${i}`, { location: 'eastus' });
    }
    const names: string[] = [];
    for await (const nsg of client.networkSecurityGroups.listAll()) names.push(nsg.name ?? '');
    expect(names).toHaveLength(5);
    expect(sandbox.stats().faults).toBeGreaterThan(0);

    // deterministic: the same seed gives the same fault sequence
    const sequence = async () => {
      sandbox.setFaults({ rate: 0.5, seed: 42, kinds: ['409'] });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push(
          (await rawRequest(`${accountsUrl()}?${API}`, sandbox.caCertPem, { headers: auth })).status,
        );
      return statuses;
    };
    const a = await sequence();
    const b = await sequence();
    expect(a).toEqual(b);
    expect(a).toContain(409);
    expect(a).toContain(200);
  });

  it('adds configured latency', async () => {
    sandbox.setLatency(80);
    const started = Date.now();
    await rawRequest(`${accountsUrl()}?${API}`, sandbox.caCertPem, { headers: auth });
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    sandbox.setLatency(0);
  });

  it('is trusted by a separate process through NODE_EXTRA_CA_CERTS', async () => {
    const token = await sandboxCredential({ upn: 'child@contoso.com' }).getToken(
      'https://management.azure.com/.default',
    );
    const script = `
      const https = require('node:https');
      https.get(process.argv[1], { headers: { authorization: 'Bearer ' + process.argv[2] } }, (res) => {
        let body = ''; res.on('data', (c) => (body += c));
        res.on('end', () => { console.log(res.statusCode + ' ' + body); });
      }).on('error', (e) => { console.log('ERR ' + e.code); });`;
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', script, `${accountsUrl()}?${API}`, token?.token ?? ''], {
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        child.on('error', reject);
        child.on('exit', () => resolve(out.trim()));
      });
    const { NODE_EXTRA_CA_CERTS: _ignored, ...baseEnv } = process.env;
    expect(await run({ ...baseEnv, NODE_EXTRA_CA_CERTS: sandbox.caCertPath })).toBe('200 {"value":[]}');
    expect(await run(baseEnv)).toMatch(
      /^ERR (SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
    );
  });
});
