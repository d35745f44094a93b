import { asCli, cliConfig } from '../../api/cli.js';
import { type RestoreResponse, restoreRecord } from '../../api/remediations.js';
import { createApp } from '../../app/app.js';
import { jsonFormat, parseCommandArgs, requireOptions } from '../args.js';
import { cliCredential, signedInIdentity } from '../signed-in.js';
import { type CliCommand, CliError, EXIT } from '../types.js';

const usage = `Usage: driftwarden restore RECORD_ID --justification TEXT --ticket REF --expires DATE|30d
                           [--justify CONTROL=TEXT]... [--format table|json]

Undoes one remediation (same path as POST /api/remediations/{id}/restore): re-evaluates the state it
would put back against every control, records an exception for the record's control (and one per
other control that state would fail, each with its own --justify), puts the resource back to the
record's "before" state through ARM (ETag-guarded), and appends a "restored" evidence record naming
you. Only records with outcome "remediated" can be restored, once: restoring an already restored
record is refused (exit 2) and names the restore and exception in force. Find record ids with:
driftwarden log

You are the approver: the identity you are signed in with (az login, or local mode's dev principal),
never a name you type. You cannot restore a change you made yourself. For two-step controls
(DW_TWO_STEP_CONTROLS, default NSG-MGMT-PORT) this stores the request; another approver completes
it with: driftwarden exceptions approve EXCEPTION_ID

Options:
  --justification TEXT  business justification (at least 10 characters)
  --ticket REF          change or incident ticket
  --expires DATE|Nd|Nh  when the exception ends (ISO 8601, or relative e.g. 30d); at most
                        DW_EXCEPTION_MAX_DAYS (default 90) days ahead
  --justify CONTROL=TEXT  justification for another control the restored state would fail
                        (repeatable; the command names them when they are needed)
  --format table|json   output (default table)
  -h, --help            show this help`;

/** `--approver` / `--by` named whoever the caller typed; refuse them loudly rather than ignore them. */
export function refuseTypedIdentity(args: string[], command: string): void {
  const typed = args.find((arg) => /^--(approver|by)(=|$)/.test(arg));
  if (typed)
    throw new CliError(
      `${typed.split('=')[0]} is no longer accepted: the approver is the identity you are signed in with. See: driftwarden ${command} --help`,
    );
}

function justifications(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0)
      throw new CliError(
        '--justify wants CONTROL=TEXT, e.g. --justify "NSG-MGMT-PORT=Vendor SSH, supervised"',
      );
    out[value.slice(0, at).trim()] = value.slice(at + 1);
  }
  return out;
}

export function describeRestore(result: RestoreResponse): string {
  if (result.status === 'pending-approval') {
    const ids = result.exceptions.map((e) => `  requested ${e.id} (${e.controlId})`).join('\n');
    return `restore requested; another approver must approve it:\n${ids}\n  driftwarden exceptions approve ${result.exceptions[0]?.id ?? 'ID'}\n`;
  }
  const more = result.exceptions
    .slice(1)
    .map((e) => `\n  exception ${e.id} (${e.controlId}) expires ${e.expiresOn}`)
    .join('');
  return `restored ${result.record.resourceId}\n  exception ${result.exception.id} (${result.exception.controlId}) expires ${result.exception.expiresOn}${more}\n  evidence record ${result.record.id}\n`;
}

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'restore a remediated resource with a justified, expiring exception',
  usage,
  async run(args, io) {
    refuseTypedIdentity(args, 'restore');
    const { values, positionals } = parseCommandArgs(
      'restore',
      args,
      {
        justification: { type: 'string' },
        ticket: { type: 'string' },
        expires: { type: 'string' },
        justify: { type: 'string', multiple: true },
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
    const config = await cliConfig(io.env);
    const credential = cliCredential(io);
    const deps = await createApp(config, { credential }).api();
    const body = {
      justification: values.justification,
      ticket: values.ticket,
      expiresOn: values.expires,
      ...(values.justify ? { justifications: justifications(values.justify) } : {}),
    };
    const result = await asCli(() => restoreRecord(deps, id, body, () => signedInIdentity(credential)));
    io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : describeRestore(result));
    return EXIT.ok;
  },
};
