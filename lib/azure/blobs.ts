import type { ContainerClient } from '@azure/storage-blob';
import { isRestError } from '../util/errors.js';

/**
 * Write-once blob helpers shared by the report stores (monthly sweep reports, period reports) and
 * the digest store: their containers are WORM in Azure, and blobs are created with If-None-Match *.
 */

/** 409 BlobAlreadyExists / 412 (If-None-Match) / immutability refusals: the blob is already there. */
export function blobAlreadyExists(error: unknown): boolean {
  return isRestError(error) && (error.statusCode === 409 || error.statusCode === 412);
}

/** Creates the container on first use, once per process; a failure is not cached (retried next call). */
export function containerOnce(container: ContainerClient): () => Promise<unknown> {
  let ensured: Promise<unknown> | null = null;
  return () => {
    ensured ??= container.createIfNotExists().catch((error: unknown) => {
      ensured = null;
      throw error;
    });
    return ensured;
  };
}
