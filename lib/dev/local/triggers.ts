import { QueueClient } from '@azure/storage-queue';
import { resolveAppSettings } from './app-settings.js';
import type { FunctionTable, QueueFunction, TimerFunction } from './functions.js';
import type { Invoker } from './invoker.js';
import { type NcrontabSchedule, parseNcrontab } from './ncrontab.js';
import { type QueueLimits, QueuePoller } from './queue-poller.js';
import { TimerScheduler } from './timer-scheduler.js';

/**
 * The triggers that fire on their own: timers on their NCRONTAB schedule (UTC) and storage-queue
 * triggers polling Azurite. Planning resolves `%SETTING%` references and parses schedules, so a
 * bad definition fails before the host opens its port; starting sets the timers and pollers going.
 */
export interface TriggerPlan {
  timers: Array<{ definition: TimerFunction; schedule: NcrontabSchedule }>;
  queues: Array<{ definition: QueueFunction; queueName: string; connectionString: string }>;
}

export function planTriggers(
  functions: FunctionTable,
  settings: Readonly<Record<string, string | undefined>>,
  queueConnectionString: string | undefined,
): TriggerPlan {
  const plan: TriggerPlan = { timers: [], queues: [] };
  for (const definition of functions.all) {
    if (definition.kind === 'timer') {
      const where = `Function "${definition.name}" schedule`;
      const schedule = parseNcrontab(resolveAppSettings(definition.schedule, settings, where));
      plan.timers.push({ definition, schedule });
    } else if (definition.kind === 'storageQueue') {
      const where = `Function "${definition.name}" queueName`;
      const queueName = resolveAppSettings(definition.queueName, settings, where);
      const connectionString = queueConnectionString ?? settings[definition.connection];
      if (!connectionString) {
        throw new Error(
          `Function "${definition.name}" needs a storage queue: pass queueConnectionString (Azurite) or set ${definition.connection}`,
        );
      }
      plan.queues.push({ definition, queueName, connectionString });
    }
  }
  return plan;
}

export interface TriggerOptions {
  functions: FunctionTable;
  invoker: Invoker;
  log: (line: string) => void;
  /** false: no timers (queue triggers still poll) */
  enableTimers: boolean;
  queuePolling?: Partial<Pick<QueueLimits, 'minPollMs' | 'maxPollMs'>>;
}

export interface RunningTriggers {
  /** Stops timers and pollers; resolves when their current runs and received messages are done. */
  stop(): Promise<void>;
}

export function startTriggers(plan: TriggerPlan, options: TriggerOptions): RunningTriggers {
  const { functions, invoker, log } = options;
  const timers = options.enableTimers
    ? plan.timers.map(({ definition, schedule }) => {
        const scheduler = new TimerScheduler(schedule, (timer) =>
          functions.runNonHttp(definition, undefined, timer),
        );
        scheduler.start();
        log(
          `[${definition.name}] timer "${schedule.expression}" (UTC), next run ${scheduler.nextOccurrence?.toISOString() ?? 'never'}`,
        );
        return scheduler;
      })
    : [];

  const pollers = plan.queues.map(({ definition, queueName, connectionString }) => {
    const poller = new QueuePoller({
      functionName: definition.name,
      queue: new QueueClient(connectionString, queueName),
      poisonQueue: new QueueClient(connectionString, `${queueName}-poison`),
      log,
      settings: options.queuePolling,
      handle: async (value, message) => {
        // The decoded message goes straight to the handler, with the metadata the extension binds.
        const result = await invoker.invoke(
          definition.name,
          'storageQueue',
          (context) => definition.handler(value, context),
          {
            id: message.messageId,
            dequeueCount: message.dequeueCount,
            insertionTime: message.insertedOn.toISOString(),
            expirationTime: message.expiresOn.toISOString(),
            nextVisibleTime: message.nextVisibleOn.toISOString(),
            popReceipt: message.popReceipt,
          },
        );
        return result.ok;
      },
    });
    poller.start();
    log(`[${definition.name}] polling queue "${queueName}"`);
    return poller;
  });

  return {
    async stop() {
      await Promise.all([...timers.map((timer) => timer.stop()), ...pollers.map((poller) => poller.stop())]);
    },
  };
}
