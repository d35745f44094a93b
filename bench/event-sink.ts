import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The event benches' webhook for the sandbox's Event Grid deliveries: it answers the validation
 * handshake and hands each event made by `upn` to whoever waits for its subject, so a bench can
 * pass events to the handler itself and time just that. Our own writes (other callers) are not
 * measured. Listens on 127.0.0.1, a free port. Not a bench module itself (no `.bench.ts`).
 */
export async function eventSink(upn: string): Promise<{
  url: string;
  /** the next event by `upn` on `resourceId` (any resource when omitted) */
  next(resourceId?: string): Promise<unknown>;
  close(): Promise<void>;
}> {
  const waiting: Array<{ subject: string | null; resolve: (event: unknown) => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<Record<string, unknown>>;
      const first = body[0];
      if (first?.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent') {
        res.end(
          JSON.stringify({ validationResponse: (first.data as { validationCode: string }).validationCode }),
        );
        return;
      }
      for (const event of body) {
        const claims = ((event.data as Record<string, unknown>)?.claims ?? {}) as Record<string, unknown>;
        if (claims.upn !== upn) continue;
        const subject = String(event.subject).toLowerCase();
        const index = waiting.findIndex((w) => w.subject === null || w.subject === subject);
        if (index >= 0) waiting.splice(index, 1)[0]?.resolve(event);
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    next: (resourceId) =>
      new Promise((resolve) => waiting.push({ subject: resourceId?.toLowerCase() ?? null, resolve })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
