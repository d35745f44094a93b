import { type LocalInfo, localInfoPath, readLocalInfo, removeLocalInfo } from '../../cli/local-info.js';

/** Another local mode is serving from the same state folder (Azurite's data cannot be shared). */
export class AlreadyRunningError extends Error {
  constructor(dir: string, info: LocalInfo) {
    super(
      `local mode is already running from this folder (${info.logPageUrl.replace(/\?.*$/, '')}, see ${localInfoPath(dir)}): stop it first, or set DW_LOCAL_DIR to another folder`,
    );
    this.name = 'AlreadyRunningError';
  }
}

async function hostAnswers(info: LocalInfo): Promise<boolean> {
  try {
    const base = info.functionsBaseUrl.replace(/\/api\/?$/, '');
    const response = await fetch(`${base}/admin/host/status`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Before starting: a local.json whose host still answers means another `npm start` owns this
 * folder → refuse. A local.json nobody answers for is left from a killed run → remove it, so
 * clients never see dead ports while we start.
 */
export async function claimLocalDir(dir: string): Promise<void> {
  let info: LocalInfo | null;
  try {
    info = readLocalInfo(dir);
  } catch {
    info = null; // unreadable: certainly stale
  }
  if (info && (await hostAnswers(info))) throw new AlreadyRunningError(dir, info);
  removeLocalInfo(dir);
}
