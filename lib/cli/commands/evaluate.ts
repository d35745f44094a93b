import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, SETTINGS } from '../../config.js';
import { CONTROLS } from '../../controls/catalog.js';
import { evaluationSettingsFromConfig } from '../../controls/settings.js';
import type { ControlException } from '../../controls/types.js';
import { evaluateDocument, nothingToEvaluate } from '../../evaluate.js';
import { parseScope } from '../../iac/types.js';
import { toSarif } from '../../report/sarif.js';
import { InvalidResourceError } from '../../resources/normalize.js';
import { packageVersion } from '../../util/package-version.js';
import { parseCommandArgs } from '../args.js';
import { parseExceptionList } from '../exceptions-file.js';
import { parseJson, readInput } from '../input.js';
import {
  evaluateReviewInput,
  locateLiveFindings,
  type ReviewFinding,
  readDocument,
  readParameters,
} from '../review-input.js';
import { renderTable } from '../table.js';
import { type CliCommand, CliError, type CliIo, EXIT } from '../types.js';

const usage = `Usage: driftwarden evaluate [FILE|-] [--format json|table|sarif] [--exceptions FILE]
                            [--parameters FILE] [--scope ID] [--fail-on fail|unknown]

Evaluates offline against the SOC 2 control catalog -- the same controls as at runtime:
  - Azure resource JSON: one resource, an array, or an ARM list response {"value": [...]} --
    what \`az resource show\`, \`az storage account list\` or \`az network nsg list\` print --
    or a Resource Graph result (\`az graph query\`: {"count", "data": [...]}, or the table form
    {"data": {"columns", "rows"}});
  - ARM deployment templates (also languageVersion 2.0), with --parameters for their values;
  - Bicep files (.bicep), compiled with the Bicep CLI on PATH (bicep build --stdout);
  - Terraform plans: terraform show -json plan.tfplan (azurerm storage accounts, containers,
    network security groups and rules).
Reads standard input when FILE is - or omitted. Input with no resource at all (no item with an
ARM "id" and "type", e.g. {}) is an error (exit 2), not a pass.

Options:
  --format json|table|sarif  output format (default: json); sarif is SARIF 2.1.0 for code scanning
  --exceptions FILE     approved exceptions: a JSON array, or what \`driftwarden exceptions list
                        --format json\` prints; a matching, unexpired one turns a fail into exempt
  --parameters FILE     template parameter values: an ARM parameters file, or a .bicepparam
                        (compiled with the Bicep CLI)
  --scope ID            where the template or plan deploys, /subscriptions/<id>[/resourceGroups/<name>]:
                        resource ids (and so exception scopes) use it; default placeholders
  --fail-on fail|unknown  what fails the gate (exit 1): only fail findings (default), or also
                        unknown ones (a value not known before deployment)
  -h, --help            show this help

Output (json): {"findings": [{"resourceId", "resourceType", "controlId", "status", "severity",
"criteria", "message", "ruleName"?, "exceptionId"?, "remediation"?, "source"?}]}; status is
pass | fail | exempt | not-applicable | unknown (unknown: only for templates and plans).
"source" (templates and plans): {"file"?, "path", "copyIndex"?, "line"?} -- the template
resource path (resources[2], resources.nsg) or Terraform address, and its line in FILE.

Settings: ${SETTINGS.phiTagName}, ${SETTINGS.phiTagValues}, ${SETTINGS.managementPorts},
${SETTINGS.internetPrefixMaxLength}, ${SETTINGS.modes} (as in the Function app).

Exit status: 0 nothing fails, 1 something fails (see --fail-on), 2 unusable input or usage error.

Examples:
  az network nsg list | driftwarden evaluate -
  driftwarden evaluate storage.json --format table --exceptions exceptions.json
  driftwarden evaluate main.json --parameters main.parameters.json --format sarif > driftwarden.sarif
  terraform show -json plan.tfplan | driftwarden evaluate - --fail-on unknown`;

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
function toJson(finding: ReviewFinding): Record<string, unknown> {
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
  if (finding.source !== undefined) out.source = finding.source;
  return out;
}

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  summary: 'evaluate resource JSON, ARM/Bicep templates or Terraform plans against the controls, offline',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'evaluate',
      args,
      {
        format: { type: 'string' },
        exceptions: { type: 'string' },
        parameters: { type: 'string' },
        scope: { type: 'string' },
        'fail-on': { type: 'string' },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'table' && format !== 'sarif')
      throw new CliError(`--format must be json, table or sarif, not "${format}"`);
    const failOn = values['fail-on'] ?? 'fail';
    if (failOn !== 'fail' && failOn !== 'unknown')
      throw new CliError(`--fail-on must be fail or unknown, not "${failOn}"`);
    const scope = parseScope(values.scope);
    if (scope === null)
      throw new CliError(
        '--scope must look like /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>',
      );
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
    const file = source === '-' ? undefined : source;
    const input = await readDocument(source, io);
    if (input.kind === 'arm-parameters')
      throw new CliError(
        `${what} is an ARM parameters file: pass the template as FILE and this file with --parameters`,
      );
    if (values.parameters !== undefined && input.kind !== 'arm-template')
      throw new CliError('--parameters applies to ARM templates and Bicep files only');
    const options = { settings, modes, exceptions, now: new Date() };

    let findings: ReviewFinding[];
    if (input.kind === 'resources') {
      try {
        findings = evaluateDocument(input.document, options);
      } catch (error) {
        if (error instanceof InvalidResourceError) throw new CliError(`${what}: ${error.message}`);
        throw error;
      }
      // Readable but empty of resources ({}, an unknown wrapper): a CI gate must not pass on it.
      const empty = nothingToEvaluate(input.document);
      if (empty) throw new CliError(`${what}: ${empty}`);
      if (format === 'sarif') findings = locateLiveFindings(input, findings, file);
    } else {
      const parameters =
        values.parameters === undefined ? undefined : await readParameters(values.parameters, io);
      const review = evaluateReviewInput(input, { evaluate: options, parameters, scope, file });
      findings = review.findings;
      for (const note of review.notes) io.stderr.write(`driftwarden evaluate: note: ${note}\n`);
    }

    if (format === 'json')
      io.stdout.write(`${JSON.stringify({ findings: findings.map(toJson) }, null, 2)}\n`);
    else if (format === 'sarif') {
      const sarif = toSarif(findings, {
        toolVersion: packageVersion(),
        controls: CONTROLS,
        ...(file !== undefined ? { artifactUri: artifactUri(file) } : {}),
      });
      io.stdout.write(`${JSON.stringify(sarif, null, 2)}\n`);
    } else io.stdout.write(renderTable(findings, io.stdout.isTTY ? io.stdout.columns : undefined));

    const unknown = findings.filter((finding) => finding.status === 'unknown').length;
    if (unknown > 0 && failOn === 'fail') {
      io.stderr.write(
        `driftwarden evaluate: ${unknown} finding(s) unknown (values not known before deployment); they do not fail the gate unless --fail-on unknown\n`,
      );
    }
    const failing = findings.some(
      (finding) => finding.status === 'fail' || (failOn === 'unknown' && finding.status === 'unknown'),
    );
    return failing ? EXIT.findings : EXIT.ok;
  },
};

/** The input file as a SARIF artifact URI: relative to the working directory (the checkout) when inside it. */
function artifactUri(file: string): string {
  const absolute = resolve(file);
  const relativePath = relative(process.cwd(), absolute);
  if (relativePath !== '' && !relativePath.startsWith('..') && !isAbsolute(relativePath))
    return relativePath.split(sep).map(encodeURIComponent).join('/');
  return pathToFileURL(absolute).href;
}
