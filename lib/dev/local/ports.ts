import { createServer } from 'node:net';

/** A fixed local-mode port that is taken: the message is the one line `npm start` prints. */
export class PortBusyError extends Error {
  constructor(
    readonly port: number,
    readonly setting: string,
    what: string,
  ) {
    super(
      `port ${port} (${what}) is already in use: stop the other process or set ${setting} to another port (0 = any free port)`,
    );
    this.name = 'PortBusyError';
  }
}

/** Reads a port setting: unset → fallback; must be 0..65535. */
export function portSetting(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

/**
 * Fails fast, before anything is started, when a fixed port is taken (a second `npm start`, or
 * Core Tools on 7071). Port 0 means "any free port" and is never busy.
 */
export function assertPortFree(port: number, setting: string, what: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new PortBusyError(port, setting, what)
          : error,
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}
