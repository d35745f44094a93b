import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDevPrincipal } from '../../api/auth.js';
import {
  type LocalInfo,
  removeLocalInfo,
  writeLocalAnchor,
  writeLocalIdentity,
  writeLocalInfo,
} from '../../cli/local-info.js';
import { SETTINGS } from '../../config.js';
import type { FunctionDefinition } from '../../host/registration.js';
import { toError } from '../../util/errors.js';
import { type Sandbox, startSandbox } from '../arm-sandbox/index.js';
import { startKeyVaultStandIn } from '../key-vault/server.js';
import { claimLocalDir } from './already-running.js';
import { appEnvironment, applyEnvironment, LOCAL_DEV_PRINCIPAL, LOCAL_IDENTITY } from './app-environment.js';
import { type AzuriteHandle, startAzurite } from './azurite.js';
import { DEMO_SUBSCRIPTION_ID, demoScenario } from './demo-scenario.js';
import { readOrCreateFunctionKey } from './function-key.js';
import { type FunctionHost, startFunctionHost } from './host.js';
import { type IdentityEndpoint, startIdentityEndpoint } from './identity-endpoint.js';
import { withoutRuntimeWarnings } from './log-filter.js';
import { assertPortFree } from './ports.js';
import { personClaims } from './sandbox-clients.js';
import { LocalSignIn } from './signin.js';
import { runSweepNow, type SweepNowResult } from './sweep-now.js';

export interface LocalModeOptions {
  /** state folder (Azurite data, sandbox certificate, local.json) */
  dir: string;
  /** function host port (7071 by default, 0 = free) and the setting that changes it */
  hostPort: number;
  /** ARM sandbox port (0 = free) */
  sandboxPort: number;
  /** progress and host log lines */
  log: (line: string) => void;
  /** app settings the developer set themselves win over local defaults */
  env: Record<string, string | undefined>;
  /** aborts waiting for the start-up sweep (Ctrl-C while starting) */
  signal?: AbortSignal;
}

export interface LocalMode {
  info: LocalInfo;
  /** one-time sign-in URL for the log page (printed by the banner; opening it sets the session cookie) */
  loginUrl: string;
  /** makes another one-time sign-in URL */
  newLoginUrl(): string;
  localJsonPath: string;
  sweep: SweepNowResult;
  /** milliseconds per start phase, for the banner and benchmarks */
  phases: Record<string, number>;
  stop(): Promise<void>;
}

/** Stops what was started, newest first; never throws (a failed stop must not hide the others). */
async function stopAll(stoppers: Array<() => Promise<void>>, log: (line: string) => void): Promise<void> {
  for (const stop of stoppers.reverse()) {
    try {
      await stop();
    } catch (thrown) {
      log(`stop: ${toError(thrown).message}`);
    }
  }
}

