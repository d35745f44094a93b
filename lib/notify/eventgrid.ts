import type { TokenCredential } from '@azure/core-auth';
import { EventGridPublisherClient, type EventGridPublisherClientOptions } from '@azure/eventgrid';
import type { EvidenceRecord } from '../evidence/types.js';
import type { Notifier } from '../remediation/types.js';

export const REMEDIATION_RECORDED = 'Driftwarden.RemediationRecorded';

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

/**
 * Publishes `Driftwarden.RemediationRecorded` to an Event Grid custom topic (Event Grid schema),
 * authenticated with the app's managed identity, so on-call tooling can subscribe. The event id
 * is the record id: a redelivered publish is recognisable downstream.
 */
export class EventGridNotifier implements Notifier {
  private readonly client: EventGridPublisherClient<'EventGrid'>;

  constructor(endpoint: string, credential: TokenCredential, options?: EventGridPublisherClientOptions) {
    this.client = new EventGridPublisherClient(endpoint, 'EventGrid', credential, options);
  }

  async remediationRecorded(records: EvidenceRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.client.send(
      records.map((record) => ({
        id: record.recordId,
        eventType: REMEDIATION_RECORDED,
        subject: record.resourceId,
        dataVersion: '1.0',
        eventTime: new Date(record.time),
        data: notificationData(record),
      })),
    );
  }
}
