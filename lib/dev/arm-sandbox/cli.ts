/**
 * Start the ARM sandbox from the command line:
 *   npx tsx lib/dev/arm-sandbox/cli.ts [--port 0] [--scenario file.json] [--webhook URL]
 *     [--schema EventGrid|CloudEvents|ResourceNotifications] [--page-size N] [--latency MS]
 *     [--arm-throttle] [--fault-rate R] [--seed N] [--cert-dir DIR] [--generate SUBS,ACCOUNTS,NSGS,DRIFT]
 *     [--lro-ms MS] [--event-timing completion|accept]
 * Prints one JSON line { url, caCertPath, adminUrl } and runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { generateEstate } from './generate.js';
import { loadScenarioFile } from './scenario.js';
import { startSandbox } from './server.js';
import { ARM_LIKE_THROTTLE, type EventSchema, type SandboxOptions } from './types.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      scenario: { type: 'string' },
      webhook: { type: 'string' },
      schema: { type: 'string' },
      'page-size': { type: 'string' },
      latency: { type: 'string' },
      'arm-throttle': { type: 'boolean', default: false },
      'fault-rate': { type: 'string' },
      seed: { type: 'string' },
      'cert-dir': { type: 'string' },
      generate: { type: 'string' },
      'lro-ms': { type: 'string' },
      'event-timing': { type: 'string' },
    },
  });
  const seed = values.seed !== undefined ? Number(values.seed) : 1;
  const options: SandboxOptions = {
    port: Number(values.port),
    seed,
    throttle: values['arm-throttle'] ? ARM_LIKE_THROTTLE : false,
  };
  if (values.scenario) options.scenario = loadScenarioFile(values.scenario);
  if (values.generate) {
    const [subscriptions = 1, storageAccounts = 10, nsgs = 10, driftRatio = 0.2] = values.generate
      .split(',')
      .map(Number);
    options.scenario = generateEstate({ subscriptions, storageAccounts, nsgs, driftRatio, seed });
  }
  if (values.webhook)
    options.webhook = { url: values.webhook, schema: (values.schema ?? 'EventGrid') as EventSchema };
  if (values['page-size']) options.pageSize = Number(values['page-size']);
  if (values.latency) options.latencyMs = Number(values.latency);
  if (values['fault-rate']) options.faults = { rate: Number(values['fault-rate']), seed };
  if (values['cert-dir']) options.certDir = values['cert-dir'];
  if (values['lro-ms']) options.lroDurationMs = Number(values['lro-ms']);
  if (values['event-timing'] === 'accept' || values['event-timing'] === 'completion')
    options.eventTiming = values['event-timing'];

  const sandbox = await startSandbox(options);
  process.stdout.write(
    `${JSON.stringify({ url: sandbox.url, caCertPath: sandbox.caCertPath, adminUrl: `${sandbox.url}/_sandbox/` })}\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sandbox.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
