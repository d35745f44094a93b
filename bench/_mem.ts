import { startAzurite } from '../lib/dev/local/azurite.js';
import { ESTATES, sweepOnce } from './sweep.bench.ts';
const az = await startAzurite();
const estate = ESTATES[1]!;
const before = process.memoryUsage();
const f = await sweepOnce(az, estate, 'memory');
console.log('memory evidence 10k+10k', f.wallS.toFixed(1), 's; peak rss', f.peakRssMiB.toFixed(0), 'growth', f.rssGrowthMiB.toFixed(0), 'heapUsed now', (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0), 'before', (before.rss / 2 ** 20).toFixed(0));
await az.stop();
