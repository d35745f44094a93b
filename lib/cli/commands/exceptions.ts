import { asCli, cliConfig, formatColumns } from '../../api/cli.js';
import {
  addException,
  approveExceptionById,
  type ExceptionDeps,
  type ExceptionView,
  listExceptionViews,
  revokeExceptionById,
} from '../../api/exceptions.js';
import { createApp } from '../../app/app.js';
import { CONTROLS } from '../../controls/catalog.js';
import { systemClock } from '../../util/clock.js';
import { jsonFormat, parseCommandArgs, requireOptions } from '../args.js';
import { cliCredential, signedInIdentity } from '../signed-in.js';
import { type CliCommand, CliError, type CliIo, EXIT } from '../types.js';
import { describeRestore, refuseTypedIdentity } from './restore.js';

const usage = `Usage:
  driftwarden exceptions list [--status active|expired|revoked|requested] [--format table|json]
  driftwarden exceptions add --control ID --scope RESOURCE_ID [--rule NAME] --justification TEXT
                             --ticket REF --expires DATE|30d [--wide-scope] [--format table|json]
  driftwarden exceptions approve EXCEPTION_ID [--format table|json]
  driftwarden exceptions revoke EXCEPTION_ID [--reason TEXT] [--format table|json]

The exception registry (same validation and store as /api/exceptions). An exception exempts one
control on a resource, a resource group or a subscription (an ancestor covers what is below it),
optionally only one NSG rule, until it expires. Revoking records who and when; nothing is deleted.

You are the approver (add, approve) or revoker: the identity you are signed in with (az login, or
local mode's dev principal), never a name you type. You cannot exempt a change you made. For
two-step controls (DW_TWO_STEP_CONTROLS, default NSG-MGMT-PORT) "add" stores a request and
someone else completes it with "approve" (a request made by a restore also completes the restore).

Options:
  --expires DATE|Nd|Nh  ISO 8601 date (midnight UTC) or date-time, or relative (30d, 12h);
                        at most DW_EXCEPTION_MAX_DAYS (default 90) days ahead
  --status STATUS       list only active, expired or revoked exceptions
  --control ID          control id, e.g. STG-PUBLIC-BLOB (add)
  --scope RESOURCE_ID   resource id, resource group or subscription (add)
  --rule NAME           only this NSG security rule (add, NSG controls)
  --justification TEXT  business justification, at least 10 characters (add)
  --ticket REF          change or incident ticket (add)
  --reason TEXT         why it is revoked, recorded with the revocation (revoke)
  --format table|json   output (default table); list json is {"items": [...]}, which
                        \`driftwarden evaluate --exceptions\` reads as is
  --wide-scope          a management-port exception for a whole resource group or subscription
                        (refused without it; marked in the report)
  -h, --help            show this help`;

function render(items: ExceptionView[], io: CliIo, json: boolean): string {
  if (json) return `${JSON.stringify(items.length === 1 ? items[0] : { items }, null, 2)}\n`;
  // SCOPE last and never cut: it is the full resource id people copy (the terminal wraps it).
  return formatColumns(
    ['ID', 'STATUS', 'CONTROL', 'RULE', 'EXPIRES', 'APPROVED BY', 'TICKET', 'SCOPE'],
    items.map((item) => [
      item.id,
      item.status,
      item.controlId,
      item.ruleName ?? '-',
      item.expiresOn.slice(0, 16).replace('T', ' '),
      item.approvedBy,
      item.ticket,
      item.scope,
    ]),
    io.stdout.isTTY ? io.stdout.columns : undefined,
    [0, 7],
  );
}

export const exceptionsCommand: CliCommand = {
  name: 'exceptions',
  summary: 'list, add or revoke approved exceptions (justification, ticket, expiry)',
  usage,
  async run(args, io) {
    refuseTypedIdentity(args, 'exceptions');
    const { values, positionals } = parseCommandArgs(
      'exceptions',
      args,
      {
        status: { type: 'string' },
        control: { type: 'string' },
        scope: { type: 'string' },
        rule: { type: 'string' },
        justification: { type: 'string' },
        ticket: { type: 'string' },
        expires: { type: 'string' },
        'wide-scope': { type: 'boolean' },
        reason: { type: 'string' },
        format: { type: 'string', default: 'table' },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const [action, ...rest] = positionals;
    const json = jsonFormat(values.format);
    const wrongFor = (names: (keyof typeof values)[]) => {
      const given = names.find((name) => values[name] !== undefined);
      if (given) throw new CliError(`--${given} does not apply to "exceptions ${action}"`);
    };
    if (action !== 'list' && action !== 'add' && action !== 'revoke' && action !== 'approve') {
      throw new CliError('expected list, add, approve or revoke. See: driftwarden exceptions --help');
    }
    const takesId = action === 'revoke' || action === 'approve';
    if (!takesId && rest.length) throw new CliError(`unexpected argument ${JSON.stringify(rest[0])}`);
    // Usage before configuration: a missing id is the first thing to say.
    if (takesId && rest.length !== 1) throw new CliError(`${action} takes exactly one exception id`);
    // Every missing field at once, before any setting is read.
    if (action === 'add') requireOptions(values, ['control', 'scope', 'justification', 'ticket', 'expires']);
    const config = await cliConfig(io.env);
    const credential = cliCredential(io);
    const app = createApp(config, { credential });
    const deps: ExceptionDeps = {
      exceptions: await app.exceptions(),
      evidence: await app.evidence(),
      controls: CONTROLS,
      config,
      clock: systemClock,
    };
    const me = () => signedInIdentity(credential);

    if (action === 'list') {
      wrongFor(['control', 'scope', 'rule', 'justification', 'ticket', 'expires', 'wide-scope', 'reason']);
      const items = await asCli(() => listExceptionViews(deps, values.status ?? null));
      io.stdout.write(json ? `${JSON.stringify({ items }, null, 2)}\n` : render(items, io, false));
      return EXIT.ok;
    }
    if (action === 'add') {
      wrongFor(['status', 'reason']);
      const body = {
        control: values.control,
        scope: values.scope,
        ruleName: values.rule,
        justification: values.justification,
        ticket: values.ticket,
        expiresOn: values.expires,
        ...(values['wide-scope'] ? { wideScope: true } : {}),
      };
      const created = await asCli(async () => addException(deps, body, await me()));
      io.stdout.write(render([created], io, json));
      return EXIT.ok;
    }
    wrongFor(['status', 'control', 'scope', 'rule', 'justification', 'ticket', 'expires', 'wide-scope']);
    const [id, ...extra] = rest;
    if (!id || extra.length) throw new CliError(`${action} takes exactly one exception id`);
    if (action === 'approve') {
      const api = await app.api();
      const result = await asCli(async () =>
        approveExceptionById({ ...deps, restorer: api.restorer }, id, await me()),
      );
      if (result.status === 'approved') io.stdout.write(render([result.exception], io, json));
      else io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : describeRestore(result));
      return EXIT.ok;
    }
    const revoked = await asCli(async () => revokeExceptionById(deps, id, await me(), values.reason));
    io.stdout.write(render([revoked], io, json));
    return EXIT.ok;
  },
};
