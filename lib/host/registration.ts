import type {
  EventGridEvent,
  HttpRequest,
  HttpResponseInit,
  InvocationContext,
  Timer,
} from '@azure/functions';
import azureFunctions from '@azure/functions';

// @azure/functions is CommonJS without detectable named exports: default-import the values.
const { app } = azureFunctions;

/**
 * Every Azure Function is described once, as data, here. `functions/*.ts` call `register()`, which
 * hands the definition to the Functions runtime; local mode (lib/dev/local) serves the very same list,
 * so names, routes, schedules and auth levels have a single source.
 */
export type FunctionDefinition =
  | {
      kind: 'http';
      name: string;
      route: string; // relative to /api/, Functions route template syntax e.g. 'remediations/{id}'
      methods: ('GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE')[];
      authLevel: 'anonymous' | 'function';
      handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
    }
  | {
      kind: 'eventGrid';
      name: string;
      handler: (event: EventGridEvent, context: InvocationContext) => Promise<void>;
    }
  | {
      kind: 'timer';
      name: string;
      /** 6-field NCRONTAB, or a %SETTING% reference resolved from app settings */
      schedule: string;
      handler: (timer: Timer, context: InvocationContext) => Promise<void>;
    }
  | {
      kind: 'storageQueue';
      name: string;
      /** queue name, or a %SETTING% reference resolved from app settings */
      queueName: string;
      /** app-setting prefix of the storage connection (identity-based: <prefix>__queueServiceUri) */
      connection: string;
      handler: (message: unknown, context: InvocationContext) => Promise<void>;
    };

const registered: FunctionDefinition[] = [];

/** All definitions registered so far (local mode serves these). */
export function registeredFunctions(): readonly FunctionDefinition[] {
  return registered;
}

export function register(definition: FunctionDefinition): FunctionDefinition {
  if (registered.some((existing) => existing.name === definition.name)) {
    throw new Error(`Function "${definition.name}" is registered twice`);
  }
  registered.push(definition);
  switch (definition.kind) {
    case 'http':
      app.http(definition.name, {
        route: definition.route,
        methods: definition.methods,
        authLevel: definition.authLevel,
        handler: definition.handler,
      });
      break;
    case 'eventGrid':
      app.eventGrid(definition.name, { handler: definition.handler });
      break;
    case 'timer':
      app.timer(definition.name, { schedule: definition.schedule, handler: definition.handler });
      break;
    case 'storageQueue':
      app.storageQueue(definition.name, {
        queueName: definition.queueName,
        connection: definition.connection,
        handler: definition.handler,
      });
      break;
  }
  return definition;
}
