import { setTimeout as sleep } from 'node:timers/promises';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { decodeQueueMessage } from '../../azure/queue-message.js';
import { isRestError, toError } from '../../util/errors.js';

/**
 * Queue-trigger semantics of the Functions host (Microsoft.Azure.WebJobs.Extensions.Storage.Queues),
 * with the values our host.json sets (`extensions.queues`):
 * - receive up to `batchSize` messages, each hidden for 10 minutes while it runs, processed in parallel;
 * - success → delete; failure → make it visible again after `visibilityTimeout` (host default 0 s);
 * - after `maxDequeueCount` failed attempts → copy to `<queue>-poison` and delete;
 * - text that is not Base64 → straight to the poison queue (the extension's decoding-failed path);
 * - polling backs off exponentially while the queue is empty.
 */
export interface QueueLimits {
  batchSize: number;
  maxDequeueCount: number;
  retryVisibilitySeconds: number;
  processingVisibilitySeconds: number;
  minPollMs: number;
  maxPollMs: number;
}

export const QUEUE_DEFAULTS: Readonly<QueueLimits> = {
  batchSize: 8, // host.json extensions.queues.batchSize
  maxDequeueCount: 5, // host.json extensions.queues.maxDequeueCount
  retryVisibilitySeconds: 0, // host default extensions.queues.visibilityTimeout
  processingVisibilitySeconds: 600,
  minPollMs: 250,
  maxPollMs: 2000,
};

export interface QueuePollerOptions {
  functionName: string;
  queue: QueueClient;
  poisonQueue: QueueClient;
  /** Runs the handler; resolves false when it failed (already logged by the invoker). */
  handle: (value: unknown, message: DequeuedMessageItem) => Promise<boolean>;
  log: (line: string) => void;
  settings?: Partial<QueueLimits>;
}

export class QueuePoller {
  readonly #options: QueuePollerOptions;
  readonly #limits: QueueLimits;
  readonly #abort = new AbortController();
  #loop: Promise<void> | null = null;
  #lastError: string | null = null;

  constructor(options: QueuePollerOptions) {
    this.#options = options;
    this.#limits = { ...QUEUE_DEFAULTS, ...options.settings };
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling and resolves after the messages already received have been processed. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let delay = this.#limits.minPollMs;
    while (!signal.aborted) {
      let received = 0;
      try {
        received = await this.#pollOnce(signal);
        this.#lastError = null;
      } catch (thrown) {
        if (signal.aborted) break;
        this.#reportError(thrown);
      }
      delay = received > 0 ? this.#limits.minPollMs : Math.min(delay * 2, this.#limits.maxPollMs);
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        break; // aborted
      }
    }
  }

  #reportError(thrown: unknown): void {
    const error = toError(thrown);
    const queueMissing = isRestError(thrown) && thrown.statusCode === 404;
    const text = queueMissing
      ? `queue "${this.#options.queue.name}" does not exist yet; waiting for it`
      : `polling queue "${this.#options.queue.name}" failed: ${error.message}`;
    // Log a persistent condition once, not every poll.
    if (text !== this.#lastError) this.#options.log(`[${this.#options.functionName}] ${text}`);
    this.#lastError = text;
  }

  async #pollOnce(signal: AbortSignal): Promise<number> {
    const { receivedMessageItems } = await this.#options.queue.receiveMessages({
      numberOfMessages: this.#limits.batchSize,
      visibilityTimeout: this.#limits.processingVisibilitySeconds,
      abortSignal: signal,
    });
    // Messages already taken off the queue are finished even while stopping (stop() waits for them).
    await Promise.all(receivedMessageItems.map((message) => this.#process(message)));
    return receivedMessageItems.length;
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const { functionName } = this.#options;
    try {
      if (message.dequeueCount > this.#limits.maxDequeueCount) {
        await this.#poison(message, `dequeued ${message.dequeueCount} times`);
        return;
      }
      const decoded = decodeQueueMessage(message.messageText);
      if (!decoded.ok) {
        await this.#poison(message, decoded.reason);
        return;
      }
      const succeeded = await this.#options.handle(decoded.value, message);
      if (succeeded) {
        await this.#options.queue.deleteMessage(message.messageId, message.popReceipt);
      } else if (message.dequeueCount >= this.#limits.maxDequeueCount) {
        await this.#poison(message, `failed ${message.dequeueCount} times`);
      } else {
        // Pass the text back unchanged: updateMessage without text would blank the message.
        await this.#options.queue.updateMessage(
          message.messageId,
          message.popReceipt,
          message.messageText,
          this.#limits.retryVisibilitySeconds,
        );
      }
    } catch (thrown) {
      // Settling failed (e.g. the pop receipt expired); the message reappears after its visibility timeout.
      this.#options.log(
        `[${functionName}] could not settle queue message ${message.messageId}: ${toError(thrown).message}`,
      );
    }
  }

  async #poison(message: DequeuedMessageItem, reason: string): Promise<void> {
    const { poisonQueue, queue, functionName, log } = this.#options;
    await poisonQueue.createIfNotExists();
    await poisonQueue.sendMessage(message.messageText);
    await queue.deleteMessage(message.messageId, message.popReceipt);
    log(`[${functionName}] moved message ${message.messageId} to queue "${poisonQueue.name}" (${reason})`);
  }
}
