/**
 * The anchoring parts built from configuration: the Key Vault signer, the digest container and
 * the publisher. Production: the app's managed identity, *.vault.azure.net, identity-based blob
 * storage. Local mode and tests: the Key Vault stand-in (lib/dev/key-vault) and Azurite.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';
import type { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type Config, ConfigError, SETTINGS, type SigningKeyRef } from '../config.js';
import { DigestStore } from './digest-store.js';
import { DigestPublisher } from './publisher.js';
import { type DigestSigner, KeyVaultDigestSigner } from './signer.js';

export interface KeyVaultConnection {
  credential: TokenCredential;
  /** e.g. the local stand-in's TLS agent */
  clientOptions?: CommonClientOptions;
}

export function createDigestContainerClient(
  config: Pick<Config, 'storage' | 'digestContainer'>,
  credential: TokenCredential,
): ContainerClient {
  if ('connectionString' in config.storage) {
    return BlobServiceClient.fromConnectionString(config.storage.connectionString).getContainerClient(
      config.digestContainer,
    );
  }
  if (!config.storage.blobServiceUri)
    throw new ConfigError(
      SETTINGS.blobServiceUri,
      'required for the evidence digests (identity-based storage)',
    );
  return new BlobServiceClient(config.storage.blobServiceUri, credential).getContainerClient(
    config.digestContainer,
  );
}

/** A vault on loopback (the stand-in) cannot pass the SDK's *.vault.azure.net challenge check. */
function isLoopback(vaultUrl: string): boolean {
  const host = new URL(vaultUrl).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export function createSigner(key: SigningKeyRef, connection: KeyVaultConnection): DigestSigner {
  return new KeyVaultDigestSigner({
    vaultUrl: key.vaultUrl,
    keyName: key.name,
    ...(key.version ? { keyVersion: key.version } : {}),
    credential: connection.credential,
    ...(connection.clientOptions ? { clientOptions: connection.clientOptions } : {}),
    disableChallengeResourceVerification: isLoopback(key.vaultUrl),
  });
}

export interface Anchoring {
  signer: DigestSigner;
  digests: DigestStore;
  publisher: DigestPublisher;
  intervalMs: number;
}

export function createAnchoring(
  config: Config,
  parts: {
    table: TableClient;
    storageCredential: TokenCredential;
    keyVault: KeyVaultConnection;
    clock: () => Date;
    log: (line: string) => void;
  },
): Anchoring | null {
  if (!config.signingKey) return null;
  const signer = createSigner(config.signingKey, parts.keyVault);
  const digests = new DigestStore(createDigestContainerClient(config, parts.storageCredential));
  const publisher = new DigestPublisher({
    table: parts.table,
    digests,
    signer,
    clock: parts.clock,
    log: parts.log,
  });
  return { signer, digests, publisher, intervalMs: config.digestIntervalSeconds * 1000 };
}

/** A record not anchored this long after it was written is overdue (verify: digest-missing). */
export function overdueMs(config: Pick<Config, 'digestIntervalSeconds'>): number {
  return 2 * config.digestIntervalSeconds * 1000 + 120_000;
}
