/**
 * A stand-in Event Grid custom topic on https://127.0.0.1 (self-signed certificate from the
 * sandbox's helper, trusted in-process through an https.Agent passed in the client options, as
 * the sandbox's clientOptions() does). It records every publish request and answers per `mode`.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { loadOrCreateCertificate } from '../../../lib/dev/arm-sandbox/index.js';

export interface TopicRequest {
  method: string;
  /** path and query, e.g. /api/events?api-version=2018-01-01 */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** ok: 200; fail: 500; hang: read the request, never answer */
export type TopicMode = 'ok' | 'fail' | 'hang';

export interface Topic {
  /** the endpoint as Azure gives it (topic.properties.endpoint): https://…/api/events */
  endpoint: string;
  /** trusts the topic's certificate for one client only */
  agent: https.Agent;
  requests: TopicRequest[];
  mode: TopicMode;
  close(): Promise<void>;
}

export async function startTopic(): Promise<Topic> {
  const dir = mkdtempSync(join(tmpdir(), 'driftwarden-topic-'));
  const certificate = await loadOrCreateCertificate(dir);
  const requests: TopicRequest[] = [];
  const state: { mode: TopicMode } = { mode: 'ok' };
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text: the assertion on the body will show it
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body });
      if (state.mode === 'hang') return;
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/api/events?api-version=')) {
        res.writeHead(404).end();
        return;
      }
      if (state.mode === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'InternalServerError', message: 'topic is down' } }));
        return;
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new https.Agent({ ca: certificate.cert, keepAlive: true });
  return {
    endpoint: `https://127.0.0.1:${port}/api/events`,
    agent,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(mode: TopicMode) {
      state.mode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** An https endpoint on 127.0.0.1 where nothing listens (connection refused). */
export async function unreachableEndpoint(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `https://127.0.0.1:${port}/api/events`;
}

/** Stand-in for the managed identity: a fixed token, and the scopes each call asked for. */
export class FixedTokenCredential implements TokenCredential {
  readonly scopes: string[][] = [];
  constructor(readonly token = 'notify-test-token-7f3a') {}
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopes.push(Array.isArray(scopes) ? [...scopes] : [scopes]);
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** The events of every request, flattened (each request's body is a JSON array of events). */
export function publishedEvents(requests: TopicRequest[]): Record<string, unknown>[] {
  return requests.flatMap((request) =>
    Array.isArray(request.body) ? (request.body as Record<string, unknown>[]) : [],
  );
}
