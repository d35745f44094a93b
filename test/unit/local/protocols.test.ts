import { describe, expect, it } from 'vitest';
import { decodeQueueMessage, encodeQueueMessage } from '../../../lib/azure/queue-message.js';
import { classifyWebhookRequest, VALIDATION_EVENT_TYPE } from '../../../lib/dev/local/event-grid.js';
import { byPrecedence, compileRoute, RouteTemplateError } from '../../../lib/dev/local/routes.js';

describe('compileRoute', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    const route = compileRoute('remediations/{id}');
    expect(route.match('/Remediations/a%2Fb')).toEqual({ id: 'a/b' });
    expect(route.match('/remediations')).toBeNull();
    expect(route.match('/remediations/1/extra')).toBeNull();
    expect(route.match('/remediations/%E0%A4%A')).toBeNull(); // undecodable
  });

  it('supports optional, constrained and catch-all parameters', () => {
    expect(compileRoute('items/{kind?}').match('/items')).toEqual({});
    expect(compileRoute('items/{kind?}').match('/items/x')).toEqual({ kind: 'x' });
    expect(compileRoute('n/{id:int}').match('/n/42')).toEqual({ id: '42' });
    expect(compileRoute('n/{id:int}').match('/n/abc')).toBeNull();
    expect(compileRoute('g/{id:guid}').match('/g/0f8fad5b-d9cb-469f-a165-70867728950e')).not.toBeNull();
    expect(compileRoute('files/{*path}').match('/files/a/b%20c')).toEqual({ path: 'a/b c' });
  });

  it('rejects templates the runtime would reject', () => {
    expect(() => compileRoute('{a?}/b')).toThrowError(RouteTemplateError);
    expect(() => compileRoute('{*a}/b')).toThrowError(RouteTemplateError);
    expect(() => compileRoute('x{a}')).toThrowError(RouteTemplateError);
  });

  it('orders literal segments before parameters', () => {
    const routes = [compileRoute('r/{id}'), compileRoute('r/{*rest}'), compileRoute('r/summary')];
    expect(routes.sort(byPrecedence).map((route) => route.template)).toEqual([
      'r/summary',
      'r/{id}',
      'r/{*rest}',
    ]);
  });
});

describe('classifyWebhookRequest', () => {
  const event = { id: '1', eventType: 't', subject: '/s', eventTime: '2025-01-01T00:00:00Z', data: {} };

  it('recognises the validation handshake (Event Grid and CloudEvents schema)', () => {
    const validation = [{ ...event, eventType: VALIDATION_EVENT_TYPE, data: { validationCode: 'abc' } }];
    expect(
      classifyWebhookRequest('SubscriptionValidation', 'application/json', JSON.stringify(validation)),
    ).toEqual({
      kind: 'validation',
      validationCode: 'abc',
    });
    // no header: still a handshake, so plain senders get it right
    expect(classifyWebhookRequest(undefined, 'application/json', JSON.stringify(validation)).kind).toBe(
      'validation',
    );
    const cloud = {
      specversion: '1.0',
      id: '1',
      source: 's',
      type: VALIDATION_EVENT_TYPE,
      data: '{"validationCode":"x"}',
    };
    expect(
      classifyWebhookRequest('SubscriptionValidation', 'application/cloudevents+json', JSON.stringify(cloud)),
    ).toEqual({
      kind: 'validation',
      validationCode: 'x',
    });
    expect(classifyWebhookRequest('SubscriptionValidation', undefined, JSON.stringify([event])).kind).toBe(
      'invalid',
    );
  });

  it('accepts arrays, single objects and unsubscribe', () => {
    expect(classifyWebhookRequest('Notification', undefined, JSON.stringify([event, event]))).toMatchObject({
      kind: 'notification',
      events: [event, event],
    });
    expect(classifyWebhookRequest(undefined, undefined, JSON.stringify(event))).toMatchObject({
      kind: 'notification',
    });
    expect(classifyWebhookRequest('Unsubscribe', undefined, '').kind).toBe('unsubscribe');
  });

  it('rejects malformed bodies', () => {
    expect(classifyWebhookRequest('Notification', undefined, '{').kind).toBe('invalid');
    expect(classifyWebhookRequest('Notification', undefined, '"text"').kind).toBe('invalid');
    expect(
      classifyWebhookRequest('Notification', undefined, JSON.stringify([{ ...event, subject: 3 }])).kind,
    ).toBe('invalid');
    expect(
      classifyWebhookRequest('Notification', 'application/cloudevents-batch+json', JSON.stringify(event))
        .kind,
    ).toBe('invalid');
  });
});

describe('queue message encoding', () => {
  it('round-trips JSON and text as Base64, like the Functions queue binding', () => {
    const encoded = encodeQueueMessage({ subscriptionId: 'ä/€' });
    expect(encoded).toBe(Buffer.from('{"subscriptionId":"ä/€"}').toString('base64'));
    expect(decodeQueueMessage(encoded)).toMatchObject({ ok: true, value: { subscriptionId: 'ä/€' } });
    expect(decodeQueueMessage(encodeQueueMessage('plain'))).toMatchObject({ ok: true, value: 'plain' });
  });

  it('rejects text that is not Base64', () => {
    expect(decodeQueueMessage('{"a":1}')).toEqual({ ok: false, reason: 'message text is not valid Base64' });
    expect(decodeQueueMessage('abc')).toMatchObject({ ok: false });
  });
});
