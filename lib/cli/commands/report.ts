import { resolve } from 'node:path';
import { cliConfig, formatColumns } from '../../api/cli.js';
import { createApp } from '../../app/app.js';
import { isReportId } from '../../report/archive.js';
import { PeriodError, parsePeriod } from '../../report/period.js';
import { PeriodProgressReporter } from '../../report/progress.js';
import { jsonFormat, parseCommandArgs } from '../args.js';
import { type CliCommand, CliError, type CliIo, EXIT } from '../types.js';

const usage = `Usage: driftwarden report --from DATE --to DATE [--out DIR] [--no-store]
       driftwarden report list [--format table|json]
       driftwarden report get ID [--out DIR]

The auditor's evidence package for a period (dates YYYY-MM-DD, both inclusive, UTC): one
self-contained printable HTML page (inline SVG charts), CSV populations (remediations, failures,
exceptions, restores, sweeps/coverage) and report.json. It covers scope (subscriptions, controls
with their modes, the criteria map TSC -> control -> Azure Policy), the evidence verification of
the period's chains, monthly sweep coverage per subscription (a missing sweep is a finding),
every remediation with detected -> reverted time, failures and how each ended, exceptions and
restores with their approvers. The evidence is streamed chain by chain: memory stays bounded
whatever the period's size; progress goes to stderr.

The report is stored in the reports container (immutable; a re-generation becomes ID@revision),
as the monthly timer does for the previous month.

Options:
  --from DATE       first day of the period
  --to DATE         last day of the period
  --out DIR         also write the files to DIR
  --no-store        do not store the report in the reports container (needs --out)
  --format table|json   for list (default table)
  -h, --help        show this help

Exit status: 0 report without findings, 1 findings (coverage gaps, verification problems, failed
or open findings), 2 usage or configuration error.`;

async function list(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', args, {
    format: { type: 'string', default: 'table' },
  });
  if (positionals.length) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const json = jsonFormat(values.format);
  const service = await createApp(await cliConfig(io.env)).reports();
  const items = await service.deps.archive.list();
  if (json) io.stdout.write(`${JSON.stringify({ items }, null, 2)}\n`);
  else
    io.stdout.write(
      formatColumns(
        ['ID', 'KIND', 'CREATED', 'FILES'],
        items.map((item) => [item.id, item.kind, item.created, item.files.join(' ')]),
        io.stdout.isTTY ? io.stdout.columns : undefined,
        [0, 3],
      ),
    );
  return EXIT.ok;
}

async function get(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', args, { out: { type: 'string' } });
  const [id, ...rest] = positionals;
  if (!id) throw new CliError('report get needs an ID (see: driftwarden report list)');
  if (rest.length) throw new CliError(`unexpected argument ${JSON.stringify(rest[0])}`);
  if (!isReportId(id)) throw new CliError(`${JSON.stringify(id)} is not a report id (period-… or sweep-…)`);
  const dir = resolve(values.out ?? id);
  const service = await createApp(await cliConfig(io.env)).reports();
  const files = await service.deps.archive.download(id, dir);
  if (files.length === 0) throw new CliError(`no report ${id} (see: driftwarden report list)`, EXIT.findings);
  io.stdout.write(`${files.map((file) => `${dir}/${file}`).join('\n')}\n`);
  return EXIT.ok;
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'the auditor’s period report (HTML, CSV populations, JSON); report list / report get ID',
  usage,
  async run(args, io) {
    if (args[0] === 'list') return list(args.slice(1), io);
    if (args[0] === 'get') return get(args.slice(1), io);
    const { values, positionals } = parseCommandArgs('report', args, {
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      'no-store': { type: 'boolean' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length)
      throw new CliError(
        `unexpected argument ${JSON.stringify(positionals[0])}. See: driftwarden report --help`,
      );
    if (!values.from || !values.to)
      throw new CliError('--from and --to are required. See: driftwarden report --help');
    if (values['no-store'] && !values.out) throw new CliError('--no-store needs --out DIR');
    let period: ReturnType<typeof parsePeriod>;
    try {
      period = parsePeriod(values.from, values.to);
    } catch (error) {
      if (error instanceof PeriodError) throw new CliError(error.message);
      throw error;
    }
    const service = await createApp(await cliConfig(io.env), { log: () => {} }).reports();
    const progress = new PeriodProgressReporter(io.stderr);
    const { report, storedAs } = await service.generate(period, {
      ...(values.out ? { dir: resolve(values.out) } : {}),
      store: !values['no-store'],
      onProgress: (p) => progress.update(p),
    });
    progress.finish();
    const t = report.totals;
    io.stdout.write(
      [
        `report ${report.id}: ${report.period.from} to ${report.period.to}`,
        `  ${t.records} records: ${t.remediated} remediated, ${t.audit} open (audit), ${t.failed} remediation failed, ${t.exempt} exempt, ${t.restored} restored`,
        `  verification: ${report.verification.ok ? 'chains intact' : 'PROBLEMS'} (${report.verification.records} records in ${report.verification.chains} chains)`,
        `  coverage: ${report.coverage.filter((c) => c.status === 'swept').length} of ${report.coverage.length} subscription-months swept, ${report.coverage.filter((c) => c.status === 'gap').length} gap(s)`,
        ...report.findings.map((f) => `  finding (${f.severity}): ${f.detail}`),
        ...(values.out
          ? [`  files: ${resolve(values.out)}/{${report.files.map((f) => f.file).join(',')}}`]
          : []),
        ...(storedAs ? [`  stored as ${storedAs} (driftwarden report get ${storedAs})`] : []),
        '',
      ].join('\n'),
    );
    return report.findings.length > 0 ? EXIT.findings : EXIT.ok;
  },
};
