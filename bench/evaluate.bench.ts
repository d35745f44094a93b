import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ACCOUNTS, buildEstate, evaluateEstate, NSGS, RULES, VAULTS, WORKSPACES } from './evaluate-estate.js';

/**
 * Evaluation throughput on the generated estate of bench/evaluate-estate.ts: 10,000 NSGs x 20
 * rules + 10,000 storage accounts, plus 1,000 Log Analytics workspaces and 1,000 key vaults (with
 * keys and diagnostic settings, so the cross-resource controls are judged, not skipped).
 * Measures normalise + index + evaluate, not generation or JSON parsing: each run gets a fresh
 * parsed copy, made (and the previous run's garbage collected) before its clock starts.
 * Goal (issue 17): the whole estate well under a second; the target is a median of <= 600 ms.
 */
export const name = 'evaluate';

const RUNS = 7;
const GOAL_MS = 600;

/** A full GC between runs, so one run's debris (and the copy made for the next) is not charged to the next. */
function collector(): () => void {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? (gc as () => void) : () => {};
}

function summary(ms: number[]): { min: number; median: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { min: sorted[0] ?? Number.NaN, median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN };
}

function timed(estate: unknown[], gc: () => void): { ms: number; findings: number; fails: number } {
  const copy = JSON.parse(JSON.stringify(estate)) as unknown[];
  gc();
  const start = process.hrtime.bigint();
  const result = evaluateEstate(copy);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, ...result };
}

export async function run(): Promise<void> {
  const estate = buildEstate();
  const gc = collector();
  evaluateEstate(JSON.parse(JSON.stringify(estate.full.slice(0, 1000))) as unknown[]); // warm up the JIT
  timed(estate.full, gc); // and once at full size, untimed

  // The two estates alternate (fresh copies each run: no cross-run caching), so a busy machine
  // slows both alike.
  const runs: number[] = [];
  const baseRuns: number[] = [];
  let result = { findings: 0, fails: 0 };
  for (let i = 0; i < RUNS; i++) {
    baseRuns.push(timed(estate.base, gc).ms);
    const full = timed(estate.full, gc);
    runs.push(full.ms);
    result = full;
  }
  const total = summary(runs);
  const base = summary(baseRuns);
  const resources = NSGS + ACCOUNTS + WORKSPACES + VAULTS;
  const rules = NSGS * RULES;
  const fmt = (ms: number) => ms.toFixed(0);
  console.log(
    `estate: ${NSGS} NSGs x ${RULES} rules (${rules} rules) + ${ACCOUNTS} storage accounts + ${WORKSPACES} workspaces + ${VAULTS} vaults (+ ${estate.keys} keys, ${estate.settings} diagnostic settings)`,
  );
  console.log(`findings: ${result.findings} (${result.fails} fail)`);
  console.log(
    `total (normalise + index + evaluate): min ${fmt(total.min)} ms, median ${fmt(total.median)} ms; runs ${runs.map(fmt).join(' / ')} ms`,
  );
  console.log(
    `of which storage + NSGs alone: min ${fmt(base.min)} ms, median ${fmt(base.median)} ms; the workspaces, vaults, keys and settings add ${fmt(total.median - base.median)} ms (medians)`,
  );
  console.log(`rules/s: ${Math.round(rules / (total.median / 1000)).toLocaleString('en-US')} (median)`);
  console.log(
    `resources/s: ${Math.round(resources / (total.median / 1000)).toLocaleString('en-US')} (median)`,
  );
  console.log(
    `goal (median <= ${GOAL_MS} ms, issue 17: well under a second): ${total.median <= GOAL_MS ? 'met' : 'NOT met'}; load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
}
