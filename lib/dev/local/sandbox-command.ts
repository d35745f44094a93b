import { parseCommandArgs } from '../../cli/args.js';
import {
  type LocalInfo,
  localDir,
  localInfoPath,
  readLocalAnchor,
  readLocalIdentity,
  readLocalInfo,
} from '../../cli/local-info.js';
import { type CliCommand, CliError, type CliIo, EXIT } from '../../cli/types.js';
import { DRIFT_KINDS, isDriftKind, makeDrift } from './drift.js';
import { sandboxClients, userCredential } from './sandbox-clients.js';
import { caBundle } from './trust.js';

const DEFAULT_USER = 'developer@contoso.example';

const usage = `Usage: driftwarden sandbox drift <${DRIFT_KINDS.join('|')}> [--as USER]
       driftwarden sandbox status
       driftwarden sandbox login
       eval "$(driftwarden sandbox env)"

Local mode only (\`npm start\`). Reads .driftwarden/local.json (or $DW_LOCAL_DIR/local.json).

  drift KIND   changes a demo resource through the ARM sandbox, as USER, with the Azure SDK:
                 open-rdp          NSG rule allowing RDP (3389) from the internet
                 open-http         NSG rule allowing HTTP (80) from the internet
                 public-blob       storage account allowBlobPublicAccess = true
                 weak-tls          storage account minimum TLS 1.0
                 public-container  account opened, then a container set to public access
                 short-retention   audit Log Analytics workspace retention cut to 30 days
                 drop-diagnostics  a storage account's blob diagnostic setting deleted (audit logs stop)
               The sandbox emits the Event Grid event Azure would; watch the log page.
  status       prints local.json (URLs, CA file, function key, dev principal)
  login        prints a new one-time sign-in URL for the log page (sets a session cookie)
  env          prints the shell exports that point the other commands (log, verify,
               exceptions, restore, sweep) at local mode: DW_STORAGE, DW_ARM_ENDPOINT,
               DW_SUBSCRIPTION_IDS, NODE_EXTRA_CA_CERTS and the local identity endpoint,
               signed in as the dev principal (AZURE_CLIENT_ID): the approver they record

Options:
  --as USER    who makes the change (recorded as the actor), default ${DEFAULT_USER}
  -h, --help   show this help`;

