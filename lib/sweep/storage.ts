import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { type Config, ConfigError, SETTINGS } from '../config.js';

/**
 * Blob container and queue clients from the storage configuration, like lib/azure/tables.ts:
 * a connection string locally (Azurite), `DW_STORAGE__blobServiceUri` / `__queueServiceUri` plus
 * a token credential (managed identity) in Azure. The queue-triggered function's `connection:
 * 'DW_STORAGE'` resolves the very same settings in the Functions runtime.
 */

export function createReportsContainerClient(config: Config, credential: TokenCredential): ContainerClient {
  if ('connectionString' in config.storage) {
    return BlobServiceClient.fromConnectionString(config.storage.connectionString).getContainerClient(
      config.reportsContainer,
    );
  }
  if (!config.storage.blobServiceUri) {
    throw new ConfigError(SETTINGS.blobServiceUri, 'required for the sweep reports (identity-based storage)');
  }
  return new BlobServiceClient(config.storage.blobServiceUri, credential).getContainerClient(
    config.reportsContainer,
  );
}

export function createSweepQueueClient(config: Config, credential: TokenCredential): QueueClient {
  if ('connectionString' in config.storage)
    return new QueueClient(config.storage.connectionString, config.sweepQueue);
  if (!config.storage.queueServiceUri) {
    throw new ConfigError(
      SETTINGS.queueServiceUri,
      'required for the sweep fan-out queue (identity-based storage)',
    );
  }
  return new QueueClient(`${config.storage.queueServiceUri}/${config.sweepQueue}`, credential);
}
