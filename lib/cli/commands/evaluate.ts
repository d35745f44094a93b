import { ConfigError, loadConfig, SETTINGS } from '../../config.js';
import { evaluationSettingsFromConfig } from '../../controls/settings.js';
import type { ControlException, Finding } from '../../controls/types.js';
import { evaluateDocument, nothingToEvaluate } from '../../evaluate.js';
import { InvalidResourceError } from '../../resources/normalize.js';
import { parseCommandArgs } from '../args.js';
import { parseExceptionList } from '../exceptions-file.js';
import { parseJson, readInput } from '../input.js';
import { renderTable } from '../table.js';
import { type CliCommand, CliError, type CliIo, EXIT } from '../types.js';

const usage = `Usage: driftwarden evaluate [FILE|-] [--format json|table] [--exceptions FILE]

Evaluates Azure resource JSON offline against the SOC 2 control catalog. Input is one resource,
an array of resources, an ARM list response {"value": [...]} -- what \`az resource show\`,
\`az storage account list\` or \`az network nsg list\` print, in the ARM REST or flattened shape --
or a Resource Graph result (\`az graph query\`: {"count", "data": [...]}, or the table form
{"data": {"columns", "rows"}}). Reads standard input when FILE is - or omitted. Input with no
resource at all (no item with an ARM "id" and "type", e.g. {}) is an error (exit 2), not a pass.

Options:
  --format json|table   output format (default: json)
  --exceptions FILE     approved exceptions: a JSON array, or what \`driftwarden exceptions list
                        --format json\` prints; a matching, unexpired one turns a fail into exempt
  -h, --help            show this help

Output (json): {"findings": [{"resourceId", "resourceType", "controlId", "status", "severity",
"criteria", "message", "ruleName"?, "exceptionId"?, "remediation"?}]}; status is
pass | fail | exempt | not-applicable.

Settings: ${SETTINGS.phiTagName}, ${SETTINGS.phiTagValues}, ${SETTINGS.managementPorts},
${SETTINGS.internetPrefixMaxLength}, ${SETTINGS.modes} (as in the Function app).

Exit status: 0 nothing fails, 1 something fails, 2 unusable input or usage error.

Examples:
  az network nsg list | driftwarden evaluate -
  driftwarden evaluate storage.json --format table --exceptions exceptions.json`;

function loadEvaluationConfig(env: CliIo['env']) {
  try {
    // Offline evaluation needs no storage: a placeholder satisfies the validator so the
    // evaluation settings are read and checked exactly as the Function app reads them.
    const config = loadConfig({
      ...env,
      [SETTINGS.storageConnection]: env[SETTINGS.storageConnection] ?? 'UseDevelopmentStorage=true',
    });
    return { settings: evaluationSettingsFromConfig(config), modes: config.modeOverrides };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** The documented JSON shape, field order fixed; optional fields only when set. */
function toJson(finding: Finding): Record<string, unknown> {
  const { resourceId, resourceType, controlId, status, severity, criteria, message } = finding;
  const out: Record<string, unknown> = {
    resourceId,
    resourceType,
    controlId,
    status,
    severity,
    criteria,
    message,
  };
  if (finding.ruleName !== undefined) out.ruleName = finding.ruleName;
  if (finding.exceptionId !== undefined) out.exceptionId = finding.exceptionId;
  if (finding.remediation !== undefined) out.remediation = finding.remediation;
  return out;
}

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  summary: 'evaluate resource JSON (file or stdin) against the control catalog, offline',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'evaluate',
      args,
      { format: { type: 'string' }, exceptions: { type: 'string' } },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'table')
      throw new CliError(`--format must be json or table, not "${format}"`);
    if (positionals.length > 1) throw new CliError('evaluate takes one FILE (or - for standard input)');
    const source = positionals[0] ?? '-';
    if (source === '-' && io.stdin.isTTY) {
      throw new CliError('no input: pipe resource JSON in, or give a FILE. See: driftwarden evaluate --help');
    }

    const { settings, modes } = loadEvaluationConfig(io.env);
    let exceptions: ControlException[] = [];
    if (values.exceptions !== undefined) {
      const path = values.exceptions;
      exceptions = parseExceptionList(parseJson(await readInput(path, io), path), path);
    }
    const what = source === '-' ? 'standard input' : source;
    const document = parseJson(await readInput(source, io), what);

    let findings: Finding[];
    try {
      findings = evaluateDocument(document, { settings, modes, exceptions, now: new Date() });
    } catch (error) {
      if (error instanceof InvalidResourceError) throw new CliError(`${what}: ${error.message}`);
      throw error;
    }
    // Readable but empty of resources ({}, an unknown wrapper): a CI gate must not pass on it.
    const empty = nothingToEvaluate(document);
    if (empty) throw new CliError(`${what}: ${empty}`);

    if (format === 'json')
      io.stdout.write(`${JSON.stringify({ findings: findings.map(toJson) }, null, 2)}\n`);
    else io.stdout.write(renderTable(findings, io.stdout.isTTY ? io.stdout.columns : undefined));
    return findings.some((finding) => finding.status === 'fail') ? EXIT.findings : EXIT.ok;
  },
};
