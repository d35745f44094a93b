import { setTimeout as sleep } from 'node:timers/promises';
import { asCli, cliConfig, formatColumns, relativeSince } from '../../api/cli.js';
import { newestFirst, queryRemediations, type RemediationItem } from '../../api/remediations.js';
import { createApp } from '../../app/app.js';
import { CONTROLS } from '../../controls/catalog.js';
import { jsonFormat, parseCommandArgs } from '../args.js';
import { type CliCommand, CliError, type CliIo, EXIT } from '../types.js';

const usage = `Usage: driftwarden log [filters] [--format table|json] [--limit N] [--follow [--interval S]]

Shows the remediation log (evidence records), newest first — the same query as GET /api/remediations.

Filters:
  --since TIME          ISO 8601 date/date-time, or an age: 30m, 24h, 7d
  --until TIME          ISO 8601 date/date-time, or an age
  --subscription ID     subscription id
  --resource PREFIX     resource id prefix (case-insensitive)
  --control ID          control id, e.g. NSG-OPEN-INBOUND
  --outcome OUTCOME     remediated | remediation-failed | exempted | audit-only | compliant |
                        skipped | resource-gone | restored; several comma-separated, or
                        actionable (remediated, remediation-failed, exempted, restored)
  --actor NAME          who caused the change (upn / app id)
Options:
  --limit N             records per page (1-500, default 50)
  --all                 follow continuation tokens to the end (not with --follow)
  --format table|json   output (default table); json prints {"items", "continuationToken"},
                        or, with --follow, one JSON item per line
  --follow              keep polling for new records (oldest first, like tail -f); Ctrl-C stops
  --interval S          seconds between polls with --follow (default 5)
  --polls N             stop after N polls (scripts and tests)
  -h, --help            show this help

Settings: the Function app's (DW_STORAGE or DW_STORAGE__tableServiceUri, DW_EVIDENCE_TABLE).`;

function shortResource(id: string): string {
  const parts = id.split('/');
  const group = parts.findIndex((part) => part.toLowerCase() === 'resourcegroups');
  const rule = parts.findIndex((part) => part.toLowerCase() === 'securityrules');
  const name = rule > 0 ? `${parts[rule - 1]}/${parts[rule + 1]}` : (parts.at(-1) ?? id);
  return group >= 0 ? `${parts[group + 1]}/${name}` : name;
}

/**
 * `--follow` columns: time stamp, the longest outcome and control id, actors clipped at 30, ids
 * (base64url chain + sequence: 60 characters and the sequence for a subscription's month).
 */
const FOLLOW_WIDTHS = [20, 18, 18, 30, 66];

function table(items: RemediationItem[], io: CliIo, steady = false): string {
  return formatColumns(
    ['TIME', 'OUTCOME', 'CONTROL', 'ACTOR', 'ID', 'RESOURCE'],
    items.map((item) => [
      item.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      item.outcome,
      item.controlId ?? '-',
      item.actor ?? '-',
      item.id,
      shortResource(item.resourceId),
    ]),
    io.stdout.isTTY ? io.stdout.columns : undefined,
    [4],
    steady ? FOLLOW_WIDTHS : [],
  );
}

export const logCommand: CliCommand = {
  name: 'log',
  summary: 'show the remediation log (filters as the API; --follow to keep watching)',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'log',
      args,
      {
        since: { type: 'string' },
        until: { type: 'string' },
        subscription: { type: 'string' },
        resource: { type: 'string' },
        control: { type: 'string' },
        outcome: { type: 'string' },
        actor: { type: 'string' },
        limit: { type: 'string' },
        all: { type: 'boolean' },
        format: { type: 'string', default: 'table' },
        follow: { type: 'boolean', short: 'f' },
        interval: { type: 'string', default: '5' },
        polls: { type: 'string' },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const json = jsonFormat(values.format);
    const interval = Number(values.interval);
    if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) {
      throw new CliError('--interval must be a number of seconds from 0.1 to 3600');
    }
    const polls = values.polls === undefined ? Number.POSITIVE_INFINITY : Number(values.polls);
    if (!Number.isInteger(polls) && polls !== Number.POSITIVE_INFINITY)
      throw new CliError('--polls must be a whole number');
    if (values.all && values.follow) throw new CliError('--all and --follow do not combine');

    const params = new URLSearchParams();
    const now = new Date();
    const filters = {
      ...values,
      since: relativeSince(values.since, now),
      until: relativeSince(values.until, now),
    };
    for (const name of [
      'since',
      'until',
      'subscription',
      'resource',
      'control',
      'outcome',
      'actor',
      'limit',
    ] as const) {
      const value = filters[name];
      if (typeof value === 'string') params.set(name, value);
    }
    const config = await cliConfig(io.env);
    const deps = { evidence: await createApp(config).evidence(), controls: CONTROLS };

    if (!values.follow) {
      const page = await asCli(() => queryRemediations(deps, params));
      while (values.all && page.continuationToken) {
        params.set('continuationToken', page.continuationToken);
        const next = await asCli(() => queryRemediations(deps, params));
        page.items.push(...next.items);
        page.continuationToken = next.continuationToken;
      }
      page.items.sort(newestFirst);
      io.stdout.write(json ? `${JSON.stringify(page, null, 2)}\n` : table(page.items, io));
      return EXIT.ok;
    }

    // Follow: print oldest first, then poll for records at or after the newest time seen.
    const seen = new Set<string>();
    let newest = params.get('since') ?? undefined;
    let headerShown = false;
    const show = (items: RemediationItem[]) => {
      // Oldest first, like tail -f: the reverse of newestFirst, with .2 before .10.
      const fresh = items.filter((item) => !seen.has(item.id)).sort((a, b) => newestFirst(b, a));
      for (const item of fresh) {
        seen.add(item.id);
        if (!newest || item.time > newest) newest = item.time;
      }
      if (!fresh.length) return;
      if (json) io.stdout.write(fresh.map((item) => `${JSON.stringify(item)}\n`).join(''));
      else {
        const text = table(fresh, io, true);
        io.stdout.write(headerShown ? text.slice(text.indexOf('\n') + 1) : text);
        headerShown = true;
      }
    };
    show((await asCli(() => queryRemediations(deps, params))).items);
    for (let poll = 0; poll < polls; poll++) {
      await sleep(interval * 1000);
      const since = new URLSearchParams(params);
      if (newest) since.set('since', newest);
      since.set('limit', '500');
      const batch: RemediationItem[] = [];
      for (let token: string | null = null, first = true; first || token; first = false) {
        if (token) since.set('continuationToken', token);
        const page = await asCli(() => queryRemediations(deps, since));
        batch.push(...page.items);
        token = page.continuationToken;
      }
      show(batch);
    }
    return EXIT.ok;
  },
};
