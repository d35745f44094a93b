import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import type { EventGridEvent, HttpRequest, InvocationContext, Timer } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeQueueMessage } from '../../../lib/azure/queue-message.js';
import { type FunctionHost, startFunctionHost } from '../../../lib/dev/local/host.js';
import { QUEUE_DEFAULTS } from '../../../lib/dev/local/queue-poller.js';
import { LocalSignIn } from '../../../lib/dev/local/signin.js';
import type { FunctionDefinition } from '../../../lib/host/registration.js';
import { freePort } from '../../../lib/util/net.js';

const KEY = 'test-function-key';

/** What each test function saw, in order. */
const calls = {
  events: [] as unknown[],
  timers: [] as Timer[],
  queue: [] as unknown[],
  failing: [] as unknown[],
  contexts: [] as InvocationContext[],
};

function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(poll, 25);
    };
    poll();
  });
}

function definitions(failingQueueName: string): FunctionDefinition[] {
  const list: FunctionDefinition[] = [
    {
      kind: 'http',
      name: 'getRemediation',
      route: 'remediations/{id}',
      methods: ['GET'],
      authLevel: 'function',
      handler: async (request: HttpRequest, context: InvocationContext) => {
        calls.contexts.push(context);
        context.log('looking up', request.params.id);
        return { jsonBody: { id: request.params.id, filter: request.query.get('filter'), url: request.url } };
      },
    },
    {
      kind: 'http',
      name: 'remediationSummary',
      route: 'remediations/summary',
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: async () => ({ body: 'summary' }),
    },
    {
      kind: 'http',
      name: 'listItems',
      route: 'items/{kind?}',
      methods: ['GET', 'POST'],
      authLevel: 'anonymous',
      handler: async (request) => ({ jsonBody: { params: request.params, method: request.method } }),
    },
    {
      kind: 'http',
      name: 'echo',
      route: 'echo',
      methods: ['POST'],
      authLevel: 'function',
      handler: async (request) => {
        const text = await request.text();
        return {
          status: 201,
          headers: { 'x-echo-length': String(text.length), 'content-type': 'text/plain' },
          cookies: [{ name: 'seen', value: 'yes', httpOnly: true }],
          body: Buffer.from(text.toUpperCase()),
        };
      },
    },
    {
      kind: 'http',
      name: 'stream',
      route: 'stream',
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: async () => ({ body: Readable.toWeb(Readable.from(['a', 'b', 'c'])) as ReadableStream }),
    },
    {
      kind: 'http',
      name: 'boom',
      route: 'boom',
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: async () => {
        throw new Error('secret internal detail');
      },
    },
    {
      kind: 'http',
      name: 'slow',
      route: 'slow',
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: async () => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        return { body: 'finally' };
      },
    },
    {
      kind: 'eventGrid',
      name: 'onResourceChange',
      handler: async (event: EventGridEvent) => {
        calls.events.push(event);
        if (event.subject?.includes('fail')) throw new Error(`cannot handle ${event.subject}`);
      },
    },
    {
      kind: 'timer',
      name: 'monthlySweep',
      schedule: '%TEST_SWEEP_SCHEDULE%',
      handler: async (timer: Timer) => {
        calls.timers.push(timer);
      },
    },
    {
      kind: 'storageQueue',
      name: 'sweepWorker',
      queueName: '%TEST_QUEUE%',
      connection: 'TEST_STORAGE',
      handler: async (message: unknown) => {
        calls.queue.push(message);
      },
    },
    {
      kind: 'storageQueue',
      name: 'failingWorker',
      queueName: failingQueueName,
      connection: 'TEST_STORAGE',
      handler: async (message: unknown) => {
        calls.failing.push(message);
        throw new Error('always fails');
      },
    },
  ];
  return list;
}

