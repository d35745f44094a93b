import { type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from 'node:http';

/** The host's own answers (errors, handshakes, status), as opposed to what a function returns. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendStatus(
  res: ServerResponse,
  status: number,
  message?: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (message === undefined) {
    res.writeHead(status, { 'content-length': 0, ...headers });
    res.end();
    return;
  }
  // Same error body shape as the app's own errors (lib/api): { error: { code, message } }.
  const code = (STATUS_CODES[status] ?? 'Error').replace(/[^A-Za-z]/g, '');
  sendJson(res, status, { error: { code, message } }, headers);
}
