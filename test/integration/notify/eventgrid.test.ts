import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sandbox } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import {
  EventGridNotifier,
  type EventGridNotifierOptions,
  NOTIFICATION_SOURCE,
  REMEDIATION_RECORDED,
  TOPIC_INPUT_SCHEMA,
} from '../../../lib/notify/eventgrid.js';
import { PARTNER_API } from '../../support/rules.js';
import {
  ACCOUNT,
  ALICE,
  baseScenario,
  clientsFor,
  createHarness,
  type Harness,
  NSG,
  startSandboxWithWebhook,
  storagePatch,
  type Webhook,
} from '../events/harness.js';
import {
  FixedTokenCredential,
  publishedEvents,
  startTopic,
  type Topic,
  unreachableEndpoint,
} from './topic.js';

/**
 * The optional notification (README "Automatic response"): the REAL EventGridNotifier with the
 * REAL EventGridPublisherClient against a local HTTPS stand-in for an Event Grid custom topic,
 * then end to end through the event path (sandbox → webhook → engine → Azurite → topic).
 */

const EVENTGRID_SCOPE = 'https://eventgrid.azure.net/.default';
/** the exact keys of `data` (RemediationRecordedData): no before/after, message, hashes or identities */
const DATA_KEYS = [
  'action',
  'actor',
  'controlId',
  'correlationId',
  'eventId',
  'exceptionId',
  'outcome',
  'recordId',
  'resourceId',
  'resourceType',
  'ruleName',
  'time',
  'trigger',
];

function record(overrides: Partial<EvidenceRecord> = {}): EvidenceRecord {
  return {
    recordId: '0f3b6c1e-8d2a-4c55-9e77-1a2b3c4d5e6f',
    time: '2026-03-04T05:06:07.089Z',
    remediatorIdentity: 'd71f7000-0000-4000-8000-00000000d00d',
    remediatorVersion: '0.1.0',
    chainId: 'chain-2026-03',
    sequence: 42,
    previousHash: 'PREVHASH-c0ffee',
    hash: 'HASH-deadbeef',
    idempotencyKey: 'event:ev-1:STG-PUBLIC-BLOB',
    trigger: 'event',
    eventId: 'ev-1',
    correlationId: 'corr-1',
    subscriptionId: '3c9f2b1e-5d4a-4e8b-9a7c-2f1e0d3c4b5a',
    resourceId: ACCOUNT,
    resourceType: 'Microsoft.Storage/storageAccounts',
    controlId: 'STG-PUBLIC-BLOB',
    criteria: ['CC6.1'],
    outcome: 'remediated',
    action: 'set allowBlobPublicAccess=false',
    message: 'MESSAGE-NOT-PUBLISHED',
    // state snapshots can be large and are not for the notification (the API serves them)
    before: { allowBlobPublicAccess: true, note: 'BEFORE-STATE-NOT-PUBLISHED' },
    after: { allowBlobPublicAccess: false, note: 'AFTER-STATE-NOT-PUBLISHED' },
    actor: ALICE.upn,
    exceptionId: null,
    ruleName: null,
    ...overrides,
  };
}

function notifier(topic: Topic, credential: FixedTokenCredential, options: EventGridNotifierOptions = {}) {
  return new EventGridNotifier(topic.endpoint, credential, { agent: topic.agent, ...options });
}

/** The default of a Bicep parameter, e.g. `param notificationSchema string = 'CloudEventSchemaV1_0'`. */
function bicepDefault(file: string, param: string): string | undefined {
  const text = readFileSync(new URL(`../../../infra/${file}`, import.meta.url), 'utf8');
  return new RegExp(`^param ${param} \\w+ = '([^']*)'`, 'm').exec(text)?.[1];
}

