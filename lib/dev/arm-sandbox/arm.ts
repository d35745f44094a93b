import { randomUUID } from 'node:crypto';

export interface ArmErrorDetail {
  code: string;
  message: string;
}

/** A failure answered ARM-style: `{ "error": { "code", "message", "details"? } }` with an HTTP status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: ArmErrorDetail[],
  ) {
    super(message);
    this.name = 'ArmError';
  }

  body(): { error: { code: string; message: string; details?: ArmErrorDetail[] } } {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

/** ARM's own 404 for a tracked (top-level) resource that does not exist. */
export function notFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** ARM's 404 for any request addressed into a resource group that does not exist. */
export function resourceGroupNotFound(resourceGroup: string): ArmError {
  return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

/** ARM's 404 for a nested resource whose parent does not exist. */
export function parentNotFound(parentName: string): ArmError {
  return new ArmError(
    404,
    'ParentResourceNotFound',
    `Can not perform requested operation on nested resource. Parent resource '${parentName}' not found.`,
  );
}

/** A 400 with an ARM error code (what the resource providers answer to invalid input). */
export function badRequest(code: string, message: string): ArmError {
  return new ArmError(400, code, message);
}

/** Network-RP style weak ETag, new on every change. */
export function newWeakEtag(): string {
  return `W/"${randomUUID()}"`;
}

/** Storage data-plane style ETag used on blob containers. */
export function newStorageEtag(): string {
  return `"0x8D${randomUUID().replace(/-/g, '').slice(0, 13).toUpperCase()}"`;
}

export function lower(value: string): string {
  return value.toLowerCase();
}

/** `If-Match` / `If-None-Match` as ARM applies them to a resource that may or may not exist. */
export function checkPreconditions(
  headers: { ifMatch?: string; ifNoneMatch?: string },
  currentEtag: string | undefined,
  exists: boolean,
): void {
  const { ifMatch, ifNoneMatch } = headers;
  if (ifMatch !== undefined && ifMatch !== '') {
    const ok = ifMatch.trim() === '*' ? exists : exists && etagList(ifMatch).includes(currentEtag ?? '');
    if (!ok) {
      throw new ArmError(
        412,
        'PreconditionFailed',
        `Precondition failed: the If-Match ETag ${ifMatch} does not match the current ETag of the resource.`,
      );
    }
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() === '*' && exists) {
    throw new ArmError(
      412,
      'PreconditionFailed',
      'Precondition failed: the resource already exists (If-None-Match: *).',
    );
  }
}

function etagList(header: string): string[] {
  return header.split(',').map((part) => part.trim());
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge for PATCH: objects merge, everything else (arrays included) replaces. */
export function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const existing = out[key];
    out[key] = isRecord(existing) && isRecord(value) ? mergePatch(existing, value) : value;
  }
  return out;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
