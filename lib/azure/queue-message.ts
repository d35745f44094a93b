/**
 * Storage queue message encoding. The Functions queue trigger (and output binding) expects
 * Base64 message text by default (host.json `extensions.queues.messageEncoding` = "base64"; our
 * host.json keeps the default), while `@azure/storage-queue`'s `sendMessage` sends text verbatim.
 * So every producer that enqueues work for a queue-triggered function must send
 * `encodeQueueMessage(value)`; the local host decodes with `decodeQueueMessage` exactly as the
 * runtime would (Base64 → UTF-8 → JSON if it parses, else the string).
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** JSON-serialises objects (strings are sent as-is), then Base64-encodes the UTF-8 bytes. */
export function encodeQueueMessage(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text, 'utf8').toString('base64');
}

export type DecodedQueueMessage = { ok: true; value: unknown; text: string } | { ok: false; reason: string };

export function decodeQueueMessage(messageText: string): DecodedQueueMessage {
  // Buffer.from(…, 'base64') silently skips invalid characters; check strictly first, as the runtime
  // does (it moves undecodable messages straight to the poison queue).
  if (!BASE64.test(messageText)) return { ok: false, reason: 'message text is not valid Base64' };
  const bytes = Buffer.from(messageText, 'base64');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch {
    return { ok: true, value: text, text };
  }
}