/**
 * Starts Azurite, the ARM sandbox (demo subscription), a managed-identity stand-in and the local
 * function host serving functions/index.ts; wires the sandbox's Event Grid webhook to the host;
 * runs one sweep so the seeded drift is remediated; writes local.json. On any failure, everything
 * already started is stopped before the error propagates.
 */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const { dir, log } = options;
  const phases: Record<string, number> = {};
  const stoppers: Array<() => Promise<void>> = [];
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await run();
    phases[name] = Math.round(performance.now() - started);
    return value;
  };

  await claimLocalDir(dir);
  try {
    // Before anything starts: a busy fixed port leaves nothing behind.
    await assertPortFree(options.hostPort, 'DW_LOCAL_PORT', 'function host');
    await assertPortFree(options.sandboxPort, 'DW_SANDBOX_PORT', 'ARM sandbox');

    log('starting Azurite (tables, blobs, queues)…');
    const azurite: AzuriteHandle = await phase('azurite', () =>
      startAzurite({ location: join(dir, 'azurite') }),
    );
    stoppers.push(() => azurite.stop());

    log('starting the ARM sandbox (demo healthcare subscription)…');
    const sandbox: Sandbox = await phase('sandbox', () =>
      startSandbox({ port: options.sandboxPort, certDir: join(dir, 'sandbox'), scenario: demoScenario() }),
    );
    stoppers.push(() => sandbox.stop());

    // Key Vault keys stand-in for the digest signer, on the sandbox's certificate (one CA trust).
    const keyVault = await startKeyVaultStandIn({ certDir: join(dir, 'sandbox') });
    stoppers.push(() => keyVault.stop());

    // the person the HTTP API acts as, and whom the CLI signs in as under `sandbox env`
    const devPrincipal = parseDevPrincipal(options.env[SETTINGS.devPrincipal]?.trim() || LOCAL_DEV_PRINCIPAL);
    const person = { ...personClaims(devPrincipal.name), oid: devPrincipal.objectId };
    const identity: IdentityEndpoint = await startIdentityEndpoint(LOCAL_IDENTITY, [
      { clientId: devPrincipal.objectId, claims: person },
    ]);
    stoppers.push(() => identity.stop());

    // The app reads its settings from process.env (as in Azure), so set them before its modules load.
    const settings = appEnvironment({
      env: options.env,
      storageConnectionString: azurite.connectionString,
      armEndpoint: sandbox.url,
      identity,
      signingKeyId: `${keyVault.url}/keys/driftwarden-digest`,
    });
    applyEnvironment(process.env, settings);

    log('loading functions/index.ts…');
    const functions = await phase('import', async () => {
      await withoutRuntimeWarnings(() => import('../../../functions/index.js'));
      const registration = await import('../../host/registration.js');
      return registration.registeredFunctions();
    });

    const functionKey = readOrCreateFunctionKey(dir); // stable across restarts: open tabs keep working
    const signIn = new LocalSignIn();
    const host: FunctionHost = await phase('host', () =>
      startFunctionHost({
        signIn,
        port: options.hostPort,
        functions,
        functionKey,
        queueConnectionString: azurite.connectionString,
        settings: process.env,
        log,
        queuePolling: { minPollMs: 100, maxPollMs: 1000 },
      }),
    );
    stoppers.push(() => host.stop());

    await phase('webhook', () => connectWebhook(sandbox, host, functions, log));

    log('running the validation sweep over the demo subscription…');
    const sweep = await phase('sweep', () =>
      runSweepNow({
        functions,
        connectionString: azurite.connectionString,
        queueName: settings.DW_SWEEP_QUEUE ?? 'driftwarden-sweep',
        reportsContainer: settings.DW_REPORTS_CONTAINER ?? 'driftwarden-reports',
        subscriptions: [DEMO_SUBSCRIPTION_ID],
        log,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );

    // Start-up validation of the identity controls (the demo tenant, through the sandbox's Graph):
    // the same timer function Azure runs daily. A failure is reported, never stops local mode.
    log('validating the demo tenant’s identity governance (Microsoft Graph)…');
    await phase('identity', () =>
      host.runNow('identityValidation').catch((thrown: unknown) => {
        log(`identity validation failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
      }),
    );

    const info: LocalInfo = {
      armEndpoint: sandbox.url,
      caCertPath: sandbox.caCertPath,
      subscriptionId: DEMO_SUBSCRIPTION_ID,
      functionsBaseUrl: host.functionsBaseUrl,
      functionKey,
      // never a key in the page URL: the banner's one-time sign-in URL sets a session cookie
      logPageUrl: `${host.functionsBaseUrl}/ui`,
      tableEndpoint: azurite.tableEndpoint,
      tableConnectionString: azurite.connectionString,
      devPrincipal: { objectId: devPrincipal.objectId, upn: devPrincipal.name },
    };
    writeLocalIdentity(dir, { endpoint: identity.endpoint, header: identity.header });
    writeLocalAnchor(dir, {
      signingKeyId: settings[SETTINGS.signingKeyId] ?? '',
      digestIntervalSeconds: Number(settings[SETTINGS.digestInterval] ?? 10),
    });
    const localJsonPath = writeLocalInfo(dir, info);
    stoppers.push(async () => removeLocalInfo(dir));

    let stopping: Promise<void> | null = null;
    return {
      info,
      loginUrl: signIn.loginUrl(host.baseUrl),
      newLoginUrl: () => signIn.loginUrl(host.baseUrl),
      localJsonPath,
      sweep,
      phases,
      stop: () => {
        stopping ??= stopAll(stoppers, log);
        return stopping;
      },
    };
  } catch (error) {
    await stopAll(stoppers, log);
    throw error;
  }
}

/** Points the sandbox's Event Grid deliveries at onResourceChange (the host answers the validation handshake). */
async function connectWebhook(
  sandbox: Sandbox,
  host: FunctionHost,
  functions: readonly FunctionDefinition[],
  log: (line: string) => void,
): Promise<void> {
  const receiver = functions.find((definition) => definition.kind === 'eventGrid');
  if (!receiver) {
    log(
      'warning: no Event Grid function is registered; changes in the sandbox will not be remediated by events',
    );
    return;
  }
  // Quick retries: locally a failed delivery is a bug to see now, not an outage to ride out.
  await sandbox.setWebhook({
    url: host.eventGridWebhookUrl(receiver.name),
    retryBaseMs: 500,
    maxAttempts: 5,
  });
}
