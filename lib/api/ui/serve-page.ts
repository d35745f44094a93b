import { randomBytes } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { PAGE_HTML } from './page.generated.js';

/**
 * GET /api/ui — the on-call page: one self-contained HTML document (inline CSS and JS, no CDN,
 * works offline) over the same API. No key travels in its URL: in Azure the App Service
 * Authentication session authenticates the page and its same-origin API calls; locally the
 * host's sign-in cookie does (lib/dev/local/signin.ts).
 *
 * The document is page.html with page.css and page.ts inlined by scripts/build-page.mjs into
 * page.generated.ts, so it ships with `tsc` output (and the bundle) without a copy step. A fresh
 * nonce per response lets exactly that inline script and style run under the CSP.
 */
export async function servePage(): Promise<HttpResponseInit> {
  const nonce = randomBytes(16).toString('base64');
  return {
    status: 200,
    body: PAGE_HTML.replaceAll('__NONCE__', nonce),
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy':
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
  };
}
