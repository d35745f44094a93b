import { readFileSync } from 'node:fs';

/**
 * Where this repository's package.json is, relative to the running module: two levels up from
 * the sources (lib/util/) and from the functions bundle (dist/functions/index.js, also in the
 * deployment zip), one level up from the CLI bundle (dist/cli.js). The name check skips a
 * package.json that belongs to whatever directory holds the repository.
 */
const CANDIDATES = ['../../package.json', '../package.json'];

/** driftwarden's package.json version, or `unknown` when none is found. */
export function packageVersion(): string {
  for (const path of CANDIDATES) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'driftwarden' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}
