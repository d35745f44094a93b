import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

function caBundle(caCertPath: string, dir: string, existing: string | undefined): string {
  if (!existing || existing === caCertPath) return caCertPath;
  let theirs: string;
  try {
    theirs = readFileSync(existing, 'utf8');
  } catch {
    return caCertPath; // Node would only warn about an unreadable file; do not fail the start for it
  }
  const bundle = join(dir, 'ca-bundle.pem');
  writeFileSync(bundle, `${theirs.trim()}\n${readFileSync(caCertPath, 'utf8').trim()}\n`);
  return bundle;
}

/**
 * Runs this same script (same node flags, e.g. tsx's loader) in a child that trusts `caCertPath`,
 * forwards SIGINT/SIGTERM, and resolves with the child's exit code.
 */
export function relaunchTrusting(
  caCertPath: string,
  dir: string,
  extraEnv: Record<string, string> = {},
): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...extraEnv,
      NODE_EXTRA_CA_CERTS: caBundle(caCertPath, dir, process.env.NODE_EXTRA_CA_CERTS),
      [CHILD_MARKER]: '1',
    },
  });
  // Ctrl-C in a terminal reaches the child too (same process group); when only we are signalled
  // (npm, a test, a supervisor), pass it on. The child treats repeats as one.
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`driftwarden local: cannot start: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}
