import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { toError } from '../../util/errors.js';
import { sendStatus } from './replies.js';

/**
 * The Node HTTP server under the local host: listening (a clear message for a busy port), a 500
 * for a handler that throws, and a shutdown that lets responses being written finish, bounded.
 */
export interface LocalServer {
  readonly port: number;
  /** Stops accepting connections and closes idle keep-alive sockets. */
  stopListening(): void;
  /** Waits (at most `graceMs`) for responses still being written, drops the remaining sockets, resolves once closed. */
  finish(graceMs: number): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} is in use — stop the other process or set DW_LOCAL_PORT`)
          : error,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function startLocalServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: { port: number; host: string; log: (line: string) => void },
): Promise<LocalServer> {
  // Requests whose response is not fully written yet: finish() lets them complete.
  const openResponses = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const finished = new Promise<void>((resolve) => res.once('close', () => resolve()));
    openResponses.add(finished);
    void finished.then(() => openResponses.delete(finished));
    handle(req, res).catch((thrown: unknown) => {
      options.log(`local host: request ${req.method} ${req.url} failed: ${toError(thrown).stack}`);
      if (!res.headersSent) sendStatus(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  const port = await listen(server, options.port, options.host);
  let closed: Promise<void> | null = null;
  const stopListening = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    return closed;
  };

  return {
    port,
    stopListening: () => void stopListening(),
    async finish(graceMs) {
      const done = stopListening();
      // Bounded: a client that never finishes sending its body must not hold the stop forever.
      const grace = new AbortController();
      await Promise.race([
        Promise.all(openResponses),
        sleep(graceMs, undefined, { signal: grace.signal }).catch(() => undefined),
      ]);
      grace.abort();
      // Responses are written by now; drop keep-alive sockets so close() can finish.
      server.closeAllConnections();
      await done;
    },
  };
}
