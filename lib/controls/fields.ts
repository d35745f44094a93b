/**
 * How a control declares the resource properties it reads. The normaliser reads exactly these
 * (lib/resources/normalize.ts), evidence records them as the control's before/after state, and
 * restore writes the written ones back (lib/remediation/state.ts, lib/azure/resources.ts).
 */

export type FieldType = 'flag' | 'text' | 'choice' | 'count';

export interface FieldSpec<T extends FieldType = FieldType> {
  /**
   * flag: true/false, also 0/1 (Resource Notifications) and "true"/"false"; text: a string;
   * choice: one of `values`, matched case-insensitively and returned in Azure's casing;
   * count: a non-negative whole number (also given as a digit string).
   */
  type: T;
  /**
   * Path as ARM REST names it, under `properties` (e.g. ['networkAcls', 'defaultAction']). The
   * first segment is also looked up at the top level: that is the flattened `az ... show` / SDK shape.
   */
  arm: readonly string[];
  /** The az CLI / SDK spelling when it differs (e.g. ['enableHttpsTrafficOnly']); also what writes use. */
  sdk?: readonly string[];
  /** choice only: the allowed values, in Azure's casing */
  values?: readonly string[];
  /**
   * For written fields: what restore writes when the recorded before-value is null (absent cannot
   * be PATCHed back to absent, so its effective meaning is written). Omitted: a null is skipped.
   */
  restoreNullAs?: boolean | string | number;
}

export type Fields = Readonly<Record<string, FieldSpec>>;

/** The normalised value of a field: null when the resource does not report it. */
export type FieldValue<S extends FieldSpec> = S['type'] extends 'flag'
  ? boolean | null
  : S['type'] extends 'count'
    ? number | null
    : string | null;

export type FieldValues<R> = { -readonly [K in keyof R]: R[K] extends FieldSpec ? FieldValue<R[K]> : never };

/** Compliant values a control's remediation writes: some of the fields it reads. */
export type Writes<R extends Fields> = { readonly [K in keyof R]?: NonNullable<FieldValue<R[K]>> };

type SpecOptions = Pick<FieldSpec, 'sdk' | 'restoreNullAs'>;

export function flag(arm: readonly string[], options: SpecOptions = {}): FieldSpec<'flag'> {
  return { type: 'flag', arm, ...options };
}

export function text(arm: readonly string[], options: SpecOptions = {}): FieldSpec<'text'> {
  return { type: 'text', arm, ...options };
}

export function count(arm: readonly string[], options: SpecOptions = {}): FieldSpec<'count'> {
  return { type: 'count', arm, ...options };
}

export function choice(arm: readonly string[], values: readonly string[]): FieldSpec<'choice'> {
  return { type: 'choice', arm, values };
}

/** Label for messages: the ARM path, dotted. */
export function fieldLabel(spec: FieldSpec): string {
  return spec.arm.join('.');
}
