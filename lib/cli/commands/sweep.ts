import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliConfig } from '../../api/cli.js';
import { createApp } from '../../app/app.js';
import { SETTINGS } from '../../config.js';
import type { ControlId } from '../../controls/types.js';
import { COUNT_KEYS } from '../../sweep/counts.js';
import { ProgressReporter } from '../../sweep/progress.js';
import { buildReport, REPORT_FORMATS, type ReportFormat } from '../../sweep/report.js';
import { monthSweepId, runSweep, validateSweepId } from '../../sweep/run.js';
import type { Counts, SweepResult } from '../../sweep/types.js';
import { toError } from '../../util/errors.js';
import { jsonFormat, parseCommandArgs } from '../args.js';
import { type CliCommand, CliError, EXIT } from '../types.js';

const usage = `Usage: driftwarden sweep [--subscription ID]... [--dry-run] [--format table|json] [--report DIR]

Runs the monthly validation sweep now, in this process (the same code the monthlySweep /
sweepSubscription functions run): lists every storage account and NSG of each subscription
(paged list calls, client-side ARM throttling), lists blob containers only where the account
allows public blob access, remediates drift per control mode through the remediation engine, and
records one evidence record per (resource, control), compliant ones included. Re-running the same
month adds no duplicate evidence.

Options:
  --subscription ID   subscription to sweep (repeatable; default: all of ${SETTINGS.subscriptions})
  --dry-run           evaluate and report only: no ARM writes, no evidence
  --format table|json summary on stdout (default table); json prints the full sweep result
  --report DIR        also write report.json, report.csv and report.html (printable) to DIR
                      (the report is stored in the reports container either way, unless --dry-run)
  --sweep-id ID       evidence/report id: a month YYYY-MM, optionally with a suffix
                      (2026-11-rerun); default: the current UTC month
  --concurrency N     resources decided at once per subscription (default 32)
  --verbose           engine log lines on stderr
  -h, --help          show this help

Progress goes to stderr (one updating line on a terminal, a line every 5 s otherwise).

Exit status: 0 all drift handled, 1 findings remain (audit mode, dry run, failed remediation) or
a subscription/resource could not be swept (a --subscription that is not in ${SETTINGS.subscriptions}
and has no resources counts as not found), 2 usage or configuration error.

Settings: the Function app's (${SETTINGS.storageConnection} or ${SETTINGS.tableServiceUri}, ${SETTINGS.evidenceTable},
${SETTINGS.armEndpoint}, ${SETTINGS.modes}, ${SETTINGS.auditOnly}, ...).`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What the help promises: a month, optionally with a suffix (reports and evidence keys carry it). */
const CLI_SWEEP_ID = /^\d{4}-(0[1-9]|1[0-2])(?:[._-][A-Za-z0-9._-]{1,50})?$/;

/**
 * Subscriptions that yielded nothing and that nobody configured: most likely a mistyped id, or one
 * the identity cannot see. ARM lists an inaccessible subscription as empty in some set-ups, so an
 * empty result alone must not read as "ok".
 */
function unknownSubscriptions(result: SweepResult, configured: readonly string[]): string[] {
  const known = new Set(configured.map((id) => id.toLowerCase()));
  return result.subscriptions
    .filter((s) => s.status === 'ok' && s.resources === 0 && !known.has(s.subscriptionId.toLowerCase()))
    .map((s) => s.subscriptionId);
}