describe('EventGridNotifier against a local custom topic', () => {
  let topic: Topic;
  beforeAll(async () => {
    topic = await startTopic();
  });
  afterAll(() => topic.close());
  afterEach(() => {
    topic.requests.length = 0;
    topic.mode = 'ok';
  });

  it('publishes the schema the infra provisions the topic with', () => {
    // a topic rejects events in another schema (400): app and infra must agree
    const infraDefault = bicepDefault('main.bicep', 'notificationSchema');
    expect(infraDefault).toBe(TOPIC_INPUT_SCHEMA.CloudEvent);
    expect(bicepDefault('modules/notifications.bicep', 'inputSchema')).toBe(infraDefault);
    // the sample parameters enable notifications and keep the default schema
    const params = readFileSync(new URL('../../../infra/main.bicepparam', import.meta.url), 'utf8');
    expect(params).toMatch(/^param enableNotifications = true/m);
    const override = /^param notificationSchema = '([^']*)'/m.exec(params)?.[1];
    expect(override ?? infraDefault).toBe(TOPIC_INPUT_SCHEMA.CloudEvent);
  });

  it('sends CloudEvents 1.0 with a bearer token for the Event Grid scope', async () => {
    const credential = new FixedTokenCredential();
    const first = record();
    const second = record({
      recordId: '9a8b7c6d-0000-4000-8000-000000000002',
      resourceId: `${NSG}/securityRules/partner-api`,
      resourceType: 'Microsoft.Network/networkSecurityGroups/securityRules',
      controlId: 'NSG-OPEN-INBOUND',
      outcome: 'audit-only',
      action: 'none (audit mode)',
      ruleName: 'partner-api',
    });
    await notifier(topic, credential).remediationRecorded([first, second]);

    expect(topic.requests).toHaveLength(1);
    const [request] = topic.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toMatch(/^\/api\/events\?api-version=\d{4}-\d{2}-\d{2}$/);
    expect(request?.headers['content-type']).toBe('application/cloudevents-batch+json; charset=utf-8');
    expect(request?.headers.authorization).toBe(`Bearer ${credential.token}`);
    expect(credential.scopes.length).toBeGreaterThan(0);
    expect(credential.scopes.every((scopes) => scopes.length === 1 && scopes[0] === EVENTGRID_SCOPE)).toBe(
      true,
    );

    const events = publishedEvents(topic.requests);
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({
      specversion: '1.0',
      type: REMEDIATION_RECORDED,
      source: NOTIFICATION_SOURCE,
      id: first.recordId,
      subject: first.resourceId,
      time: first.time,
      datacontenttype: 'application/json',
      data: {
        recordId: first.recordId,
        time: first.time,
        outcome: 'remediated',
        controlId: 'STG-PUBLIC-BLOB',
        resourceId: ACCOUNT,
        resourceType: 'Microsoft.Storage/storageAccounts',
        ruleName: null,
        action: 'set allowBlobPublicAccess=false',
        actor: ALICE.upn,
        trigger: 'event',
        eventId: 'ev-1',
        correlationId: 'corr-1',
        exceptionId: null,
      },
    });
    expect(events[1]).toMatchObject({
      id: second.recordId,
      subject: `${NSG}/securityRules/partner-api`,
      data: { controlId: 'NSG-OPEN-INBOUND', outcome: 'audit-only', ruleName: 'partner-api' },
    });
    for (const event of events) expect(Object.keys(event.data as object).sort()).toEqual(DATA_KEYS);

    // nothing beyond the documented fields: no state, message, chain hashes, and never the token
    const raw = JSON.stringify(request?.body);
    for (const absent of [
      'BEFORE-STATE-NOT-PUBLISHED',
      'AFTER-STATE-NOT-PUBLISHED',
      'MESSAGE-NOT-PUBLISHED',
      'HASH-deadbeef',
      'PREVHASH-c0ffee',
      credential.token,
    ]) {
      expect(raw).not.toContain(absent);
    }
  });

  it('sends the Event Grid schema when configured for an EventGridSchema topic', async () => {
    const credential = new FixedTokenCredential();
    const one = record();
    await notifier(topic, credential, { schema: 'EventGrid' }).remediationRecorded([one]);
    expect(topic.requests).toHaveLength(1);
    expect(topic.requests[0]?.headers['content-type']).toBe('application/json');
    expect(topic.requests[0]?.headers.authorization).toBe(`Bearer ${credential.token}`);
    expect(publishedEvents(topic.requests)).toEqual([
      {
        id: one.recordId,
        eventType: REMEDIATION_RECORDED,
        subject: ACCOUNT,
        eventTime: one.time,
        dataVersion: '1.0',
        data: expect.objectContaining({ recordId: one.recordId, controlId: 'STG-PUBLIC-BLOB' }),
      },
    ]);
  });

  it('sends nothing for no records', async () => {
    const credential = new FixedTokenCredential();
    await notifier(topic, credential).remediationRecorded([]);
    expect(topic.requests).toEqual([]);
    expect(credential.scopes).toEqual([]);
  });

  it('a 500 is retried a bounded number of times, then throws naming the records', async () => {
    topic.mode = 'fail';
    const started = Date.now();
    // default retry policy of the notifier: 2 retries, short delays
    await expect(notifier(topic, new FixedTokenCredential()).remediationRecorded([record()])).rejects.toThrow(
      /Event Grid publish of 1 event\(s\) failed \(records 0f3b6c1e-8d2a-4c55-9e77-1a2b3c4d5e6f\)/,
    );
    expect(topic.requests).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a topic that never answers is abandoned after publishTimeoutMs', async () => {
    topic.mode = 'hang';
    const started = Date.now();
    await expect(
      notifier(topic, new FixedTokenCredential(), { publishTimeoutMs: 300 }).remediationRecorded([record()]),
    ).rejects.toThrow(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(topic.requests).toHaveLength(1);
  });
});

