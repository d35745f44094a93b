import { asCli, cliConfig, defaultActor } from '../../api/cli.js';
import { restoreRecord } from '../../api/remediations.js';
import { createApp } from '../../app/app.js';
import { jsonFormat, parseCommandArgs, requireOptions } from '../args.js';
import { type CliCommand, CliError, EXIT } from '../types.js';

const usage = `Usage: driftwarden restore RECORD_ID --justification TEXT --ticket REF --expires DATE|30d
                           [--approver NAME] [--format table|json]

Undoes one remediation (same path as POST /api/remediations/{id}/restore): records an exception
for the control and resource, puts the resource back to the record's "before" state through ARM
(ETag-guarded), and appends a "restored" evidence record naming the approver. Only records with
outcome "remediated" can be restored, once: restoring an already restored record is refused
(exit 2) and names the restore and exception in force. Find record ids with: driftwarden log

Options:
  --justification TEXT  business justification (at least 10 characters)
  --ticket REF          change or incident ticket
  --expires DATE|Nd|Nh  when the exception ends (ISO 8601, or relative e.g. 30d); at most
                        DW_EXCEPTION_MAX_DAYS (default 90) days ahead
  --approver NAME       recorded as the approver (default: $USER, else the OS account)
  --format table|json   output (default table)
  -h, --help            show this help`;

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'restore a remediated resource with a justified, expiring exception',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'restore',
      args,
      {
        justification: { type: 'string' },
        ticket: { type: 'string' },
        expires: { type: 'string' },
        approver: { type: 'string' },
        format: { type: 'string', default: 'table' },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const [id, ...extra] = positionals;
    if (!id || extra.length)
      throw new CliError('expected exactly one record id. See: driftwarden restore --help');
    const json = jsonFormat(values.format);
    requireOptions(values, ['justification', 'ticket', 'expires']);
    const approver = defaultActor(values.approver, io.env);
    if (!approver) throw new CliError('--approver is required (no $USER or OS account name to default to)');
    const deps = await createApp(await cliConfig(io.env)).api();
    const body = { justification: values.justification, ticket: values.ticket, expiresOn: values.expires };
    const result = await asCli(() => restoreRecord(deps, id, body, approver));
    io.stdout.write(
      json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `restored ${result.record.resourceId}\n  exception ${result.exception.id} (${result.exception.controlId}) expires ${result.exception.expiresOn}\n  evidence record ${result.record.id}\n`,
    );
    return EXIT.ok;
  },
};