function requireLocalInfo(io: CliIo): LocalInfo {
  const dir = localDir(io.env);
  let info: LocalInfo | null;
  try {
    info = readLocalInfo(dir);
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}; restart local mode with npm start`,
    );
  }
  if (!info) {
    throw new CliError(`local mode is not running (no ${localInfoPath(dir)}); start it with npm start`);
  }
  return info;
}

/** Connection failures mean local mode stopped without cleaning up (killed); say so in one line. */
function describeFailure(error: unknown, info: LocalInfo): CliError {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return new CliError(
      `local mode is not running (nothing listens at ${info.armEndpoint}); start it with npm start`,
      EXIT.findings,
    );
  }
  return new CliError(`the sandbox refused the change: ${message}`, EXIT.findings);
}

async function drift(args: string[], io: CliIo, user: string): Promise<number> {
  const kind = args[0];
  if (!kind || !isDriftKind(kind) || args.length > 1) {
    throw new CliError(`drift needs one of ${DRIFT_KINDS.join(', ')}. See: driftwarden sandbox --help`);
  }
  const info = requireLocalInfo(io);
  const clients = sandboxClients(info, userCredential(user));
  try {
    const changes = await makeDrift(kind, clients);
    io.stdout.write(
      [
        `${user} changed, through the ARM sandbox:`,
        ...changes.map((change) => `  - ${change}`),
        '',
        'driftwarden should revert it within seconds. Watch the log page:',
        `  ${info.logPageUrl}`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  } catch (error) {
    throw describeFailure(error, info);
  } finally {
    clients.close();
  }
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** `export NAME='value'` lines for a POSIX shell: the app settings local mode runs the functions with. */
function envExports(io: CliIo): string {
  const dir = localDir(io.env);
  const info = requireLocalInfo(io);
  let ca: string;
  try {
    ca = caBundle(info.caCertPath, dir, io.env.NODE_EXTRA_CA_CERTS);
  } catch {
    throw new CliError(`cannot read ${info.caCertPath}; restart local mode with npm start`);
  }
  const identity = readLocalIdentity(dir);
  const vars: [string, string][] = [
    ['DW_STORAGE', info.tableConnectionString],
    ['DW_ARM_ENDPOINT', info.armEndpoint],
    ['DW_SUBSCRIPTION_IDS', info.subscriptionId],
    ['NODE_EXTRA_CA_CERTS', ca],
    // lets the CLI tell a shell that outlived this local mode at once (lib/api/cli.ts staleLocalEnv)
    ['DW_LOCAL_SESSION', localInfoPath(dir)],
  ];
  const anchor = readLocalAnchor(dir);
  if (anchor)
    vars.push(
      ['DW_SIGNING_KEY_ID', anchor.signingKeyId],
      ['DW_DIGEST_INTERVAL', String(anchor.digestIntervalSeconds)],
    );
  if (identity) {
    vars.push(
      ['IDENTITY_ENDPOINT', identity.endpoint],
      ['IDENTITY_HEADER', identity.header],
      ['AZURE_TOKEN_CREDENTIALS', 'ManagedIdentityCredential'],
      // the CLI signs in as the dev principal (a person, like `az login` in Azure), not as driftwarden
      ['AZURE_CLIENT_ID', info.devPrincipal.objectId],
    );
  }
  return [
    `# driftwarden local mode (${localInfoPath(dir)}); valid until npm start stops`,
    // identity-based storage settings would win over DW_STORAGE
    'unset DW_STORAGE__tableServiceUri DW_STORAGE__blobServiceUri DW_STORAGE__queueServiceUri',
    ...vars.map(([name, value]) => `export ${name}=${quote(value)}`),
    '',
  ].join('\n');
}

export const sandboxCommand: CliCommand = {
  name: 'sandbox',
  summary: 'local mode: cause drift in the ARM sandbox as a user, show connection details and exports',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('sandbox', args, { as: { type: 'string' } });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const [subcommand, ...rest] = positionals;
    const user = values.as?.trim() || DEFAULT_USER;
    if (!/^[^\s@]+@[^\s@]+$/.test(user))
      throw new CliError(`--as wants a user principal name like ${DEFAULT_USER}`);
    switch (subcommand) {
      case 'drift':
        return drift(rest, io, user);
      case 'status':
        io.stdout.write(`${JSON.stringify(requireLocalInfo(io), null, 2)}\n`);
        return EXIT.ok;
      case 'login': {
        if (rest.length) throw new CliError(`unexpected argument ${JSON.stringify(rest[0])}`);
        const info = requireLocalInfo(io);
        const base = info.functionsBaseUrl.replace(/\/api$/, '');
        let response: Response;
        try {
          response = await fetch(`${base}/admin/login`, {
            method: 'POST',
            headers: { 'x-functions-key': info.functionKey },
          });
        } catch (error) {
          throw describeFailure(error, info);
        }
        if (!response.ok) throw new CliError(`local mode refused a new sign-in link (${response.status})`);
        const { loginUrl } = (await response.json()) as { loginUrl: string };
        io.stdout.write(
          `${loginUrl}\n(works once: opening it signs the browser in and shows the log page)\n`,
        );
        return EXIT.ok;
      }
      case 'env':
        if (rest.length) throw new CliError(`unexpected argument ${JSON.stringify(rest[0])}`);
        io.stdout.write(envExports(io));
        return EXIT.ok;
      default:
        throw new CliError(
          'expected "drift <kind>", "status", "login" or "env". See: driftwarden sandbox --help',
        );
    }
  },
};
