import { CONTROLS, controlsFor } from './controls/catalog.js';
import { defaultEvaluationSettings } from './controls/settings.js';
import type {
  ControlException,
  ControlId,
  EvaluationSettings,
  Finding,
  Mode,
  NormalizedResource,
} from './controls/types.js';
import { applyExceptions } from './exceptions/match.js';
import { parseResourceDocument } from './resources/normalize.js';

export interface EvaluateOptions {
  settings?: EvaluationSettings;
  /** exceptions to honour (expired/revoked ones are ignored by the matcher) */
  exceptions?: readonly ControlException[];
  /** when exceptions are judged; default: the current time */
  now?: Date;
  /** per-control modes; a control in mode 'off' produces no findings. Audit vs remediate does not change status. */
  modes?: Partial<Record<ControlId, Mode>>;
}

/** One finding per applicable control (pass findings included), exceptions applied. Pure apart from the default clock. */
export function evaluateResource(resource: NormalizedResource, options: EvaluateOptions = {}): Finding[] {
  const settings = options.settings ?? defaultEvaluationSettings;
  const findings: Finding[] = [];
  for (const control of controlsFor(resource.kind)) {
    const mode = options.modes?.[control.id] ?? control.defaultMode;
    if (mode === 'off') continue;
    findings.push(...control.evaluate(resource, settings));
  }
  return applyExceptions(findings, options.exceptions ?? [], options.now ?? new Date());
}

/**
 * Evaluates a whole document (one resource, an array, or `{ "value": [...] }`). A resource of a
 * type no control judges yields one `not-applicable` finding per control, so every input resource
 * is accounted for and every finding has the documented shape. Throws InvalidResourceError when
 * the document is unusable.
 */
export function evaluateDocument(json: unknown, options: EvaluateOptions = {}): Finding[] {
  const findings: Finding[] = [];
  for (const item of parseResourceDocument(json)) {
    if (item.resource) {
      findings.push(...evaluateResource(item.resource, options));
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
