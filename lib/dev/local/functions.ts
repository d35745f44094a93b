import type { EventGridEvent, Timer } from '@azure/functions';
import type { FunctionDefinition } from '../../host/registration.js';
import type { InvocationResult, Invoker } from './invoker.js';
import { timerInfo } from './timer-scheduler.js';

export type HttpFunction = Extract<FunctionDefinition, { kind: 'http' }>;
export type TimerFunction = Extract<FunctionDefinition, { kind: 'timer' }>;
export type QueueFunction = Extract<FunctionDefinition, { kind: 'storageQueue' }>;

function parseJsonInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

/**
 * The functions the local host serves, found by name as the runtime does (case-insensitive), and
 * how a non-HTTP one is run with the input its trigger would provide (webhook, admin, timers, runNow).
 */
export class FunctionTable {
  readonly all: readonly FunctionDefinition[];
  readonly #byName = new Map<string, FunctionDefinition>();
  readonly #invoker: Invoker;

  /** Throws on a name defined twice. */
  constructor(definitions: readonly FunctionDefinition[], invoker: Invoker) {
    for (const definition of definitions) {
      const key = definition.name.toLowerCase();
      if (this.#byName.has(key)) throw new Error(`Function "${definition.name}" is defined twice`);
      this.#byName.set(key, definition);
    }
    this.all = definitions;
    this.#invoker = invoker;
  }

  find(name: string): FunctionDefinition | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** Runs a non-HTTP function: `input` is the event (eventGrid) or the message (storageQueue; a JSON string is parsed). */
  runNonHttp(definition: FunctionDefinition, input: unknown, timer?: Timer): Promise<InvocationResult<void>> {
    const invoker = this.#invoker;
    switch (definition.kind) {
      case 'timer':
        return invoker.invoke(definition.name, 'timer', (context) =>
          definition.handler(timer ?? timerInfo(null, null, false), context),
        );
      case 'eventGrid':
        return invoker.invoke(definition.name, 'eventGrid', (context) =>
          // CloudEvents arrive as-is too: the worker hands the handler whatever JSON was delivered.
          definition.handler(parseJsonInput(input) as EventGridEvent, context),
        );
      case 'storageQueue':
        return invoker.invoke(definition.name, 'storageQueue', (context) =>
          definition.handler(parseJsonInput(input), context),
        );
      case 'http':
        throw new Error(
          `Function "${definition.name}" is HTTP-triggered: call it under /api/${definition.route}`,
        );
    }
  }
}
