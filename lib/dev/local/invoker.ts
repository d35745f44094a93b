import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { InvocationContext as InvocationContextType, TriggerMetadata } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { toError } from '../../util/errors.js';

// @azure/functions is CommonJS without detectable named exports: default-import the values.
const { InvocationContext } = azureFunctions;

export type TriggerKind = 'http' | 'eventGrid' | 'timer' | 'storageQueue';

/** Binding type names as the runtime reports them in `context.options.trigger.type`. */
const TRIGGER_TYPES: Record<TriggerKind, string> = {
  http: 'httpTrigger',
  eventGrid: 'eventGridTrigger',
  timer: 'timerTrigger',
  storageQueue: 'queueTrigger',
};

export type InvocationResult<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs handlers the way the worker does — a fresh InvocationContext per call, its log methods
 * routed to one line-oriented log — and keeps track of what is running so `drain()` can wait for it.
 */
export class Invoker {
  readonly #log: (line: string) => void;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  async invoke<T>(
    functionName: string,
    trigger: TriggerKind,
    run: (context: InvocationContextType) => Promise<T>,
    triggerMetadata?: TriggerMetadata,
  ): Promise<InvocationResult<T>> {
    const invocationId = randomUUID();
    const context = new InvocationContext({
      invocationId,
      functionName,
      triggerMetadata,
      options: { trigger: { type: TRIGGER_TYPES[trigger], name: trigger === 'http' ? 'request' : trigger } },
      logHandler: (level, ...args) => this.#log(`[${functionName}] ${level}: ${format(...args)}`),
    });
    const started = performance.now();
    const execution = (async (): Promise<InvocationResult<T>> => {
      try {
        return { ok: true, value: await run(context) };
      } catch (thrown) {
        return { ok: false, error: toError(thrown) };
      }
    })();
    this.#inFlight.add(execution);
    try {
      const result = await execution;
      const duration = Math.round(performance.now() - started);
      const outcome = result.ok ? 'Succeeded' : 'Failed';
      const detail = result.ok ? '' : `: ${result.error.stack ?? result.error.message}`;
      // Same shape as the Functions host's "Executed 'Functions.x' (Succeeded, Id=…, Duration=…ms)".
      this.#log(
        `Executed 'Functions.${functionName}' (${outcome}, Trigger=${trigger}, Id=${invocationId}, Duration=${duration}ms)${detail}`,
      );
      return result;
    } finally {
      this.#inFlight.delete(execution);
    }
  }

  /** Resolves once nothing is running, including invocations started while waiting. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
