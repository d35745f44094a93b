import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import azureFunctions from '@azure/functions';
import { chromium } from 'playwright-core';
import { parseDevPrincipal } from '../lib/api/auth.js';
import { API_ROUTES, toHttpHandler } from '../lib/api/routes.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { principalHeader, startApiServer } from '../test/integration/api/harness.js';
import { mixedRecords } from '../test/integration/api/seed.js';
import { createApiStores } from '../test/integration/api/stores.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/chromium.js';

const { HttpRequest, InvocationContext } = azureFunctions;

export const name = 'api';

const RECORDS = 10_000;
const REQUESTS = 200;
const PAGE_LOADS = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * On-call API and page over 10,000 evidence records in Azurite: GET /api/remediations latency
 * through the real handlers (auth, validation, table query), and the page's time to first rows.
 */
export async function run(): Promise<Record<string, number | string>> {
  const azurite = await startAzurite();
  try {
    const stores = await createApiStores(azurite.connectionString);
    const seedStart = performance.now();
    const inputs = mixedRecords(RECORDS);
    for (let offset = 0; offset < RECORDS; offset += 1000) {
      await stores.evidence.appendMany(inputs.slice(offset, offset + 1000));
    }
    const seedMs = performance.now() - seedStart;

    const handler = toHttpHandler(API_ROUTES.apiRemediations, async () => stores.deps);
    const principal = principalHeader('bench@contoso.org', ['Remediation.Reader']);
    const queries = [
      '',
      '?control=NSG-OPEN-INBOUND',
      '?outcome=remediated&limit=100',
      '?actor=user3%40contoso.org',
    ];
    const timings: Record<string, number[]> = {};
    for (let index = 0; index < REQUESTS + 10; index++) {
      const query = queries[index % queries.length] ?? '';
      const request = new HttpRequest({
        method: 'GET',
        url: `http://127.0.0.1/api/remediations${query}`,
        headers: { 'x-ms-client-principal': principal },
      });
      const started = performance.now();
      const response = await handler(request, new InvocationContext({ functionName: 'apiRemediations' }));
      const elapsed = performance.now() - started;
      if (response.status !== 200)
        throw new Error(`GET /api/remediations${query} answered ${response.status}`);
      if (index < 10) continue; // warm-up
      const key = query || '(none)';
      timings[key] = [...(timings[key] ?? []), elapsed];
    }
    const all = Object.values(timings)
      .flat()
      .sort((a, b) => a - b);
    const result: Record<string, number | string> = {
      records: RECORDS,
      seedMs: Math.round(seedMs),
      apiRequests: all.length,
      apiP50Ms: round(percentile(all, 50)),
      apiP99Ms: round(percentile(all, 99)),
    };
    for (const [query, list] of Object.entries(timings)) {
      result[`apiP50Ms ${query}`] = round(
        percentile(
          list.sort((a, b) => a - b),
          50,
        ),
      );
    }

    if (existsSync(CHROMIUM)) {
      const server = await startApiServer({
        ...stores.deps,
        devPrincipal: parseDevPrincipal('bench@localhost'),
      });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: CHROMIUM_ARGS,
      });
      try {
        const loads: number[] = [];
        for (let index = 0; index < PAGE_LOADS + 1; index++) {
          const page = await browser.newPage();
          const started = performance.now();
          await page.goto(`${server.baseUrl}/api/ui?code=${server.functionKey}`, { waitUntil: 'commit' });
          await page.locator('#rows tr').first().waitFor();
          const elapsed = performance.now() - started;
          if (index > 0) loads.push(elapsed); // first load warms Chromium
          await page.close();
        }
        loads.sort((a, b) => a - b);
        result.pageFirstRowsP50Ms = round(percentile(loads, 50));
        result.pageFirstRowsMaxMs = round(loads.at(-1) ?? Number.NaN);
      } finally {
        await browser.close();
        await server.close();
      }
    } else {
      result.pageFirstRowsP50Ms = `skipped: ${CHROMIUM} absent`;
    }
    console.log(JSON.stringify({ bench: name, ...result }, null, 2));
    return result;
  } finally {
    await azurite.stop();
  }
}
