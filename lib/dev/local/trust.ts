import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

/** Set in the relaunched process so it does not relaunch again. */
const CHILD_MARKER = 'DW_LOCAL_TRUSTING_SANDBOX';

/**
 * The app's ARM clients are built from configuration alone (DefaultAzureCredential + DW_ARM_ENDPOINT),
 * exactly as in Azure, so they cannot be handed the sandbox's https.Agent. Node reads extra trusted
 * CAs only at process start (NODE_EXTRA_CA_CERTS), so local mode runs itself again as a child with
 * the sandbox certificate trusted. A developer's own NODE_EXTRA_CA_CERTS (e.g. a corporate proxy
 * CA) is kept by bundling it with ours.
 */
export function isTrustingChild(env: Record<string, string | undefined> = process.env): boolean {
  return env[CHILD_MARKER] === '1';
}

/**
 * The NODE_EXTRA_CA_CERTS value that trusts the sandbox CA as well as `existing` (a developer's
 * own, e.g. a corporate proxy CA), bundled in `<dir>/ca-bundle.pem`. Also used by
 * `driftwarden sandbox env`; a file that already holds the sandbox CA is returned as is.
 */
export function caBundle(caCertPath: string, dir: string, existing: string | undefined): string {
  if (!existing || existing === caCertPath) return caCertPath;
  let theirs: string;
  try {
    theirs = readFileSync(existing, 'utf8');
  } catch {
    return caCertPath; // Node would only warn about an unreadable file; do not fail the start for it
  }
  const ours = readFileSync(caCertPath, 'utf8').trim();
  if (theirs.includes(ours)) return existing;
  const bundle = join(dir, 'ca-bundle.pem');
  writeFileSync(bundle, `${theirs.trim()}\n${ours}\n`);
  return bundle;
}

/**
 * Runs this same script (same node flags, e.g. tsx's loader) in a child that trusts `caCertPath`,
 * and resolves with the child's exit code once it has stopped everything.
 *
 * The child gets its own process group, so Ctrl-C in the terminal reaches only us and we pass ONE
 * signal on. Otherwise Azurite (the child's child) would get the terminal's SIGINT and, moments
 * later, the orderly SIGTERM from the shutdown; two shutdowns in a row make it lose unsaved table
 * data. An IPC channel lets the child stop cleanly if we die without forwarding anything.
 */
export function relaunchTrusting(
  caCertPath: string,
  dir: string,
  extraEnv: Record<string, string> = {},
): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: {
      ...process.env,
      ...extraEnv,
      NODE_EXTRA_CA_CERTS: caBundle(caCertPath, dir, process.env.NODE_EXTRA_CA_CERTS),
      [CHILD_MARKER]: '1',
    },
  });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`driftwarden local: cannot start: ${error.message}\n`);
      resolve(1);
    });
    // The handlers stay: a late relayed signal (tsx's CLI forwards the terminal's SIGINT too) must
    // not find this process without a handler and kill it with 130 after a clean stop.
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** In the child: treat the launcher going away (killed, crashed) like a stop request. */
export function onLauncherGone(stop: () => void): void {
  process.once('disconnect', stop);
}

/** In the child, when done: close the IPC channel so it does not keep the process alive. */
export function releaseLauncher(): void {
  if (process.connected) process.disconnect();
}