describe('notification through the event path', () => {
  const azurite = inject('azurite');
  let sandbox: Sandbox;
  let webhook: Webhook;
  let stopSandbox: () => Promise<void>;
  let topic: Topic;
  let harness: Harness | null = null;

  beforeAll(async () => {
    ({ sandbox, webhook, stop: stopSandbox } = await startSandboxWithWebhook(() => harness));
    topic = await startTopic();
  });
  afterAll(async () => {
    await stopSandbox();
    await topic.close();
  });
  afterEach(() => {
    harness = null;
    topic.requests.length = 0;
    topic.mode = 'ok';
  });

  async function setUp(
    endpoint: string,
    credential: FixedTokenCredential,
    options: EventGridNotifierOptions = {},
  ) {
    sandbox.reset();
    sandbox.seed(baseScenario());
    harness = await createHarness(sandbox, {
      connectionString: azurite.connectionString,
      env: { DW_NOTIFY_TOPIC_ENDPOINT: endpoint },
      overrides: {
        notifyCredential: credential,
        notifyOptions: {
          agent: topic.agent,
          retryOptions: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
          ...options,
        },
      },
    });
    await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
    return harness;
  }

  async function drift(): Promise<void> {
    const alice = clientsFor(sandbox, ALICE);
    await alice.storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_0' }),
    );
    await sandbox.waitForEventsIdle();
  }

  it('publishes exactly one notification per stored record', async () => {
    const credential = new FixedTokenCredential();
    const h = await setUp(topic.endpoint, credential);
    await drift();
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'partner-api',
      PARTNER_API,
    );
    await sandbox.waitForEventsIdle();
    expect(h.errors).toEqual([]);

    const records = await h.records();
    expect(records.map((r) => `${r.controlId}:${r.outcome}`).sort()).toEqual([
      'NSG-OPEN-INBOUND:remediated',
      'STG-MIN-TLS:remediated',
      'STG-PUBLIC-BLOB:remediated',
    ]);
    const events = publishedEvents(topic.requests);
    // one per record (the loop-guarded echo of our own write, and any redelivery, publish nothing)
    expect(events.map((e) => e.id).sort()).toEqual(records.map((r) => r.recordId).sort());
    for (const r of records) {
      expect(events.find((e) => e.id === r.recordId)).toMatchObject({
        type: REMEDIATION_RECORDED,
        source: NOTIFICATION_SOURCE,
        subject: r.resourceId,
        time: r.time,
        data: {
          recordId: r.recordId,
          controlId: r.controlId,
          outcome: 'remediated',
          actor: ALICE.upn,
          action: r.action,
          trigger: 'event',
          eventId: r.eventId,
          resourceId: r.resourceId,
        },
      });
    }
    // one publish per remediation: the two storage records of one PATCH go together
    expect(topic.requests).toHaveLength(2);
    expect(topic.requests.every((r) => r.headers.authorization === `Bearer ${credential.token}`)).toBe(true);
    expect(credential.scopes.every((s) => s.join() === EVENTGRID_SCOPE)).toBe(true);
    expect(h.logs.filter((line) => line.includes('notification failed'))).toEqual([]);
  });

  it.each([
    ['answers 500', 'fail'],
    ['never answers', 'hang'],
    ['is unreachable', 'unreachable'],
  ] as const)('a topic that %s does not fail the remediation; the miss is logged', async (_what, kind) => {
    if (kind !== 'unreachable') topic.mode = kind;
    const endpoint = kind === 'unreachable' ? await unreachableEndpoint() : topic.endpoint;
    const h = await setUp(endpoint, new FixedTokenCredential(), { publishTimeoutMs: 500 });
    await drift();

    // the remediation stands: resource reverted, evidence stored, no invocation failed
    expect(h.errors).toEqual([]);
    expect(sandbox.getResource(ACCOUNT)?.properties).toMatchObject({
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
    });
    const records = await h.records();
    expect(records.map((r) => `${r.controlId}:${r.outcome}`).sort()).toEqual([
      'STG-MIN-TLS:remediated',
      'STG-PUBLIC-BLOB:remediated',
    ]);
    // the failed publish is logged once, naming the records it could not announce
    const warnings = h.logs.filter((line) => line.startsWith('warning: notification failed:'));
    expect(warnings).toHaveLength(1);
    for (const r of records) expect(warnings[0]).toContain(r.recordId);
    if (kind === 'hang') expect(warnings[0]).toContain('timed out after 500 ms');
    if (kind === 'fail') expect(topic.requests).toHaveLength(2); // first try + the one configured retry
  });
});
