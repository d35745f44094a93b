/** What the ARM pipeline and the admin API share: the handler signature and request-body reading. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArmError } from './arm.js';

/** Handles one request whose URL the server already parsed. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const MAX_BODY = 4 * 1024 * 1024;

/** The whole request body; larger than 4 MiB rejects with ARM's 413 and drops the connection. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ArmError(413, 'RequestEntityTooLarge', 'The request content is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
