/**
 * A person as evidence and exceptions record them: the Entra object id (what identity checks
 * compare) and a name for humans. Either may be missing on older records or unsigned inputs.
 */
export interface Identity {
  objectId: string | null;
  name: string;
}

/**
 * Whether two identities are the same person: object ids when both have one, else the names
 * (case-insensitive UPNs). Separation of duties is judged with this.
 */
export function samePerson(
  a: { objectId?: string | null; name?: string | null } | null,
  b: { objectId?: string | null; name?: string | null } | null,
): boolean {
  if (!a || !b) return false;
  if (a.objectId && b.objectId) return a.objectId.toLowerCase() === b.objectId.toLowerCase();
  return !!a.name && !!b.name && a.name.trim().toLowerCase() === b.name.trim().toLowerCase();
}
