import { asCli, cliConfig, defaultActor, formatColumns } from '../../api/cli.js';
import {
  addException,
  type ExceptionDeps,
  type ExceptionView,
  listExceptionViews,
  revokeExceptionById,
} from '../../api/exceptions.js';
import { createApp } from '../../app/app.js';
import { CONTROLS } from '../../controls/catalog.js';
import { systemClock } from '../../util/clock.js';
import { jsonFormat, parseCommandArgs, requireOptions } from '../args.js';
import { type CliCommand, CliError, type CliIo, EXIT } from '../types.js';

const usage = `Usage:
  driftwarden exceptions list [--status active|expired|revoked] [--format table|json]
  driftwarden exceptions add --control ID --scope RESOURCE_ID [--rule NAME] --justification TEXT
                             --ticket REF --expires DATE|30d [--approver NAME] [--format table|json]
  driftwarden exceptions revoke EXCEPTION_ID [--reason TEXT] [--by NAME] [--format table|json]

The exception registry (same validation and store as /api/exceptions). An exception exempts one
control on a resource, a resource group or a subscription (an ancestor covers what is below it),
optionally only one NSG rule, until it expires. Revoking records who and when; nothing is deleted.

Options:
  --expires DATE|Nd|Nh  ISO 8601 date (midnight UTC) or date-time, or relative (30d, 12h);
                        at most DW_EXCEPTION_MAX_DAYS (default 90) days ahead
  --status STATUS       list only active, expired or revoked exceptions
  --control ID          control id, e.g. STG-PUBLIC-BLOB (add)
  --scope RESOURCE_ID   resource id, resource group or subscription (add)
  --rule NAME           only this NSG security rule (add, NSG controls)
  --justification TEXT  business justification, at least 10 characters (add)
  --ticket REF          change or incident ticket (add)
  --approver NAME       recorded as approvedBy (default: $USER, else the OS account)
  --reason TEXT         why it is revoked, recorded with the revocation (revoke)
  --by NAME             recorded as revokedBy (default: $USER, else the OS account)
  --format table|json   output (default table); list json is {"items": [...]}, which
                        \`driftwarden evaluate --exceptions\` reads as is
  -h, --help            show this help`;

function who(explicit: string | undefined, io: CliIo, flag: string): string {
  const name = defaultActor(explicit, io.env);
  if (!name) throw new CliError(`${flag} is required (no $USER or OS account name to default to)`);
  return name;
}

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
        approver: { type: 'string' },
        by: { type: 'string' },
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
    if (action !== 'list' && action !== 'add' && action !== 'revoke') {
      throw new CliError('expected list, add or revoke. See: driftwarden exceptions --help');
    }
    if (action !== 'revoke' && rest.length)
      throw new CliError(`unexpected argument ${JSON.stringify(rest[0])}`);
    // Usage before configuration: a missing id is the first thing to say.
    if (action === 'revoke' && rest.length !== 1) throw new CliError('revoke takes exactly one exception id');
    // Every missing field at once, before any setting is read.
    if (action === 'add') requireOptions(values, ['control', 'scope', 'justification', 'ticket', 'expires']);
    const config = await cliConfig(io.env);
    const deps: ExceptionDeps = {
      exceptions: await createApp(config).exceptions(),
      controls: CONTROLS,
      config,
      clock: systemClock,
    };

    if (action === 'list') {
      wrongFor([
        'control',
        'scope',
        'rule',
        'justification',
        'ticket',
        'expires',
        'approver',
        'by',
        'reason',
      ]);
      const items = await asCli(() => listExceptionViews(deps, values.status ?? null));
      io.stdout.write(json ? `${JSON.stringify({ items }, null, 2)}\n` : render(items, io, false));
      return EXIT.ok;
    }
    if (action === 'add') {
      wrongFor(['status', 'by', 'reason']);
      const body = {
        control: values.control,
        scope: values.scope,
        ruleName: values.rule,
        justification: values.justification,
        ticket: values.ticket,
        expiresOn: values.expires,
      };
      const created = await asCli(() => addException(deps, body, who(values.approver, io, '--approver')));
      io.stdout.write(render([created], io, json));
      return EXIT.ok;
    }
    wrongFor(['status', 'control', 'scope', 'rule', 'justification', 'ticket', 'expires', 'approver']);
    const [id, ...extra] = rest;
    if (!id || extra.length) throw new CliError('revoke takes exactly one exception id');
    const revoked = await asCli(() =>
      revokeExceptionById(deps, id, who(values.by, io, '--by'), values.reason),
    );
    io.stdout.write(render([revoked], io, json));
    return EXIT.ok;
  },
};
