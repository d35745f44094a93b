import type { ResourceKind } from '../resources/kinds.js';
import type { Fields, FieldValues, Writes } from './fields.js';
import { NOTHING_RELATED } from './related.js';
import { finding } from './support.js';
import type {
  Control,
  ControlBody,
  EvaluationSettings,
  Finding,
  Mode,
  NormalizedResource,
  RelatedResources,
  RemediationPlan,
  ResourceBases,
  Severity,
} from './types.js';

/** What a control's evaluate() sees: its kinds' shapes with the fields it declared. */
export type ResourceOf<K extends ResourceKind, R extends Fields> = K extends ResourceKind
  ? ResourceBases[K] & FieldValues<R>
  : never;

/**
 * Findings of one control about one resource, carrying the control's metadata (so evaluate()
 * only states what differs, and never refers to the control object it is part of).
 */
export interface Verdict {
  pass(message: string, extra?: { ruleName?: string }): Finding;
  notApplicable(message: string): Finding;
  /**
   * The remediation is the control's `writes` unless a plan is given (NSG rules: per rule);
   * `remediation: null`: this failure has no automatic remediation.
   */
  fail(message: string, extra?: { ruleName?: string; remediation?: RemediationPlan | null }): Finding;
}

/** Everything about one control, in its own module. */
export interface ControlSpec<
  Id extends string,
  K extends ResourceKind,
  R extends Fields,
  W extends Writes<R>,
> {
  id: Id;
  title: string;
  severity: Severity;
  criteria: readonly string[];
  /** closest Azure Policy built-in definition ids (GUIDs), for auditors to cross-reference */
  azurePolicyDefinitionIds: readonly string[];
  resourceKinds: readonly K[];
  defaultMode: Mode;
  /** human description of what remediation changes */
  remediationDescription: string;
  /** properties the control judges (beyond the kind's identity, tags and NSG rules) */
  reads: R;
  /** the compliant values its remediation writes (property kinds only); {} = audit, or a per-rule plan */
  writes: W;
  /** `related`: other resources, for cross-resource controls (lib/controls/related.ts) */
  evaluate(
    resource: ResourceOf<K, R>,
    settings: EvaluationSettings,
    verdict: Verdict,
    related: RelatedResources,
  ): Finding[];
}

/** A control with its literal id, kinds, fields and writes kept in its type (the catalog derives from them). */
export type DefinedControl<Id extends string, K extends ResourceKind, R extends Fields, W> = Omit<
  ControlBody,
  'resourceKinds' | 'reads' | 'writes'
> & {
  readonly id: Id;
  readonly resourceKinds: readonly K[];
  readonly reads: R;
  readonly writes: W;
};

/** Plan kinds of the resource kinds whose remediation is "set these properties". */
const PROPERTY_PLANS: Partial<
  Record<ResourceKind, 'storage-account-properties' | 'blob-container-public-access' | 'workspace-properties'>
> = {
  storageAccount: 'storage-account-properties',
  blobContainer: 'blob-container-public-access',
  logAnalyticsWorkspace: 'workspace-properties',
};

function propertyPlan(
  kind: ResourceKind,
  writes: Readonly<Record<string, unknown>>,
): RemediationPlan | undefined {
  const planKind = PROPERTY_PLANS[kind];
  if (!planKind || Object.keys(writes).length === 0) return undefined;
  // The set's type is the catalog-wide union of writes (types.ts); this control's writes are part of it.
  return { kind: planKind, set: { ...writes } } as RemediationPlan;
}

/** A Verdict as a small object, not three closures: one is made per resource and control. */
class ResourceVerdict implements Verdict {
  constructor(
    private readonly meta: Pick<Control, 'id' | 'severity' | 'criteria'>,
    private readonly resource: NormalizedResource,
    private readonly writes: Readonly<Record<string, unknown>>,
  ) {}

  pass(message: string, extra: { ruleName?: string } = {}): Finding {
    return finding(this.meta, this.resource, 'pass', message, extra);
  }

  notApplicable(message: string): Finding {
    return finding(this.meta, this.resource, 'not-applicable', message);
  }

  fail(
    message: string,
    { remediation, ...extra }: { ruleName?: string; remediation?: RemediationPlan | null } = {},
  ): Finding {
    const plan =
      remediation === null ? undefined : (remediation ?? propertyPlan(this.resource.kind, this.writes));
    return finding(this.meta, this.resource, 'fail', message, {
      ...extra,
      ...(plan ? { remediation: plan } : {}),
    });
  }
}

export function defineControl<
  const Id extends string,
  K extends ResourceKind,
  const R extends Fields,
  const W extends Writes<R>,
>(spec: ControlSpec<Id, K, R, W>): DefinedControl<Id, K, R, W> {
  const writes: Readonly<Record<string, unknown>> = spec.writes;
  for (const name of Object.keys(writes)) {
    if (!Object.hasOwn(spec.reads, name)) throw new Error(`${spec.id} writes ${name} but does not read it`);
  }
  if (Object.keys(writes).length > 0 && spec.resourceKinds.some((kind) => !PROPERTY_PLANS[kind])) {
    throw new Error(
      `${spec.id}: property writes are only defined for storage accounts, containers and workspaces`,
    );
  }
  // A catalog control's id is a ControlId by definition: ControlId is derived from them.
  const meta = { id: spec.id as Control['id'], severity: spec.severity, criteria: [...spec.criteria] };
  const { evaluate: judge, ...data } = spec;
  return Object.freeze({
    ...data,
    id: spec.id,
    criteria: [...spec.criteria],
    azurePolicyDefinitionIds: [...spec.azurePolicyDefinitionIds],
    evaluate(
      resource: NormalizedResource,
      settings: EvaluationSettings,
      related: RelatedResources = NOTHING_RELATED,
    ): Finding[] {
      if (!(spec.resourceKinds as readonly ResourceKind[]).includes(resource.kind)) return [];
      const verdict = new ResourceVerdict(meta, resource, writes);
      // The kind check above is what makes the resource one of this control's shapes.
      return judge(resource as ResourceOf<K, R>, settings, verdict, related);
    },
  });
}
