import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { type Config, ConfigError, SETTINGS } from '../config.js';
import { isRestError } from '../util/errors.js';

export interface TableClientOptions extends TableServiceClientOptions {
  /** Managed identity only: override the credential (default DefaultAzureCredential, honouring AZURE_CLIENT_ID). */
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
    const tokenCredential = credential ?? new DefaultAzureCredential();
    client = new TableClient(storage.tableServiceUri, tableName, tokenCredential, clientOptions);
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
