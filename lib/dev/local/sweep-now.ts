import { setTimeout as sleep } from 'node:timers/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import type { FunctionDefinition } from '../../host/registration.js';
import { enqueueSweep } from '../../sweep/fanout.js';

export interface SweepNowOptions {
  functions: readonly FunctionDefinition[];
  connectionString: string;
  queueName: string;
  reportsContainer: string;
  subscriptions: readonly string[];
  log: (line: string) => void;
  /** how long to wait for the report before giving up waiting (the sweep keeps running) */
  timeoutMs?: number;
  /** stops waiting early (the sweep itself is drained by the host's stop) */
  signal?: AbortSignal;
}

export type SweepNowResult =
  | { status: 'completed'; sweepId: string; reportBlob: string }
  | { status: 'running'; sweepId: string }
  | { status: 'unavailable'; reason: string };

/**
 * Runs the validation sweep once, now, through its real path: work items on the sweep queue (as
 * the monthly timer would enqueue them), picked up by the host's queue trigger. The sweep id is
 * per start rather than the month's, so every `npm start` produces its own report (the monthly id
 * would make a second start's parts "already stored"). Resolves when the report blob exists.
 */
export async function runSweepNow(options: SweepNowOptions): Promise<SweepNowResult> {
  const worker = options.functions.find(
    (definition) => definition.kind === 'storageQueue' && definition.queueName.includes('DW_SWEEP_QUEUE'),
  );
  if (!worker) {
    const reason = 'no queue-triggered sweep function is registered in functions/index.ts';
    options.log(`warning: ${reason}; skipping the start-up sweep`);
    return { status: 'unavailable', reason };
  }
  const sweepId = `local-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
  const queue = new QueueClient(options.connectionString, options.queueName);
  await enqueueSweep(queue, options.subscriptions, { sweepId });
  const reportBlob = `reports/${sweepId}/report.json`;
  const blob = BlobServiceClient.fromConnectionString(options.connectionString)
    .getContainerClient(options.reportsContainer)
    .getBlobClient(reportBlob);
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (Date.now() < deadline && !options.signal?.aborted) {
    if (await blob.exists())
      return { status: 'completed', sweepId, reportBlob: `${options.reportsContainer}/${reportBlob}` };
    await sleep(200);
  }
  if (!options.signal?.aborted) {
    options.log(`warning: sweep ${sweepId} has not finished yet; it keeps running (see the log page)`);
  }
  return { status: 'running', sweepId };
}
