// `npm start`: the whole loop on a laptop, no Azure account (ARCHITECTURE.md "Contracts": local
// mode and the ARM sandbox). Composition only; the parts live next to this file.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { localDir } from '../../cli/local-info.js';
import { toError } from '../../util/errors.js';
import { loadOrCreateCertificate } from '../arm-sandbox/tls.js';
import { banner } from './banner.js';
import { type LocalMode, startLocalMode } from './local-mode.js';
import { localLog } from './log-filter.js';
import { portSetting } from './ports.js';
import { isTrustingChild, onLauncherGone, relaunchTrusting, releaseLauncher } from './trust.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const fail = (message: string) => process.stderr.write(`driftwarden local: ${message}\n`);

/** Epoch ms when `npm start` began (passed to the relaunched child, so "ready in" covers both). */
const STARTED_AT = 'DW_LOCAL_STARTED_AT';

async function launcher(dir: string): Promise<number> {
  // The certificate must exist before the child starts: it is what the child is told to trust.
  const { certPath } = await loadOrCreateCertificate(join(dir, 'sandbox'));
  return relaunchTrusting(certPath, dir, { [STARTED_AT]: String(Date.now()) });
}

async function serve(dir: string): Promise<number> {
  const startedAt = Number(process.env[STARTED_AT]) || Date.now() - performance.now();
  let local: LocalMode | null = null;
  let stopping = false;
  let release: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    release = resolve;
  });
  // One stop however many signals arrive (the terminal and the launcher may both send one).
  const aborter = new AbortController();
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    aborter.abort();
    release();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  onLauncherGone(onSignal);

  try {
    local = await startLocalMode({
      dir,
      hostPort: portSetting(process.env, 'DW_LOCAL_PORT', 7071),
      sandboxPort: portSetting(process.env, 'DW_SANDBOX_PORT', 0),
      env: { ...process.env },
      log: localLog(say, Boolean(process.env.DW_LOCAL_VERBOSE)),
      signal: aborter.signal,
    });
  } catch (error) {
    fail(toError(error).message); // PortBusyError / AlreadyRunningError messages are the one line to show
    return 1;
  }
  if (!stopping) say(banner(local, Date.now() - startedAt));
  await stopped;
  say('stopping…');
  await local.stop();
  say('stopped.');
  return 0;
}

async function main(): Promise<number> {
  const dir = localDir();
  return isTrustingChild() ? serve(dir) : launcher(dir);
}

main().then(
  (code) => {
    process.exitCode = code;
    releaseLauncher();
    // Nothing should be left, but a stray SDK keep-alive socket must not keep a stopped mode alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error: unknown) => {
    fail(toError(error).message);
    process.exit(1);
  },
);
