/**
 * Imported first by the entry points (functions/index.ts, bin/cli.ts) for its effect.
 *
 * V8 lets a busy heap grow to ~4× its live set before collecting: a 10k + 10k sweep has a live
 * set of ~60 MiB but peaked above 270 MiB of RSS, nearly all of it garbage from the Table SDK's
 * batch serialisation. `--optimize-for-size` makes V8 collect earlier and keep a smaller heap
 * (the 2k + 2k sweep: peak RSS 304 → 163 MiB at the same wall time; `npm run bench -- sweep`).
 * Set at run time, so it needs no node arguments in the Function App's settings.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--optimize-for-size');
