import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendStatus } from './replies.js';

/**
 * Local mode's stand-in for App Service Authentication's session. In Azure the page carries no
 * key: the platform signs the browser in and keeps a session cookie. Locally, the banner prints a
 * one-time URL (`/login?once=<token>`); opening it sets an HttpOnly, SameSite=Strict session
 * cookie and redirects to the page, whose same-origin API calls then carry the cookie. The token
 * works once, so the URL in terminal scrollback or shell history opens nothing later; the key never
 * appears in a URL, a Referer or the browser history. SameSite=Strict plus the API's
 * application/json requirement keep other sites from riding on the cookie.
 */
export const SESSION_COOKIE = 'dw_local_session';
export const LOGIN_PATH = '/login';

export class LocalSignIn {
  private readonly pending = new Set<string>();
  private readonly sessions = new Set<string>();

  constructor(private readonly pagePath = '/api/ui') {}

  /** A fresh one-time sign-in URL (the banner prints one; `POST /admin/login` makes another). */
  loginUrl(baseUrl: string): string {
    const token = randomBytes(24).toString('base64url');
    this.pending.add(token);
    return `${baseUrl}${LOGIN_PATH}?once=${token}`;
  }

  /** GET /login?once=…: redeem the token (once), set the session cookie, redirect to the page. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if ((req.method ?? 'GET').toUpperCase() !== 'GET') {
      sendStatus(res, 405, 'Method Not Allowed');
      return;
    }
    const token = url.searchParams.get('once') ?? '';
    if (!this.pending.delete(token)) {
      sendStatus(
        res,
        401,
        'This sign-in link was already used or is not valid. Run: npx driftwarden sandbox login',
      );
      return;
    }
    const session = randomBytes(32).toString('base64url');
    this.sessions.add(session);
    res.writeHead(303, {
      location: this.pagePath,
      'set-cookie': `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Strict`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end();
  }

  /** Whether the request carries a session cookie this host issued. */
  hasSession(req: IncomingMessage): boolean {
    const cookies = String(req.headers.cookie ?? '').split(/;\s*/);
    for (const cookie of cookies) {
      const [name, value] = cookie.split('=', 2);
      if (name !== SESSION_COOKIE || !value) continue;
      for (const session of this.sessions) {
        const a = Buffer.from(value);
        const b = Buffer.from(session);
        if (a.length === b.length && timingSafeEqual(a, b)) return true;
      }
    }
    return false;
  }
}
