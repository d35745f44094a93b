/**
 * Whether a resource as read (SDK model, properties flattened) is in the middle of an ARM
 * operation. Azure can deliver an event, and a sweep can list a resource, while the write that
 * caused it still runs (`provisioningState: Updating`); judging that state would act on values
 * that may not stick, so readers wait for the operation to finish first (bounded).
 */
const RUNNING = new Set(['updating', 'creating', 'deleting', 'resolvingdns', 'accepted']);

function running(state: unknown): boolean {
  return typeof state === 'string' && RUNNING.has(state.toLowerCase());
}

export function inFlight(raw: Record<string, unknown>): boolean {
  if (running(raw.provisioningState)) return true;
  // a rule being written shows Updating on the rule inside its NSG
  const rules = raw.securityRules;
  return (
    Array.isArray(rules) &&
    rules.some((rule) => running((rule as { provisioningState?: unknown }).provisioningState))
  );
}
