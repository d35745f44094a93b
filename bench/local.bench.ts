import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NetworkManagementClient } from '@azure/arm-network';
import { type StorageAccountUpdateParameters, StorageManagementClient } from '@azure/arm-storage';
import type { LocalInfo } from '../lib/cli/local-info.js';
import { sandboxCredential } from '../lib/dev/arm-sandbox/index.js';
import { DEMO } from '../lib/dev/local/demo-scenario.js';
import { eventually, startLocalProcess, waitForLocalInfo } from '../test/e2e/local-process.js';
import { RDP_FROM_INTERNET } from '../test/support/rules.js';

export const name = 'local';

const SAMPLES = 10;
const p = DEMO.patientPortal;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function recordFor(info: LocalInfo, actor: string, control: string): Promise<true | undefined> {
  const url = new URL(`${info.functionsBaseUrl}/remediations`);
  url.searchParams.set('actor', actor);
  url.searchParams.set('control', control);
  const response = await fetch(url, { headers: { 'x-functions-key': info.functionKey } });
  if (!response.ok) return undefined;
  const { items } = (await response.json()) as { items: { outcome: string }[] };
  return items.some((item) => item.outcome === 'remediated') ? true : undefined;
}

/** One drift through the sandbox with the real SDK, as a fresh user; resolves with ms until its evidence record is served. */
async function driftToEvidence(info: LocalInfo, kind: 'open-rdp' | 'public-blob'): Promise<number> {
  const actor = `bench-${randomUUID().slice(0, 8)}@contoso.example`;
  const agent = new Agent({ ca: readFileSync(info.caCertPath, 'utf8'), keepAlive: true });
  const credential = sandboxCredential({ upn: actor, name: actor });
  const options = { endpoint: info.armEndpoint, agent };
  try {
    const started = performance.now();
    if (kind === 'open-rdp') {
      await new NetworkManagementClient(
        credential,
        info.subscriptionId,
        options,
      ).securityRules.beginCreateOrUpdateAndWait(p.resourceGroup, p.nsg, p.rdpRule, RDP_FROM_INTERNET);
    } else {
      // PascalCase marker: see lib/local/drift.ts (arm-storage 20 PATCH serialisation).
      const open: StorageAccountUpdateParameters & { AllowBlobPublicAccess?: boolean } = {
        allowBlobPublicAccess: true,
        AllowBlobPublicAccess: true,
      };
      await new StorageManagementClient(credential, info.subscriptionId, options).storageAccounts.update(
        p.resourceGroup,
        p.storageAccount,
        open,
      );
    }
    const control = kind === 'open-rdp' ? 'NSG-MGMT-PORT' : 'STG-PUBLIC-BLOB';
    await eventually(`evidence for ${kind}`, () => recordFor(info, actor, control), 60_000, 25);
    return performance.now() - started;
  } finally {
    agent.destroy();
  }
}

/**
 * Local mode as a developer meets it: `npm start`'s command as a child process (temp state dir,
 * free ports) until local.json is written; then drifts made from outside through the ARM sandbox
 * until each one's evidence record is served by GET /api/remediations; then Ctrl-C until exit.
 */
export async function run(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'driftwarden-local-bench-'));
  const started = performance.now();
  const local = startLocalProcess({ DW_LOCAL_DIR: dir, DW_LOCAL_PORT: '0', DW_SANDBOX_PORT: '0' });
  try {
    const info = await waitForLocalInfo(local, dir, 180_000);
    const readyMs = performance.now() - started;
    const samples: number[] = [];
    for (let index = 0; index < SAMPLES; index++) {
      samples.push(await driftToEvidence(info, index % 2 === 0 ? 'open-rdp' : 'public-blob'));
    }
    samples.sort((a, b) => a - b);
    const stopping = performance.now();
    local.interrupt();
    const { code } = await local.exited;
    const figures = {
      startToReadyMs: round(readyMs),
      driftSamples: SAMPLES,
      driftToEvidenceP50Ms: round(percentile(samples, 50)),
      driftToEvidenceP95Ms: round(percentile(samples, 95)),
      driftToEvidenceMaxMs: round(samples[samples.length - 1] ?? Number.NaN),
      ctrlCToExitMs: round(performance.now() - stopping),
      exitCode: code ?? 'signal',
    };
    // bench/run.ts prints nothing itself: each bench reports its own figures.
    for (const [figure, value] of Object.entries(figures)) console.log(`  ${figure}: ${value}`);
    return figures;
  } finally {
    local.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
