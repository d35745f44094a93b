import type { TokenCredential } from '@azure/core-auth';
import { EventGridPublisherClient, type EventGridPublisherClientOptions } from '@azure/eventgrid';
import type { EvidenceRecord } from '../evidence/types.js';
import type { Notifier } from '../remediation/types.js';
import { toError } from '../util/errors.js';

export const REMEDIATION_RECORDED = 'Driftwarden.RemediationRecorded';

/** CloudEvents `source` of every notification (with the record id as `id`, unique per event). */
export const NOTIFICATION_SOURCE = '/driftwarden';

/**
 * The schema the notifier publishes in. It must match the topic's `inputSchema` (Event Grid
 * rejects a mismatch with 400): infra's `notificationSchema` defaults to `CloudEventSchemaV1_0`,
 * so the default here is `CloudEvent`.
 */
export type NotificationSchema = 'CloudEvent' | 'EventGrid';

/** infra/modules/notifications.bicep `inputSchema` value for each schema. */
export const TOPIC_INPUT_SCHEMA: Record<NotificationSchema, string> = {
  CloudEvent: 'CloudEventSchemaV1_0',
  EventGrid: 'EventGridSchema',
};

export interface EventGridNotifierOptions extends EventGridPublisherClientOptions {
  /** default `CloudEvent` (the infra default) */
  schema?: NotificationSchema;
  /** bound on one publish, retries included (default 10 s): a slow topic must not hold a remediation */
  publishTimeoutMs?: number;
}

/** What subscribers get: enough to find the record (API/log page), not the full before/after state. */
export interface RemediationRecordedData {
  recordId: string;
  time: string;
  outcome: string;
  controlId: string | null;
  resourceId: string;
  resourceType: string;
  ruleName: string | null;
  action: string;
  actor: string | null;
  trigger: string;
  eventId: string | null;
  correlationId: string | null;
  exceptionId: string | null;
}

export function notificationData(record: EvidenceRecord): RemediationRecordedData {
  return {
    recordId: record.recordId,
    time: record.time,
    outcome: record.outcome,
    controlId: record.controlId,
    resourceId: record.resourceId,
    resourceType: record.resourceType,
    ruleName: record.ruleName ?? null,
    action: record.action,
    actor: record.actor,
    trigger: record.trigger,
    eventId: record.eventId,
    correlationId: record.correlationId,
    exceptionId: record.exceptionId,
  };
}

type Send = (records: EvidenceRecord[], abortSignal: AbortSignal) => Promise<void>;

/**
 * Publishes `Driftwarden.RemediationRecorded` to an Event Grid custom topic (CloudEvents 1.0 by
 * default, or the Event Grid schema), authenticated with a token credential (the app's managed
 * identity; scope https://eventgrid.azure.net/.default), so on-call tooling can subscribe. The
 * event id is the record id and the subject the resource id: a redelivered publish is recognisable
 * downstream. A publish is bounded (few retries, `publishTimeoutMs`); failures throw, with the
 * record ids, for the caller to log.
 */
export class EventGridNotifier implements Notifier {
  private readonly send: Send;
  private readonly publishTimeoutMs: number;

  constructor(endpoint: string, credential: TokenCredential, options: EventGridNotifierOptions = {}) {
    const { schema = 'CloudEvent', publishTimeoutMs = 10_000, ...clientOptions } = options;
    this.publishTimeoutMs = publishTimeoutMs;
    const bounded: EventGridPublisherClientOptions = {
      ...clientOptions,
      retryOptions: {
        maxRetries: 2,
        retryDelayInMs: 500,
        maxRetryDelayInMs: 2000,
        ...clientOptions.retryOptions,
      },
    };
    if (schema === 'EventGrid') {
      const client = new EventGridPublisherClient(endpoint, 'EventGrid', credential, bounded);
      this.send = (records, abortSignal) =>
        client.send(
          records.map((record) => ({
            id: record.recordId,
            eventType: REMEDIATION_RECORDED,
            subject: record.resourceId,
            dataVersion: '1.0',
            eventTime: new Date(record.time),
            data: notificationData(record),
          })),
          { abortSignal },
        );
    } else {
      const client = new EventGridPublisherClient(endpoint, 'CloudEvent', credential, bounded);
      this.send = (records, abortSignal) =>
        client.send(
          records.map((record) => ({
            id: record.recordId,
            type: REMEDIATION_RECORDED,
            source: NOTIFICATION_SOURCE,
            subject: record.resourceId,
            time: new Date(record.time),
            datacontenttype: 'application/json',
            data: notificationData(record),
          })),
          { abortSignal },
        );
    }
  }

  async remediationRecorded(records: EvidenceRecord[]): Promise<void> {
    if (records.length === 0) return;
    const signal = AbortSignal.timeout(this.publishTimeoutMs);
    try {
      await this.send(records, signal);
    } catch (error) {
      const cause = signal.aborted ? `timed out after ${this.publishTimeoutMs} ms` : toError(error).message;
      const ids = records.slice(0, 5).map((record) => record.recordId);
      const more = records.length > 5 ? ` +${records.length - 5} more` : '';
      throw new Error(
        `Event Grid publish of ${records.length} event(s) failed (records ${ids.join(', ')}${more}): ${cause}`,
        { cause: error },
      );
    }
  }
}
