import { cliConfig } from '../../api/cli.js';
import { createApp } from '../../app/app.js';
import { jsonFormat, parseCommandArgs } from '../args.js';
import { type CliCommand, CliError, EXIT } from '../types.js';

const usage = `Usage: driftwarden verify [--format table|json]

Recomputes the evidence hash chains and reports every edited, deleted or inserted record and
every broken link. Read-only.

Options:
  --format table|json   output (default table); json prints {"ok", "chains", "records", "problems"}
  -h, --help            show this help

Exit status: 0 every chain verifies, 1 evidence was tampered with, 2 usage or configuration error.

Settings: the Function app's (DW_STORAGE or DW_STORAGE__tableServiceUri, DW_EVIDENCE_TABLE).`;

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'recompute the evidence hash chains; exit 1 if any record was edited, deleted or inserted',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'verify',
      args,
      { format: { type: 'string', default: 'table' } },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const json = jsonFormat(values.format);
    const store = await createApp(await cliConfig(io.env)).evidence();
    const result = await store.verify();
    if (json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      for (const problem of result.problems) {
        const record = problem.recordId ? ` record ${problem.recordId}` : '';
        io.stdout.write(
          `${problem.kind.toUpperCase()}  chain ${problem.chainId} #${problem.sequence}${record}: ${problem.detail}\n`,
        );
      }
      io.stdout.write(
        result.ok
          ? `ok: ${result.records} records in ${result.chains} chains verify\n`
          : `BROKEN: ${result.problems.length} problem(s) in ${result.records} records, ${result.chains} chains\n`,
      );
    }
    return result.ok ? EXIT.ok : EXIT.findings;
  },
};
