/** Long-running-operation glue shared by the resource-provider routes. */
import { ArmError } from '../arm.js';
import type { ArmReply, RequestContext, SandboxCore } from '../context.js';
import { type Operation, operationResultUrl, type Provider, retryAfterSeconds } from '../lro.js';
import type { ArmResource } from '../types.js';
import { routeParams } from './input.js';

/**
 * Starts this request's long-running operation in the subscription of the path, at `resource`'s
 * location; the operation holds `resource` (named `name` in the RP's errors) until it completes.
 */
export function startOperation(
  ctx: RequestContext,
  core: SandboxCore,
  provider: Provider,
  resource: ArmResource,
  finish: () => ArmResource | undefined,
  name: string,
): Operation {
  return core.operations.start(
    provider,
    routeParams(ctx)[0],
    resource.location ?? 'eastus',
    ctx.apiVersion,
    finish,
    { name, holds: resource.id },
  );
}

/** ARM's 400 for a create without a location (every tracked resource needs one). */
export function requireLocation(body: { location?: unknown }): void {
  if (typeof body.location !== 'string')
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content is missing required property: location.',
    );
}

/**
 * A create answered 202 as the RP does: `created` is stored already (in its transitional state) and
 * the operation sets it Succeeded and publishes the write event when it completes; `what` names the
 * resource in the cancellation error if it is deleted first.
 */
export function acceptCreate(
  ctx: RequestContext,
  core: SandboxCore,
  provider: Provider,
  created: ArmResource,
  change: { type: string; what: string; operation: string },
): ArmReply {
  const operation = startOperation(
    ctx,
    core,
    provider,
    created,
    () => {
      const current = core.store.get(created.id);
      if (!current) throw operationCanceled(`The ${change.what} was deleted before its creation completed.`);
      current.properties.provisioningState = 'Succeeded';
      core.recordChange(ctx, 'write', change.type, current.id, current);
      return current;
    },
    change.operation,
  );
  return { status: 202, headers: { location: operationResultUrl(ctx.baseUrl, operation) } };
}

/**
 * The network RP's answer to a write while another operation holds the resource: 429
 * RetryableError with a RetryableErrorDueToAnotherOperation detail and Retry-After (as recorded
 * from Azure, e.g. a second security rule PUT during PutSecurityRuleOperation).
 */
export function refuseWhileBusy(core: SandboxCore, resourceId: string): void {
  const running = core.operations.runningOn(resourceId);
  if (!running) return;
  const seconds = retryAfterSeconds(running);
  throw new ArmError(429, 'RetryableError', 'A retryable error occurred.', { 'retry-after': seconds }, [
    {
      code: 'RetryableErrorDueToAnotherOperation',
      message: `Operation ${running.name} (${running.id}) is updating resource ${resourceId}. The call can be retried in ${seconds} seconds.`,
    },
  ]);
}

/** The failure of an operation whose resource went away before it completed. */
export function operationCanceled(message: string): ArmError {
  return new ArmError(409, 'OperationCanceled', message);
}

/** The operation named by the path's third parameter, if `provider` started it; 404 otherwise. */
export function operationOf(ctx: RequestContext, core: SandboxCore, provider: Provider): Operation {
  const id = ctx.params[2] ?? '';
  const operation = core.operations.get(id);
  if (operation?.provider !== provider) {
    throw new ArmError(404, 'OperationNotFound', `The operation '${id}' was not found.`);
  }
  return operation;
}

/** A `Location` poll of an operation still running (202) or failed (500); undefined once it succeeded. */
export function unfinishedPoll(ctx: RequestContext, operation: Operation): ArmReply | undefined {
  if (operation.status === 'InProgress') {
    return {
      status: 202,
      headers: {
        location: operationResultUrl(ctx.baseUrl, operation),
        'retry-after': retryAfterSeconds(operation),
      },
    };
  }
  if (operation.status === 'Failed') return { status: 500, body: { error: operation.error } };
  return undefined;
}
