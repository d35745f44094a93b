import type { TenantSnapshot } from '../identity/snapshot.js';
import type { DefinedControl } from './define.js';
import type { IdentitySettings } from './identity-settings.js';
import type { Control, Finding, FindingStatus, Severity } from './types.js';

/**
 * Tenant-level controls (the identity controls): they judge the tenant's identity configuration
 * read from Microsoft Graph, not an ARM resource. They are catalog controls like any other (ids,
 * metadata, modes, exceptions, evidence, the API) with no resource kinds, no fields and no writes,
 * so every resource path passes them by; `evaluateTenant` judges a snapshot instead. Audit only:
 * driftwarden never writes identity policy (a wrong write locks people out).
 */

/** What a tenant finding is about: a role, a user or an app, with an id exceptions can scope. */
export interface TenantSubject {
  id: string;
  type: string;
}

export interface TenantVerdict {
  pass(subject: TenantSubject, message: string): Finding;
  fail(subject: TenantSubject, message: string): Finding;
  notApplicable(subject: TenantSubject, message: string): Finding;
}

export interface TenantControlSpec<Id extends string> {
  id: Id;
  title: string;
  severity: Severity;
  criteria: readonly string[];
  /** closest Azure Policy built-in definition ids (GUIDs), for auditors to cross-reference */
  azurePolicyDefinitionIds: readonly string[];
  /** what an administrator should change (driftwarden only reports) */
  remediationDescription: string;
  evaluate(snapshot: TenantSnapshot, settings: IdentitySettings, verdict: TenantVerdict): Finding[];
}

export type TenantControl<Id extends string = string> = DefinedControl<
  Id,
  never,
  Record<never, never>,
  Record<never, never>
> & {
  readonly scope: 'tenant';
  evaluateTenant(snapshot: TenantSnapshot, settings: IdentitySettings): Finding[];
};

export function isTenantControl(control: Control | TenantControl): control is Control & TenantControl {
  return (control as { scope?: unknown }).scope === 'tenant';
}

export function defineTenantControl<const Id extends string>(spec: TenantControlSpec<Id>): TenantControl<Id> {
  const meta = { controlId: spec.id as Control['id'], severity: spec.severity, criteria: [...spec.criteria] };
  const make =
    (status: FindingStatus) =>
    (subject: TenantSubject, message: string): Finding => ({
      resourceId: subject.id,
      resourceType: subject.type,
      controlId: meta.controlId,
      status,
      severity: meta.severity,
      criteria: [...meta.criteria],
      message,
    });
  const verdict: TenantVerdict = {
    pass: make('pass'),
    fail: make('fail'),
    notApplicable: make('not-applicable'),
  };
  const { evaluate: judge, ...data } = spec;
  return Object.freeze({
    ...data,
    scope: 'tenant' as const,
    criteria: [...spec.criteria],
    azurePolicyDefinitionIds: [...spec.azurePolicyDefinitionIds],
    resourceKinds: [] as const,
    defaultMode: 'audit' as const,
    reads: {},
    writes: {},
    // No ARM resource is of a tenant control's kind.
    evaluate: (): Finding[] => [],
    evaluateTenant: (snapshot: TenantSnapshot, settings: IdentitySettings) =>
      judge(snapshot, settings, verdict),
  });
}
