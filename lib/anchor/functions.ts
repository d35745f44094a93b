import type { InvocationContext, Timer } from '@azure/functions';
import { type App, appFromEnvironment } from '../app/app.js';
import type { FunctionDefinition } from '../host/registration.js';

/**
 * The digest timer (functions/publishDigests.ts). NCRONTAB cannot express "every
 * DW_DIGEST_INTERVAL seconds" for any interval, so the timer ticks every 10 s and publishes once
 * the interval has passed since this instance last published (local mode: DW_DIGEST_INTERVAL=10,
 * so every tick). A tick with nothing changed costs no storage or Key Vault call beyond the
 * publisher's log range query.
 */
export const DIGEST_TICK_SCHEDULE = '*/10 * * * * *';

export function publishDigestsHandler(getApp: () => Promise<App> = appFromEnvironment) {
  let lastRun = 0;
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const app = await getApp();
    const anchoring = app.anchoring();
    if (!anchoring) return; // DW_SIGNING_KEY_ID not set: nothing to sign with (verify says so)
    const now = app.clock().getTime();
    if (now - lastRun < anchoring.intervalMs - 1000) return;
    lastRun = now;
    const before = anchoring.publisher.stats.digestsPublished;
    await app.publishDigest('interval');
    if (anchoring.publisher.stats.digestsPublished > before)
      context.log(`evidence digest #${anchoring.publisher.stats.digestsPublished} published`);
  };
}

export function publishDigestsDefinition(getApp?: () => Promise<App>): FunctionDefinition {
  return {
    kind: 'timer',
    name: 'publishDigests',
    schedule: DIGEST_TICK_SCHEDULE,
    handler: publishDigestsHandler(getApp),
  };
}
