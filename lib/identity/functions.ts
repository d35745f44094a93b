import type { InvocationContext, Timer } from '@azure/functions';
import { appFromEnvironment } from '../app/app.js';
import type { FunctionDefinition } from '../host/registration.js';
import { dailyRunId, type IdentityRuntime, runIdentityValidation } from './run.js';

/** The identity runtime, or null when identity validation is switched off (DW_IDENTITY_ENABLED=false). */
export type IdentityRuntimeGetter = () => Promise<IdentityRuntime | null>;

export const identityRuntimeFromEnvironment: IdentityRuntimeGetter = async () =>
  (await appFromEnvironment()).identity();

export function identityValidationHandler(
  getRuntime: IdentityRuntimeGetter = identityRuntimeFromEnvironment,
) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const runtime = await getRuntime();
    if (!runtime) {
      context.log('identity validation: DW_IDENTITY_ENABLED is false, nothing to do');
      return;
    }
    const result = await runIdentityValidation(runtime, {
      runId: dailyRunId(runtime.clock()),
      trigger: 'sweep',
    });
    for (const finding of result.findings.filter((f) => f.status === 'fail').slice(0, 20))
      context.warn(`${finding.controlId} ${finding.resourceId}: ${finding.message}`);
    if (timer.isPastDue) context.log('identity validation: the timer was past due');
  };
}

/** The timer functions/identityValidation.ts registers (daily by default: %DW_IDENTITY_SCHEDULE%). */
export function identityValidationDefinition(
  getRuntime: IdentityRuntimeGetter = identityRuntimeFromEnvironment,
): FunctionDefinition {
  return {
    kind: 'timer',
    name: 'identityValidation',
    // resolved by the Functions host from the app settings (infra sets it; default '0 0 4 * * *')
    schedule: '%DW_IDENTITY_SCHEDULE%',
    handler: identityValidationHandler(getRuntime),
  };
}
