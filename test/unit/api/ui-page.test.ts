import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PAGE_HTML } from '../../../lib/api/ui/page.generated.js';
import { servePage } from '../../../lib/api/ui/serve-page.js';
import { buildPage, GENERATED, renderPage } from '../../../scripts/build-page.mjs';

const inlineBlocks = (html: string, tag: 'script' | 'style') =>
  [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => ({
    attributes: m[1] ?? '',
    content: m[2] ?? '',
  }));

describe('the on-call page build (scripts/build-page.mjs)', () => {
  it('inlines the compiled page.ts and the minified page.css in place of the placeholders', async () => {
    const html = await renderPage();
    expect(html).not.toContain('@inline');
    const [script, ...moreScripts] = inlineBlocks(html, 'script');
    const [style, ...moreStyles] = inlineBlocks(html, 'style');
    expect(moreScripts).toEqual([]);
    expect(moreStyles).toEqual([]);
    expect(script?.content).toMatch(/^"use strict";\(\(\)=>\{/); // an IIFE, strict
    expect(script?.content).toContain('Auto-refresh paused.'); // a string only page.ts has
    expect(script?.content).not.toMatch(/\binterface\b|: RemediationItem/); // types are gone
    expect(style?.content).toContain('.o-remediation-failed{color:var(--bad)}');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/); // nothing linked: works offline
  });

  it('is deterministic, and the generated module is what it renders', async () => {
    const [first, second] = await Promise.all([renderPage(), renderPage()]);
    expect(second).toBe(first);
    expect(PAGE_HTML).toBe(first);
    const before = await readFile(GENERATED, 'utf8');
    expect(await buildPage()).toMatchObject({ changed: false });
    expect(await readFile(GENERATED, 'utf8')).toBe(before);
  });
});

describe('GET /api/ui (servePage)', () => {
  it('lets exactly the inline script and style run, with a fresh nonce per response', async () => {
    const [a, b] = await Promise.all([servePage(), servePage()]);
    const nonceOf = (csp: string) => /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    const headersA = a.headers as Record<string, string>;
    const headersB = b.headers as Record<string, string>;
    const nonce = nonceOf(headersA['content-security-policy'] ?? '');
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(nonceOf(headersB['content-security-policy'] ?? '')).not.toBe(nonce);
    expect(headersA['content-security-policy']).toContain(`style-src 'nonce-${nonce}'`);
    const body = String(a.body);
    expect(body).not.toContain('__NONCE__');
    for (const block of [...inlineBlocks(body, 'script'), ...inlineBlocks(body, 'style')]) {
      expect(block.attributes).toBe(` nonce="${nonce}"`);
    }
    expect(headersA['content-type']).toBe('text/html; charset=utf-8');
  });
});
