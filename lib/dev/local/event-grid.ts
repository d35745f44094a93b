/**
 * The Event Grid webhook protocol, as the Functions Event Grid extension implements it at
 * `/runtime/webhooks/eventgrid`, reduced to a pure classification of one request:
 * - `aeg-event-type: SubscriptionValidation` → answer `{ validationResponse: <code> }` (no invocation);
 * - `aeg-event-type: Notification` → a JSON array (or a single object) of Event Grid schema events,
 *   or CloudEvents 1.0 (`application/cloudevents+json` single, `application/cloudevents-batch+json` array);
 * - `aeg-event-type: Unsubscribe` → 202 and nothing else.
 * Unlike the extension, a missing `aeg-event-type` header is treated as a notification, so plain
 * CloudEvents senders work too; a validation event in such a body still gets the handshake.
 */

export const VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';

export type WebhookRequest =
  | { kind: 'validation'; validationCode: string }
  | { kind: 'notification'; events: Record<string, unknown>[] }
  | { kind: 'unsubscribe' }
  | { kind: 'invalid'; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Event Grid schema: id, eventType, subject, eventTime are always present on delivered events. */
function isEventGridEvent(event: Record<string, unknown>): boolean {
  return isText(event.id) && isText(event.eventType) && isText(event.subject) && isText(event.eventTime);
}

/** CloudEvents 1.0 required attributes. */
function isCloudEvent(event: Record<string, unknown>): boolean {
  return isText(event.specversion) && isText(event.id) && isText(event.source) && isText(event.type);
}

function validationCodeOf(event: unknown): string | null {
  if (!isRecord(event)) return null;
  let data = event.data;
  // CloudEvents deliver the validation data double-encoded (a JSON string), per the extension.
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return null;
    }
  }
  return isRecord(data) && isText(data.validationCode) ? data.validationCode : null;
}

function eventTypeOf(event: Record<string, unknown>): unknown {
  return event.eventType ?? event.type;
}

export function classifyWebhookRequest(
  eventTypeHeader: string | undefined,
  contentType: string | undefined,
  body: string,
): WebhookRequest {
  const header = eventTypeHeader?.trim().toLowerCase();
  if (header === 'unsubscribe') return { kind: 'unsubscribe' };
  if (header !== undefined && header !== 'subscriptionvalidation' && header !== 'notification') {
    return { kind: 'invalid', reason: `unknown aeg-event-type "${eventTypeHeader}"` };
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'invalid', reason: 'body is not JSON' };
  }
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  if (media === 'application/cloudevents-batch+json' && !Array.isArray(parsed)) {
    return { kind: 'invalid', reason: 'a CloudEvents batch must be a JSON array' };
  }
  if (media === 'application/cloudevents+json' && !isRecord(parsed)) {
    return { kind: 'invalid', reason: 'a structured CloudEvent must be a JSON object' };
  }
  const items: unknown[] = Array.isArray(parsed) ? parsed : [parsed];

  const first = items[0];
  const looksLikeValidation = isRecord(first) && eventTypeOf(first) === VALIDATION_EVENT_TYPE;
  if (header === 'subscriptionvalidation' || (header === undefined && looksLikeValidation)) {
    const validationCode = validationCodeOf(first);
    return validationCode
      ? { kind: 'validation', validationCode }
      : { kind: 'invalid', reason: 'subscription validation event without data.validationCode' };
  }

  const events: Record<string, unknown>[] = [];
  for (const [index, item] of items.entries()) {
    if (!isRecord(item) || !(isEventGridEvent(item) || isCloudEvent(item))) {
      return {
        kind: 'invalid',
        reason: `event ${index} is neither an Event Grid event (id, eventType, subject, eventTime) nor a CloudEvent (specversion, id, source, type)`,
      };
    }
    events.push(item);
  }
  return { kind: 'notification', events };
}