function countsTable(title: string, rows: [string, Counts][]): string {
  const header = [title, ...COUNT_KEYS];
  const body = rows.map(([name, counts]) => [name, ...COUNT_KEYS.map((key) => String(counts[key]))]);
  const widths = header.map((cell, index) =>
    Math.max(cell.length, ...body.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, index) =>
        index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
      )
      .join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

function renderSummary(result: SweepResult): string {
  const controls = (Object.entries(result.byControl) as [ControlId, Counts][]).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  const subscriptions = result.subscriptions.map((s): [string, Counts] => [
    `${s.subscriptionId} ${s.status}`,
    s.counts,
  ]);
  const lines = [
    countsTable('control', [...controls, ['TOTAL' as ControlId, result.totals]]),
    '',
    countsTable('subscription', subscriptions),
  ];
  const errors = result.subscriptions.flatMap((s) => s.errors);
  if (errors.length > 0) {
    // One line per distinct error (a credential failure hits the storage and the network listing alike).
    const distinct = new Map<string, number>();
    for (const error of errors) {
      const message = error.message.replace(/\s*\n\s*/g, ' ');
      const line = `  ${error.subscriptionId} ${error.resourceId ?? '(whole subscription)'}: ${message}`;
      distinct.set(line, (distinct.get(line) ?? 0) + 1);
    }
    lines.push('', `errors (${errors.length}):`);
    const shown = [...distinct].slice(0, 50);
    for (const [line, count] of shown) lines.push(count > 1 ? `${line} (×${count})` : line);
    if (distinct.size > 50) lines.push(`  ... and ${distinct.size - 50} more (--format json lists all)`);
  }
  const open = result.subscriptions
    .flatMap((s) => s.items)
    .filter((i) => i.outcome === 'remediation-failed' || i.outcome === 'audit-only');
  if (open.length > 0) {
    lines.push('', `open findings (${open.length}):`);
    for (const item of open.slice(0, 50)) {
      lines.push(
        `  ${item.controlId ?? '-'} ${item.resourceId}${item.ruleName ? ` rule ${item.ruleName}` : ''}: ${item.action}`,
      );
    }
    if (open.length > 50) lines.push(`  ... and ${open.length - 50} more`);
  }
  return `${lines.join('\n')}\n`;
}

export const sweepCommand: CliCommand = {
  name: 'sweep',
  summary: 'run the validation sweep now: evaluate every storage account and NSG, remediate drift, report',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'sweep',
      args,
      {
        subscription: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        format: { type: 'string', default: 'table' },
        report: { type: 'string' },
        'sweep-id': { type: 'string' },
        concurrency: { type: 'string' },
        verbose: { type: 'boolean' },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length > 0)
      throw new CliError(
        `unexpected argument ${JSON.stringify(positionals[0])}. See: driftwarden sweep --help`,
      );
    const json = jsonFormat(values.format);
    for (const id of values.subscription ?? []) {
      if (!GUID.test(id))
        throw new CliError(`--subscription ${JSON.stringify(id)} is not a subscription id (GUID)`);
    }
    const concurrency = values.concurrency === undefined ? 32 : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
      throw new CliError('--concurrency must be a whole number from 1 to 256');
    if (values['sweep-id'] !== undefined && !CLI_SWEEP_ID.test(values['sweep-id']))
      throw new CliError(
        `--sweep-id ${JSON.stringify(values['sweep-id'].slice(0, 64))} is not a month: use YYYY-MM, e.g. ${monthSweepId(new Date())} (optionally with a suffix: ${monthSweepId(new Date())}-rerun)`,
      );
    let sweepId: string;
    try {
      sweepId = validateSweepId(values['sweep-id'] ?? monthSweepId(new Date()));
    } catch (error) {
      throw new CliError(toError(error).message);
    }

    const config = await cliConfig(io.env);
    const subscriptions = values.subscription?.length ? values.subscription : config.subscriptions;
    if (subscriptions.length === 0) {
      throw new CliError(`no subscriptions: pass --subscription ID or set ${SETTINGS.subscriptions}`);
    }
    const dryRun = values['dry-run'] ?? false;
    const runtime = await createApp(config, {
      log: values.verbose ? (line) => io.stderr.write(`${line}\n`) : () => {},
    }).sweep();
    const progress = new ProgressReporter(io.stderr, subscriptions.length);
    const result = await runSweep({
      subscriptions,
      sweepId,
      dryRun,
      concurrency,
      deps: runtime,
      onProgress: (p) => progress.update(p),
    });
    progress.finish();
    if (!dryRun) await runtime.publishDigest?.(); // the end of every sweep is anchored

    // Like the timer's fan-out: the report goes to the reports container (not for a dry run, which
    // records nothing), and to --report DIR as well.
    if (values.report || !dryRun) {
      const [exceptions, verification] = await Promise.all([
        runtime.exceptions.list(),
        (runtime.verifyMonth ? runtime.verifyMonth(sweepId) : runtime.evidence.verify()).catch(
          (error: unknown) => ({ ok: false as const, error: toError(error).message }),
        ),
      ]);
      const report = buildReport({
        sweepId,
        generatedAt: new Date(),
        dryRun,
        expectedSubscriptions: subscriptions,
        parts: result.subscriptions,
        exceptions,
        verification,
      });
      if (!dryRun) {
        const stored = await runtime.reports.saveReport(report);
        io.stderr.write(
          `report stored in the reports container as ${stored.revision ? `sweep-${sweepId}@${stored.revision}` : `sweep-${sweepId}`} (driftwarden report list)\n`,
        );
      }
      if (values.report) {
        await mkdir(values.report, { recursive: true });
        for (const format of Object.keys(REPORT_FORMATS) as ReportFormat[]) {
          await writeFile(join(values.report, `report.${format}`), REPORT_FORMATS[format].render(report));
        }
        io.stderr.write(`report written to ${join(values.report, 'report.{json,csv,html}')}\n`);
      }
    }

    if (json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout.write(renderSummary(result));
    const t = result.totals;
    const unknown = unknownSubscriptions(result, config.subscriptions);
    for (const id of unknown)
      io.stderr.write(
        `sweep: subscription ${id} not found: no resources, and it is not in ${SETTINGS.subscriptions} (check the id, and that the identity can read it)\n`,
      );
    const errors = result.subscriptions.reduce((n, s) => n + s.errors.length, 0) + unknown.length;
    io.stderr.write(
      `sweep ${sweepId}${dryRun ? ' (dry run)' : ''}: ${t.evaluated} evaluated, ${t.pass} pass, ${t.remediated} remediated, ` +
        `${t.audit} open, ${t.failed} remediation failed, ${t.exempt} exempt, ${errors} error(s)\n`,
    );
    return t.audit + t.failed + errors > 0 ? EXIT.findings : EXIT.ok;
  },
};
