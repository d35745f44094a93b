import type { Finding } from '../controls/types.js';
import type { EvaluateOptions } from '../evaluate.js';
import { parseArmParameters, readArmTemplate, TemplateError } from '../iac/arm-template.js';
import { detectInput, isBicepFile, isBicepParamFile } from '../iac/detect.js';
import { evaluateIacResources, IacResourceError } from '../iac/evaluate-iac.js';
import { formatPath, lineIndex } from '../iac/json-lines.js';
import { PlanError, readTerraformPlan } from '../iac/terraform.js';
import type { DeploymentScope, FindingSource, IacReadResult } from '../iac/types.js';
import { compileBicep } from './bicep.js';
import { parseJson, readInput } from './input.js';
import { CliError, type CliIo } from './types.js';

/**
 * The CLI side of review-time input: reads the file (compiling Bicep), works out what it is, runs
 * the pure readers, and turns JSON paths into line numbers. Live resource JSON is not handled here.
 */

export type ReviewFinding = Finding & { source?: FindingSource };

export interface ReviewInput {
  kind: ReturnType<typeof detectInput>;
  /** the JSON text read (for Bicep: the compiled template) */
  text: string;
  document: unknown;
  /** for Bicep input: the .bicep source, so lines point into the file the user wrote */
  bicepSource?: string;
}

/** Reads FILE (or stdin), compiling a .bicep file first, and parses it. */
export async function readDocument(source: string, io: CliIo): Promise<ReviewInput> {
  const what = source === '-' ? 'standard input' : source;
  if (isBicepParamFile(source))
    throw new CliError(
      `${source} is a Bicep parameters file: pass the template as FILE and this file with --parameters`,
    );
  if (isBicepFile(source)) {
    const bicepSource = await readInput(source, io);
    const text = await compileBicep(source, io);
    const document = parseJson(text, `${what} (compiled)`);
    return { kind: detectInput(document), text, document, bicepSource };
  }
  const text = await readInput(source, io);
  const document = parseJson(text, what);
  return { kind: detectInput(document), text, document };
}

/**
 * Lines in a .bicep file: the compiled JSON has no source map, but a symbolic resource
 * (`resources.nsg`) is declared as `resource nsg '...'` and a module's resources
 * (`resources.storage.properties.template...`) as `module storage '...'` in the file given.
 */
function bicepLineLookup(source: string): (path: readonly (string | number)[]) => number | undefined {
  const lines = source.split('\n');
  const cache = new Map<string, number | undefined>();
  return (path) => {
    const symbol = path[0] === 'resources' && typeof path[1] === 'string' ? path[1] : undefined;
    if (symbol === undefined) return undefined;
    if (!cache.has(symbol)) {
      const escaped = symbol.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const declaration = new RegExp(`^\\s*(resource|module)\\s+${escaped}\\s`);
      const index = lines.findIndex((line) => declaration.test(line));
      cache.set(symbol, index < 0 ? undefined : index + 1);
    }
    return cache.get(symbol);
  };
}

export async function readParameters(path: string, io: CliIo): Promise<Map<string, unknown>> {
  const text = isBicepParamFile(path) ? await compileBicep(path, io, true) : await readInput(path, io);
  try {
    return parseArmParameters(parseJson(text, path), path);
  } catch (error) {
    if (error instanceof TemplateError) throw new CliError(error.message);
    throw error;
  }
}

function lineLookup(text: string): (path: readonly (string | number)[]) => number | undefined {
  let index: Map<string, number> | null = null;
  return (path) => {
    try {
      index ??= lineIndex(text);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      index = new Map(); // nesting deeper than the stack: findings keep their path, without a line
    }
    return index.get(formatPath(path));
  };
}

export interface ReviewOptions {
  evaluate: EvaluateOptions;
  parameters?: Map<string, unknown>;
  scope: DeploymentScope;
  /** the file as given, for `source.file` (absent for stdin) */
  file?: string;
}

/** Findings for an ARM template or Terraform plan, each with its source location; notes for stderr. */
export function evaluateReviewInput(
  input: ReviewInput,
  options: ReviewOptions,
): { findings: ReviewFinding[]; notes: string[] } {
  let read: IacReadResult;
  try {
    read =
      input.kind === 'arm-template'
        ? readArmTemplate(input.document, { parameters: options.parameters, scope: options.scope })
        : readTerraformPlan(input.document, options.scope);
  } catch (error) {
    if (error instanceof TemplateError || error instanceof PlanError) throw new CliError(error.message);
    throw error;
  }
  let findings: ReturnType<typeof evaluateIacResources>;
  try {
    findings = evaluateIacResources(read.resources, options.evaluate);
  } catch (error) {
    if (error instanceof IacResourceError)
      throw new CliError(`${options.file ?? 'standard input'}: ${error.message}`);
    throw error;
  }
  const lineOf =
    input.bicepSource === undefined ? lineLookup(input.text) : bicepLineLookup(input.bicepSource);
  return {
    notes: read.notes,
    findings: findings.map(({ jsonPath, source, ...finding }) => {
      const located: FindingSource =
        options.file === undefined ? { ...source } : { file: options.file, ...source };
      const line = lineOf(jsonPath);
      if (line !== undefined) located.line = line;
      return { ...finding, source: located };
    }),
  };
}

/**
 * For live resource JSON in SARIF: where each resource is in the input (`[3]`, `value[3]`, or the
 * whole document), found by id, so code scanning can still show a line.
 */
export function locateLiveFindings(
  input: ReviewInput,
  findings: readonly Finding[],
  file?: string,
): ReviewFinding[] {
  const document = input.document;
  const base: (string | number)[] = Array.isArray(document)
    ? []
    : typeof document === 'object' &&
        document !== null &&
        Array.isArray((document as { value?: unknown }).value)
      ? ['value']
      : [];
  const items = Array.isArray(document)
    ? document
    : base.length > 0
      ? (document as { value: unknown[] }).value
      : [document];
  const single = base.length === 0 && !Array.isArray(document);
  const indexById = new Map<string, number>();
  items.forEach((item, index) => {
    const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    if (typeof id === 'string' && !indexById.has(id)) indexById.set(id, index);
  });
  const lineOf = lineLookup(input.text);
  return findings.map((finding) => {
    const index = indexById.get(finding.resourceId);
    const path = single ? [] : index === undefined ? null : [...base, index];
    if (path === null) return finding;
    const where = formatPath(path) || '(document)';
    const source: FindingSource = file === undefined ? { path: where } : { file, path: where };
    const line = path.length === 0 ? 1 : lineOf(path);
    if (line !== undefined) source.line = line;
    return { ...finding, source };
  });
}
