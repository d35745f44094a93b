/**
 * Event Grid-like push delivery to one webhook: at-least-once, one event per POST (an array of
 * one, as a subscription with maxEventsPerBatch=1 delivers), retried with exponential backoff on
 * non-2xx or connection errors, optionally duplicated, shuffled and delayed.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { seededRandom } from '../random.js';
import { buildEvent, type SandboxEvent, validationEvent, type WriteRecord } from './events.js';
import type { EventSchema, WebhookSettings } from './types.js';

export interface DeliveredEvent {
  event: SandboxEvent;
  schema: EventSchema;
  /** 1 on first try */
  attempt: number;
  statusCode: number;
  deliveredAt: string;
}

interface Pending {
  event: SandboxEvent;
  schema: EventSchema;
  attempt: number;
  notBefore: number;
}

/** Event Grid does not retry these: the endpoint said the request itself is wrong. */
const NO_RETRY = new Set([400, 401, 403, 413]);
const CONCURRENCY = 8;
const TIMEOUT_MS = 10_000;
/** how long shuffled events are held so there is something to reorder */
const SHUFFLE_WINDOW_MS = 50;

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Agents {
  http: http.Agent;
  https: https.Agent;
}

function send(
  agents: Agents,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<HttpResult> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const transport = secure ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      target,
      {
        method,
        agent: secure ? agents.https : agents.http,
        headers:
          body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`webhook timed out after ${TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

export class EventDelivery {
  private webhook: WebhookSettings | undefined;
  private readonly queue: Pending[] = [];
  private inflight = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];
  private random: () => number;
  private stopped = false;
  private shuffleReleaseAt = 0;
  /** own keep-alive pools, destroyed on stop so no socket outlives the sandbox */
  private readonly agents: Agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };
  readonly emitted: SandboxEvent[] = [];
  readonly delivered: DeliveredEvent[] = [];
  readonly deadLettered: SandboxEvent[] = [];
  deliveredCount = 0;
  failedCount = 0;

  constructor(
    private readonly timeScale: number,
    private readonly seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  get settings(): WebhookSettings | undefined {
    return this.webhook;
  }

  /**
   * Registers (or removes) the webhook after the handshake Event Grid performs: a
   * SubscriptionValidationEvent answered with `{ validationResponse }` for the Event Grid schema,
   * the CloudEvents abuse-protection OPTIONS request for CloudEvents.
   */
  async setWebhook(webhook: WebhookSettings | null): Promise<void> {
    if (webhook === null) {
      this.webhook = undefined;
      return;
    }
    const schema = webhook.schema ?? 'EventGrid';
    if (schema === 'CloudEvents') {
      const origin = 'eventgrid.azure.net';
      const reply = await send(this.agents, webhook.url, 'OPTIONS', {
        'WebHook-Request-Origin': origin,
        'WebHook-Request-Rate': '120',
      });
      const allowed = reply.headers['webhook-allowed-origin'];
      if (reply.status !== 200 || (allowed !== origin && allowed !== '*')) {
        throw new Error(
          `webhook ${webhook.url} failed the CloudEvents validation handshake (status ${reply.status}, WebHook-Allowed-Origin ${String(allowed)})`,
        );
      }
    } else {
      const code = randomUUID();
      const reply = await send(
        this.agents,
        webhook.url,
        'POST',
        {
          'content-type': 'application/json; charset=utf-8',
          'aeg-event-type': 'SubscriptionValidation',
          'aeg-subscription-name': 'DRIFTWARDEN-SANDBOX',
          'aeg-delivery-count': '0',
          'aeg-data-version': '2',
          'aeg-metadata-version': '1',
        },
        JSON.stringify([validationEvent(code, '/subscriptions/00000000-0000-0000-0000-000000000000')]),
      );
      let answer: unknown;
      try {
        answer = JSON.parse(reply.body);
      } catch {
        answer = undefined;
      }
      const response = (answer as { validationResponse?: unknown } | undefined)?.validationResponse;
      if (reply.status !== 200 || response !== code) {
        throw new Error(
          `webhook ${webhook.url} failed the Event Grid validation handshake (status ${reply.status}, body ${reply.body.slice(0, 200)})`,
        );
      }
    }
    this.webhook = { ...webhook };
    this.random = seededRandom(this.seed);
  }

  /** Called after each successful write/delete. Events are logged even with no webhook set. */
  publish(record: WriteRecord): void {
    const webhook = this.webhook;
    const schema = webhook?.schema ?? 'EventGrid';
    const event = buildEvent(record, schema);
    this.emitted.push(event);
    if (!webhook || this.stopped) return;
    const copies = Math.max(1, Math.floor(webhook.duplicates ?? 1));
    const now = Date.now();
    let notBefore = now + (webhook.delayMs ?? 0) * this.timeScale;
    if (webhook.shuffle) {
      // Events published within one window are released together, so the seeded pick can reorder them.
      if (this.shuffleReleaseAt <= now) this.shuffleReleaseAt = now + SHUFFLE_WINDOW_MS;
      notBefore = Math.max(notBefore, this.shuffleReleaseAt);
    }
    for (let i = 0; i < copies; i++) {
      this.queue.push({ event, schema, attempt: 1, notBefore });
    }
    this.schedule(notBefore - now);
  }

  waitForIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  clearLogs(): void {
    this.emitted.length = 0;
    this.delivered.length = 0;
    this.deadLettered.length = 0;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.agents.http.destroy();
    this.agents.https.destroy();
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inflight === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle() && !this.stopped) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private schedule(delayMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.pump();
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    while (this.inflight < CONCURRENCY) {
      const ready: number[] = [];
      let earliest = Number.POSITIVE_INFINITY;
      this.queue.forEach((pending, index) => {
        if (pending.notBefore <= now) ready.push(index);
        else earliest = Math.min(earliest, pending.notBefore);
      });
      if (ready.length === 0) {
        // Timers may fire a millisecond before Date.now() catches up: always re-arm for what waits.
        if (earliest !== Number.POSITIVE_INFINITY) this.schedule(earliest - now + 1);
        break;
      }
      const pick = this.webhook?.shuffle ? ready[Math.floor(this.random() * ready.length)] : ready[0];
      if (pick === undefined) break;
      const [pending] = this.queue.splice(pick, 1);
      if (pending) void this.deliver(pending);
    }
    this.notifyIdle();
  }

  private async deliver(pending: Pending): Promise<void> {
    const webhook = this.webhook;
    if (!webhook) return;
    this.inflight++;
    let status = 0;
    try {
      const cloud = pending.schema === 'CloudEvents';
      const reply = await send(
        this.agents,
        webhook.url,
        'POST',
        {
          'content-type': cloud
            ? 'application/cloudevents-batch+json; charset=utf-8'
            : 'application/json; charset=utf-8',
          'aeg-event-type': 'Notification',
          'aeg-subscription-name': 'DRIFTWARDEN-SANDBOX',
          'aeg-delivery-count': String(pending.attempt - 1),
          'aeg-data-version': cloud ? '' : ((pending.event as { dataVersion?: string }).dataVersion ?? ''),
          'aeg-metadata-version': '1',
        },
        JSON.stringify([pending.event]),
      );
      status = reply.status;
    } catch {
      status = 0; // connection refused/reset/timeout: retried like a 5xx
    } finally {
      this.inflight--;
    }
    if (this.stopped) return this.notifyIdle();
    if (status >= 200 && status < 300) {
      this.deliveredCount++;
      this.delivered.push({
        event: pending.event,
        schema: pending.schema,
        attempt: pending.attempt,
        statusCode: status,
        deliveredAt: new Date().toISOString(),
      });
    } else if (NO_RETRY.has(status) || pending.attempt >= (webhook.maxAttempts ?? 8)) {
      this.failedCount++;
      this.deadLettered.push(pending.event);
    } else {
      const backoff = (webhook.retryBaseMs ?? 1000) * 2 ** (pending.attempt - 1) * this.timeScale;
      this.queue.push({ ...pending, attempt: pending.attempt + 1, notBefore: Date.now() + backoff });
      this.schedule(backoff);
    }
    this.pump();
  }
}
