import type { TokenCredential } from '@azure/core-auth';
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { type Config, ConfigError, SETTINGS } from '../config.js';
import { isRestError } from '../util/errors.js';

export interface TableClientOptions extends TableServiceClientOptions {
  /** identity-based storage only: the app's one credential (lib/app/app.ts); unused with a connection string */
  credential?: TokenCredential;
}

/**
 * A TableClient for `tableName` from the storage configuration: a connection string (Azurite /
 * local mode; plain http is allowed only then) or `tableServiceUri` + a token credential
 * (production managed identity; account keys are never used there).
 */
export function createTableClient(
  storage: Config['storage'],
  tableName: string,
  options: TableClientOptions = {},
): TableClient {
  const { credential, ...clientOptions } = options;
  let client: TableClient;
  if ('connectionString' in storage) {
    const insecure = /DefaultEndpointsProtocol=http;|TableEndpoint=http:\/\//i.test(storage.connectionString);
    try {
      client = TableClient.fromConnectionString(storage.connectionString, tableName, {
        ...clientOptions,
        allowInsecureConnection: clientOptions.allowInsecureConnection ?? insecure,
      });
    } catch {
      // The SDK's parse errors are cryptic ("reading 'toLowerCase'"); never echo the string (it holds the key).
      throw new ConfigError(
        SETTINGS.storageConnection,
        'is not a usable storage connection string (AccountName=…;AccountKey=…;TableEndpoint=…)',
      );
    }
  } else {
    // A programming error, not a setting: the composition root always passes its credential.
    if (!credential) throw new Error(`a token credential is required for ${SETTINGS.tableServiceUri}`);
    client = new TableClient(storage.tableServiceUri, tableName, credential, clientOptions);
  }
  return client;
}

/** Creates the table if missing; "already exists" (409) is success, anything else propagates. */
export async function ensureTable(client: TableClient): Promise<void> {
  try {
    await client.createTable();
  } catch (error) {
    if (isRestError(error) && error.statusCode === 409) return;
    throw error;
  }
}
