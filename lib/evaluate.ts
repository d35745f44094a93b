import { CONTROLS, controlsFor } from './controls/catalog.js';
import { NOTHING_RELATED, relatedFromDocument } from './controls/related.js';
import { defaultEvaluationSettings } from './controls/settings.js';
import type {
  ControlException,
  ControlId,
  EvaluationSettings,
  Finding,
  Mode,
  NormalizedResource,
  RelatedResources,
} from './controls/types.js';
import { applyExceptions } from './exceptions/match.js';
import { isRecord, parseResourceDocument } from './resources/normalize.js';

export interface EvaluateOptions {
  settings?: EvaluationSettings;
  /** exceptions to honour (expired/revoked ones are ignored by the matcher) */
  exceptions?: readonly ControlException[];
  /** when exceptions are judged; default: the current time */
  now?: Date;
  /** per-control modes; a control in mode 'off' produces no findings. Audit vs remediate does not change status. */
  modes?: Partial<Record<ControlId, Mode>>;
  /** other resources the cross-resource controls follow (default: none known) */
  related?: RelatedResources;
}

/** One finding per applicable control (pass findings included), exceptions applied. Pure apart from the default clock. */
export function evaluateResource(resource: NormalizedResource, options: EvaluateOptions = {}): Finding[] {
  const settings = options.settings ?? defaultEvaluationSettings;
  const findings: Finding[] = [];
  for (const control of controlsFor(resource.kind)) {
    const mode = options.modes?.[control.id] ?? control.defaultMode;
    if (mode === 'off') continue;
    findings.push(...control.evaluate(resource, settings, options.related ?? NOTHING_RELATED));
  }
  const exceptions = options.exceptions ?? [];
  // `findings` is this call's own array: nothing to copy, and no clock to read, without exceptions
  if (exceptions.length === 0) return findings;
  return applyExceptions(findings, exceptions, options.now ?? new Date());
}

/**
 * Evaluates a whole document (one resource, an array, or `{ "value": [...] }`). Cross-resource
 * controls are judged when the resources they follow are in the document too. A resource of a
 * type no control judges yields one `not-applicable` finding per control, so every input resource
 * is accounted for and every finding has the documented shape. Throws InvalidResourceError when
 * the document is unusable.
 */
export function evaluateDocument(json: unknown, options: EvaluateOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const items = parseResourceDocument(fromResourceGraph(json));
  // cross-resource controls judge what the document holds (a key, a workspace, diagnostic settings)
  const related =
    options.related ?? relatedFromDocument(items.flatMap((item) => (item.resource ? [item.resource] : [])));
  for (const item of items) {
    if (item.resource) {
      findings.push(...evaluateResource(item.resource, { ...options, related }));
      continue;
    }
    const id = typeof item.raw.id === 'string' ? clip(item.raw.id) : `(item ${item.index}, no id)`;
    const type = typeof item.raw.type === 'string' ? clip(item.raw.type) : '(unknown type)';
    for (const control of CONTROLS) {
      if ((options.modes?.[control.id] ?? control.defaultMode) === 'off') continue;
      findings.push({
        resourceId: id,
        resourceType: type,
        controlId: control.id,
        status: 'not-applicable',
        severity: control.severity,
        criteria: [...control.criteria],
        message: `driftwarden does not judge resources of type ${type}.`,
      });
    }
  }
  return findings;
}

/** Ids and types of resources we do not judge are echoed back; keep hostile ones printable. */
function clip(value: string): string {
  return value.length > 1024 ? `${value.slice(0, 1021)}...` : value;
}

/**
 * A Resource Graph result (`az graph query` prints `{count, data: [...], skip_token?,
 * total_records?}`; the REST API with `resultFormat: table` gives `data: {columns, rows}`) as the
 * list of resources it holds; anything else unchanged.
 */
export function fromResourceGraph(json: unknown): unknown {
  if (!isRecord(json) || !Object.hasOwn(json, 'data') || Object.hasOwn(json, 'id')) return json;
  const data = json.data;
  if (Array.isArray(data)) return data;
  if (isRecord(data) && Array.isArray(data.columns) && Array.isArray(data.rows)) {
    const names = data.columns.map((column: unknown) =>
      isRecord(column) && typeof column.name === 'string' ? column.name : null,
    );
    return data.rows.map((row: unknown) => {
      if (!Array.isArray(row)) return row;
      const resource: Record<string, unknown> = {};
      names.forEach((name, index) => {
        if (name !== null) resource[name] = row[index];
      });
      return resource;
    });
  }
  return json;
}

/**
 * Why a document holds nothing to evaluate — not one item with an ARM `id` and `type` — or null.
 * `{}` or a wrapper we do not know must not pass a CI gate as "not applicable".
 */
export function nothingToEvaluate(json: unknown): string | null {
  const unwrapped = fromResourceGraph(json);
  const items = Array.isArray(unwrapped)
    ? unwrapped
    : isRecord(unwrapped) && Array.isArray(unwrapped.value) && !Object.hasOwn(unwrapped, 'id')
      ? unwrapped.value
      : [unwrapped];
  const resources = items.filter(
    (item: unknown) => isRecord(item) && typeof item.id === 'string' && typeof item.type === 'string',
  );
  if (resources.length) return null;
  const what =
    items.length === 0
      ? 'no items'
      : `${items.length} item${items.length === 1 ? '' : 's'}, none with an ARM "id" and "type"`;
  return (
    `nothing to evaluate (${what}). Expected Azure resource JSON: one resource, an array, {"value": [...]} ` +
    'or a Resource Graph result {"data": [...]} (az resource list, az network nsg list, az graph query)'
  );
}
