import { cliConfig, formatColumns } from '../../api/cli.js';
import { createApp } from '../../app/app.js';
import { PeriodError, parsePeriod } from '../../report/period.js';
import {
  MAX_SAMPLE_SIZE,
  SAMPLE_POPULATIONS,
  type Sample,
  type SamplePopulation,
} from '../../report/sample.js';
import { jsonFormat, parseCommandArgs } from '../args.js';
import { type CliCommand, CliError, EXIT } from '../types.js';

const usage = `Usage: driftwarden audit sample --from DATE --to DATE --population NAME --size N --seed S [--format json|table]

Draws a reproducible sample from a population of the period (dates YYYY-MM-DD, inclusive, UTC):
each item gets the key SHA-256(seed + NUL + id) and the N items with the smallest keys are the
sample, so the same seed over the same population always picks the same items. Each item comes
with its full evidence record (before/after included) and what proves it: its chain, position
and hash (recomputed now), and the signed digest anchoring it once digests exist.

Populations: ${SAMPLE_POPULATIONS.join(', ')}
Options:
  --size N             items to draw (1-${MAX_SAMPLE_SIZE})
  --seed S             any text the auditor chooses (write it in the workpaper)
  --format json|table  output (default json: the auditor's evidence; table: an overview)
  -h, --help           show this help`;

function table(sample: Sample, columns?: number): string {
  const header = `population ${sample.population} ${sample.period.from}..${sample.period.to}: ${sample.items.length} of ${sample.populationSize} drawn with seed ${JSON.stringify(sample.seed)} (population digest ${sample.populationDigest})\n`;
  return (
    header +
    formatColumns(
      ['#', 'ID', 'TIME', 'CONTROL', 'OUTCOME', 'CHAIN#SEQ', 'HASH OK', 'ANCHOR', 'RESOURCE'],
      sample.items.map((item) => [
        String(item.rank),
        item.id,
        item.record?.time ?? item.exception?.approvedOn ?? '',
        item.record?.controlId ?? item.exception?.controlId ?? '-',
        item.record?.outcome ?? 'exception',
        item.proof ? `${item.proof.chainId}#${item.proof.sequence}` : '-',
        item.proof ? (item.proof.hashVerified ? 'yes' : 'NO') : '-',
        item.proof?.anchorStatus ?? '-',
        item.record?.resourceId ?? item.exception?.scope ?? '',
      ]),
      columns,
      [1],
    )
  );
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'audit sample: a reproducible sample of a period population, with the evidence of each item',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === '-h' || sub === '--help' || sub === undefined) {
      io.stdout.write(`${usage}\n`);
      return sub === undefined ? EXIT.usage : EXIT.ok;
    }
    if (sub !== 'sample')
      throw new CliError(`unknown audit subcommand ${JSON.stringify(sub)}. See: driftwarden audit --help`);
    const { values, positionals } = parseCommandArgs('audit', rest, {
      from: { type: 'string' },
      to: { type: 'string' },
      population: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      format: { type: 'string', default: 'json' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const json = jsonFormat(values.format);
    if (!values.from || !values.to || !values.population || !values.size || values.seed === undefined)
      throw new CliError(
        '--from, --to, --population, --size and --seed are required. See: driftwarden audit --help',
      );
    if (!(SAMPLE_POPULATIONS as readonly string[]).includes(values.population))
      throw new CliError(`--population must be one of ${SAMPLE_POPULATIONS.join(', ')}`);
    const size = Number(values.size);
    if (!Number.isInteger(size) || size < 1 || size > MAX_SAMPLE_SIZE)
      throw new CliError(`--size must be a whole number from 1 to ${MAX_SAMPLE_SIZE}`);
    if (values.seed.length === 0) throw new CliError('--seed must not be empty');
    let period: ReturnType<typeof parsePeriod>;
    try {
      period = parsePeriod(values.from, values.to);
    } catch (error) {
      if (error instanceof PeriodError) throw new CliError(error.message);
      throw error;
    }
    const service = await createApp(await cliConfig(io.env), { log: () => {} }).reports();
    const sample = await service.sample(period, values.population as SamplePopulation, size, values.seed);
    io.stdout.write(
      json
        ? `${JSON.stringify(sample, null, 2)}\n`
        : table(sample, io.stdout.isTTY ? io.stdout.columns : undefined),
    );
    return EXIT.ok;
  },
};