describe('local function host', () => {
  const azurite = inject('azurite');
  const suffix = Date.now().toString(36);
  const queueName = `sweep-${suffix}`;
  const failingQueueName = `failing-${suffix}`;
  const lines: string[] = [];
  let host: FunctionHost;

  beforeAll(async () => {
    await new QueueClient(azurite.connectionString, queueName).createIfNotExists();
    await new QueueClient(azurite.connectionString, failingQueueName).createIfNotExists();
    host = await startFunctionHost({
      port: 0,
      functions: definitions(failingQueueName),
      functionKey: KEY,
      queueConnectionString: azurite.connectionString,
      // Feb 29 2028 is more than setTimeout's ~24.8-day ceiling away: must not fire early.
      settings: { TEST_SWEEP_SCHEDULE: '0 0 0 29 2 *', TEST_QUEUE: queueName },
      log: (line) => lines.push(line),
      queuePolling: { minPollMs: 50, maxPollMs: 200 },
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  const api = (path: string, init?: RequestInit) => fetch(`${host.functionsBaseUrl}/${path}`, init);
  const webhook = (body: unknown, headers: Record<string, string> = {}, query = '') =>
    fetch(`${host.eventGridWebhookUrl('onResourceChange')}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const gridEvent = (id: string, subject: string) => ({
    id,
    topic: '/subscriptions/00000000-0000-0000-0000-000000000001',
    subject,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date().toISOString(),
    data: { operationName: 'Microsoft.Storage/storageAccounts/write' },
    dataVersion: '',
    metadataVersion: '1',
  });

  describe('HTTP functions', () => {
    it('exposes the base URLs on 127.0.0.1', () => {
      expect(host.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(host.functionsBaseUrl).toBe(`${host.baseUrl}/api`);
    });

    it('routes with parameters and accepts the key as x-functions-key', async () => {
      const response = await api('remediations/abc%20def?filter=open', {
        headers: { 'x-functions-key': KEY },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      const body = (await response.json()) as { id: string; filter: string; url: string };
      expect(body.id).toBe('abc def');
      expect(body.filter).toBe('open');
      expect(body.url).toBe(`${host.functionsBaseUrl}/remediations/abc%20def?filter=open`);
      const context = calls.contexts.at(-1);
      expect(context?.functionName).toBe('getRemediation');
      expect(context?.invocationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines).toContain('[getRemediation] information: looking up abc def');
      expect(
        lines.some((line) =>
          /Executed 'Functions.getRemediation' \(Succeeded, Trigger=http, .*Duration=\d+ms\)/.test(line),
        ),
      ).toBe(true);
    });

    it('accepts the key as ?code=', async () => {
      const response = await api(`remediations/1?code=${KEY}`);
      expect(response.status).toBe(200);
    });

    it('answers 401 without a key or with a wrong one', async () => {
      expect((await api('remediations/1')).status).toBe(401);
      expect((await api('remediations/1', { headers: { 'x-functions-key': 'nope' } })).status).toBe(401);
      expect((await api('remediations/1?code=nope')).status).toBe(401);
      const body = await (await api('remediations/1')).json();
      expect(body).toEqual({ error: { code: 'Unauthorized', message: 'Unauthorized' } });
    });

    it('serves anonymous functions without a key and prefers literal segments over parameters', async () => {
      const response = await api('remediations/summary');
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('summary');
    });

    it('supports optional parameters and several methods', async () => {
      expect(await (await api('items')).json()).toEqual({ params: {}, method: 'GET' });
      expect(await (await api('ITEMS/storage', { method: 'POST' })).json()).toEqual({
        params: { kind: 'storage' },
        method: 'POST',
      });
    });

    it('converts status, headers, cookies and a Buffer body; passes the request body', async () => {
      const response = await api('echo', {
        method: 'POST',
        headers: { 'x-functions-key': KEY },
        body: 'hello',
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('x-echo-length')).toBe('5');
      expect(response.headers.get('set-cookie')).toBe('seen=yes; HttpOnly');
      expect(await response.text()).toBe('HELLO');
    });

    it('streams a stream body', async () => {
      const response = await api('stream');
      expect(await response.text()).toBe('abc');
    });

    it('answers 404 for unknown routes and for a method the function does not accept', async () => {
      expect((await api('nothing/here')).status).toBe(404);
      expect((await api('remediations/summary', { method: 'DELETE' })).status).toBe(404);
      expect((await fetch(`${host.baseUrl}/elsewhere`)).status).toBe(404);
    });

    it('answers 500 with a generic body when the handler throws, and logs the error', async () => {
      const response = await api('boom');
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('secret');
      expect(
        lines.some(
          (line) =>
            line.includes("Executed 'Functions.boom' (Failed") && line.includes('secret internal detail'),
        ),
      ).toBe(true);
    });

    it('answers 413 for a body over 1 MiB without invoking the function', async () => {
      const before = lines.filter((line) => line.includes("'Functions.echo'")).length;
      const response = await api('echo', {
        method: 'POST',
        headers: { 'x-functions-key': KEY },
        body: Buffer.alloc(1024 * 1024 + 1, 'a'),
      });
      expect(response.status).toBe(413);
      expect(lines.filter((line) => line.includes("'Functions.echo'")).length).toBe(before);
    });

    it('refuses requests addressed to a non-local host name (DNS rebinding)', async () => {
      const { request } = await import('node:http');
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(
          `${host.baseUrl}/api/remediations/summary`,
          { headers: { host: 'evil.example:80' } },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(421);
    });
  });

  describe('Event Grid webhook', () => {
    it('answers the subscription validation handshake without invoking the function', async () => {
      const before = calls.events.length;
      const response = await webhook(
        [
          {
            ...gridEvent('v1', ''),
            eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
            data: { validationCode: 'code-123', validationUrl: 'https://example.invalid' },
          },
        ],
        { 'aeg-event-type': 'SubscriptionValidation' },
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ validationResponse: 'code-123' });
      expect(calls.events.length).toBe(before);
    });

    it('invokes the function once per event, in order, and answers 202', async () => {
      const before = calls.events.length;
      const response = await webhook([gridEvent('e1', '/a'), gridEvent('e2', '/b'), gridEvent('e3', '/c')]);
      expect(response.status).toBe(202);
      expect(calls.events.slice(before).map((event) => (event as { id: string }).id)).toEqual([
        'e1',
        'e2',
        'e3',
      ]);
      expect(
        lines.some((line) => line.includes("'Functions.onResourceChange' (Succeeded, Trigger=eventGrid")),
      ).toBe(true);
    });

    it('answers 500 when an invocation fails, so Event Grid redelivers', async () => {
      const before = calls.events.length;
      const response = await webhook([
        gridEvent('f1', '/ok'),
        gridEvent('f2', '/fail'),
        gridEvent('f3', '/later'),
      ]);
      expect(response.status).toBe(500);
      expect(await response.text()).toContain('cannot handle /fail');
      expect(calls.events.slice(before).map((event) => (event as { id: string }).id)).toEqual(['f1', 'f2']);
    });

    it('accepts a CloudEvents batch and a single structured CloudEvent', async () => {
      const cloudEvent = (id: string) => ({
        specversion: '1.0',
        id,
        source: '/subscriptions/00000000-0000-0000-0000-000000000001',
        subject: '/x',
        type: 'Microsoft.Resources.ResourceWriteSuccess',
        time: new Date().toISOString(),
        data: { operationName: 'Microsoft.Network/networkSecurityGroups/write' },
      });
      const before = calls.events.length;
      const batch = await webhook([cloudEvent('c1'), cloudEvent('c2')], {
        'content-type': 'application/cloudevents-batch+json; charset=utf-8',
      });
      expect(batch.status).toBe(202);
      const single = await webhook(cloudEvent('c3'), { 'content-type': 'application/cloudevents+json' });
      expect(single.status).toBe(202);
      const seen = calls.events.slice(before) as { id: string; type: string }[];
      expect(seen.map((event) => event.id)).toEqual(['c1', 'c2', 'c3']);
      expect(seen[0]?.type).toBe('Microsoft.Resources.ResourceWriteSuccess');
    });

    it('answers the CloudEvents abuse-protection OPTIONS handshake', async () => {
      const response = await fetch(host.eventGridWebhookUrl('onResourceChange'), {
        method: 'OPTIONS',
        headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net', 'WebHook-Request-Rate': '120' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
      expect(response.headers.get('webhook-allowed-rate')).toBe('*');
    });

    it('answers 400 for malformed bodies without invoking anything', async () => {
      const before = calls.events.length;
      expect((await webhook('not json')).status).toBe(400);
      expect((await webhook([gridEvent('m1', '/ok'), { id: 'm2' }])).status).toBe(400);
      expect((await webhook(42)).status).toBe(400);
      expect(
        (await webhook({ id: 'x' }, { 'content-type': 'application/cloudevents-batch+json' })).status,
      ).toBe(400);
      expect((await webhook([gridEvent('m3', '/ok')], { 'aeg-event-type': 'Bogus' })).status).toBe(400);
      expect(calls.events.length).toBe(before);
    });

    it('answers 404 for an unknown function name', async () => {
      const response = await fetch(`${host.baseUrl}/runtime/webhooks/eventgrid?functionName=nope`, {
        method: 'POST',
        headers: { 'aeg-event-type': 'Notification' },
        body: JSON.stringify([gridEvent('u1', '/a')]),
      });
      expect(response.status).toBe(404);
      expect(() => host.eventGridWebhookUrl('getRemediation')).toThrowError(/No Event Grid function/);
    });

    it('requires the system key, as the runtime does: the delivery URL carries it; none or a wrong one is 401', async () => {
      expect(host.eventGridWebhookUrl('onResourceChange')).toContain(`code=${encodeURIComponent(KEY)}`);
      expect((await webhook([gridEvent('k1', '/a')], {}, `&code=${KEY}`)).status).toBe(202);
      expect((await webhook([gridEvent('k2', '/a')], {}, '&code=wrong')).status).toBe(401);
      const withoutKey = host.eventGridWebhookUrl('onResourceChange').replace(/&code=[^&]*/, '');
      const refused = await fetch(withoutKey, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify([gridEvent('k3', '/a')]),
      });
      expect(refused.status).toBe(401);
    });
  });

  describe('timers and run-now', () => {
    it('does not fire a far-away schedule early (beyond the setTimeout ceiling)', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(calls.timers).toEqual([]);
      expect(lines).toContain('[monthlySweep] timer "0 0 0 29 2 *" (UTC), next run 2028-02-29T00:00:00.000Z');
    });

    it('runs a timer now through POST /admin/functions/<name> (202, key required)', async () => {
      const url = `${host.baseUrl}/admin/functions/monthlySweep`;
      expect((await fetch(url, { method: 'POST', body: '{}' })).status).toBe(401);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'x-functions-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ input: '' }),
      });
      expect(response.status).toBe(202);
      await waitFor(() => calls.timers.length === 1);
      expect(calls.timers[0]).toMatchObject({ isPastDue: false, schedule: { adjustForDST: false } });
      expect(calls.timers[0]?.scheduleStatus.lastUpdated).toMatch(/^\d{4}-/);
    });

    it('passes admin input to an Event Grid function as the event', async () => {
      const event = gridEvent('admin-1', '/admin');
      const response = await fetch(`${host.baseUrl}/admin/functions/onResourceChange?code=${KEY}`, {
        method: 'POST',
        body: JSON.stringify({ input: JSON.stringify(event) }),
      });
      expect(response.status).toBe(202);
      await waitFor(() => calls.events.some((seen) => (seen as { id: string }).id === 'admin-1'));
    });

    it('refuses admin runs of unknown or HTTP functions, and bad bodies', async () => {
      const post = (name: string, body = '{}') =>
        fetch(`${host.baseUrl}/admin/functions/${name}`, {
          method: 'POST',
          headers: { 'x-functions-key': KEY },
          body,
        });
      expect((await post('nope')).status).toBe(404);
      expect((await post('echo')).status).toBe(400);
      expect((await post('monthlySweep', '{oops')).status).toBe(400);
    });

    it('runNow resolves after the invocation and rejects when it fails', async () => {
      const before = calls.timers.length;
      await host.runNow('monthlySweep');
      expect(calls.timers.length).toBe(before + 1);
      await expect(host.runNow('failingWorker', '{"n":1}')).rejects.toThrowError('always fails');
      expect(calls.failing.at(-1)).toEqual({ n: 1 });
      await expect(host.runNow('nope')).rejects.toThrowError(/No function named/);
    });

    it('reports host status for readiness probes', async () => {
      const response = await fetch(`${host.baseUrl}/admin/host/status`);
      expect(await response.json()).toEqual({ state: 'Running' });
    });
  });

  describe('storage queue triggers (Azurite)', () => {
    it('decodes Base64 JSON messages, invokes the function and deletes the message', async () => {
      const queue = new QueueClient(azurite.connectionString, queueName);
      await queue.sendMessage(encodeQueueMessage({ subscriptionId: 's1', resourceGroup: 'rg' }));
      await queue.sendMessage(encodeQueueMessage('plain text'));
      await waitFor(() => calls.queue.length >= 2);
      expect(calls.queue).toEqual(
        expect.arrayContaining([{ subscriptionId: 's1', resourceGroup: 'rg' }, 'plain text']),
      );
      await waitFor(
        () => lines.filter((line) => line.includes("'Functions.sweepWorker' (Succeeded")).length >= 2,
      );
      // Deleted: nothing left, not even invisible (approximate count includes invisible messages).
      await waitFor(() => false, 300).catch(() => undefined);
      expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    });

    it('moves a message that keeps failing to <queue>-poison after maxDequeueCount attempts', async () => {
      const queue = new QueueClient(azurite.connectionString, failingQueueName);
      const poison = new QueueClient(azurite.connectionString, `${failingQueueName}-poison`);
      const before = calls.failing.length;
      await queue.sendMessage(encodeQueueMessage({ job: 'doomed' }));
      await waitFor(
        () => lines.some((line) => line.includes(`to queue "${failingQueueName}-poison"`)),
        20_000,
      );
      expect(calls.failing.length - before).toBe(QUEUE_DEFAULTS.maxDequeueCount);
      const { peekedMessageItems } = await poison.peekMessages();
      expect(peekedMessageItems.map((message) => message.messageText)).toEqual([
        encodeQueueMessage({ job: 'doomed' }),
      ]);
      expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    });

    it('moves text that is not Base64 straight to the poison queue without invoking', async () => {
      const queue = new QueueClient(azurite.connectionString, queueName);
      const before = calls.queue.length;
      await queue.sendMessage('{"not":"base64"}');
      await waitFor(() => lines.some((line) => line.includes('(message text is not valid Base64)')));
      expect(calls.queue.length).toBe(before);
    });

    it('uses the same limits as host.json', () => {
      const hostJson = JSON.parse(readFileSync('host.json', 'utf8')) as {
        extensions: { queues: { maxDequeueCount: number; batchSize: number; messageEncoding?: string } };
      };
      expect(QUEUE_DEFAULTS.maxDequeueCount).toBe(hostJson.extensions.queues.maxDequeueCount);
      expect(QUEUE_DEFAULTS.batchSize).toBe(hostJson.extensions.queues.batchSize);
      expect(hostJson.extensions.queues.messageEncoding ?? 'base64').toBe('base64');
    });
  });
});

describe('local function host lifecycle', () => {
  const azurite = inject('azurite');

  it('fires timers on their schedule', async () => {
    const fired: Timer[] = [];
    const host = await startFunctionHost({
      port: 0,
      functionKey: KEY,
      log: () => undefined,
      functions: [
        {
          kind: 'timer',
          name: 'everySecond',
          schedule: '* * * * * *',
          handler: async (timer) => void fired.push(timer),
        },
      ],
    });
    try {
      await waitFor(() => fired.length >= 2, 5000);
      const [first, second] = fired;
      expect(first?.isPastDue).toBe(false);
      expect(first?.scheduleStatus.last).toBe('0001-01-01T00:00:00.000Z');
      // `last` of a run is the previous run's occurrence, which for an every-second schedule is its `next` - 1 s.
      expect(second?.scheduleStatus.last).toBe(
        new Date(Date.parse(first?.scheduleStatus.next ?? '') - 1000).toISOString(),
      );
      expect(Date.parse(second?.scheduleStatus.next ?? '')).toBeGreaterThan(
        Date.parse(first?.scheduleStatus.next ?? ''),
      );
    } finally {
      await host.stop();
    }
  });

  it('rejects a busy port with a clear message', async () => {
    const port = await freePort();
    const first = await startFunctionHost({ port, functionKey: KEY, functions: [], log: () => undefined });
    try {
      await expect(
        startFunctionHost({ port, functionKey: KEY, functions: [], log: () => undefined }),
      ).rejects.toThrowError(`port ${port} is in use — stop the other process or set DW_LOCAL_PORT`);
    } finally {
      await first.stop();
    }
  });

  it('fails fast on a missing %SETTING% or a bad schedule, before opening the port', async () => {
    const timer = (schedule: string): FunctionDefinition => ({
      kind: 'timer',
      name: 't',
      schedule,
      handler: async () => {},
    });
    await expect(
      startFunctionHost({
        port: 0,
        functionKey: KEY,
        functions: [timer('%MISSING_SCHEDULE%')],
        settings: {},
      }),
    ).rejects.toThrowError(/MISSING_SCHEDULE.*not set/);
    await expect(
      startFunctionHost({ port: 0, functionKey: KEY, functions: [timer('0 3 1 * *')], settings: {} }),
    ).rejects.toThrowError(/6 fields/);
  });

  it('stop() waits for running invocations, stops pollers and frees the port', async () => {
    const port = await freePort();
    const queueName = `stop-${Date.now().toString(36)}`;
    const queue = new QueueClient(azurite.connectionString, queueName);
    await queue.createIfNotExists();
    const consumed: unknown[] = [];
    let finished = false;
    const host = await startFunctionHost({
      port,
      functionKey: KEY,
      queueConnectionString: azurite.connectionString,
      log: () => undefined,
      queuePolling: { minPollMs: 50, maxPollMs: 100 },
      functions: [
        {
          kind: 'http',
          name: 'slow',
          route: 'slow',
          methods: ['GET'],
          authLevel: 'anonymous',
          handler: async () => {
            await new Promise((resolve) => setTimeout(resolve, 400));
            finished = true;
            return { body: 'finally' };
          },
        },
        {
          kind: 'storageQueue',
          name: 'worker',
          queueName,
          connection: 'X',
          handler: async (message) => void consumed.push(message),
        },
      ],
    });
    const pending = fetch(`${host.baseUrl}/api/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the handler is now running
    await host.stop();
    expect(finished).toBe(true);
    const response = await pending;
    expect(await response.text()).toBe('finally');

    // Port free again: we can bind it ourselves.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    // Poller stopped: a message sent now stays on the queue.
    await queue.sendMessage(encodeQueueMessage({ after: 'stop' }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(consumed).toEqual([]);
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(1);
    await host.stop(); // idempotent
  });
});

describe('local sign-in (App Service Authentication stand-in; issue 13, item 8)', () => {
  it('a one-time URL sets an HttpOnly SameSite=Strict cookie that then authenticates every HTTP function, anonymous ones too', async () => {
    const signIn = new LocalSignIn();
    const host = await startFunctionHost({
      port: 0,
      functionKey: KEY,
      signIn,
      log: () => undefined,
      functions: [
        {
          kind: 'http',
          name: 'page',
          route: 'ui',
          methods: ['GET'],
          authLevel: 'anonymous',
          handler: async () => ({ body: 'page' }),
        },
      ],
    });
    try {
      const page = `${host.functionsBaseUrl}/ui`;
      expect((await fetch(page)).status).toBe(401);
      const url = signIn.loginUrl(host.baseUrl);
      expect(url).not.toContain(KEY);
      const login = await fetch(url, { redirect: 'manual' });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/api/ui');
      const cookie = login.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/^dw_local_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
      const session = cookie.split(';')[0] ?? '';
      expect(await (await fetch(page, { headers: { cookie: session } })).text()).toBe('page');
      expect((await fetch(page, { headers: { cookie: 'dw_local_session=forged' } })).status).toBe(401);
      expect((await fetch(url, { redirect: 'manual' })).status).toBe(401); // once only
      expect((await fetch(page, { headers: { 'x-functions-key': KEY } })).status).toBe(200);
      // a new link for the key holder
      const fresh = await fetch(`${host.baseUrl}/admin/login`, {
        method: 'POST',
        headers: { 'x-functions-key': KEY },
      });
      expect(((await fresh.json()) as { loginUrl: string }).loginUrl).toMatch(/\/login\?once=/);
      expect((await fetch(`${host.baseUrl}/admin/login`, { method: 'POST' })).status).toBe(401);
    } finally {
      await host.stop();
    }
  });
});
