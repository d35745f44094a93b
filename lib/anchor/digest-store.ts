/**
 * Digest blobs in their own container. In Azure the container has a time-based immutability
 * policy (infra/modules/evidence-anchor.bicep): the app can create blobs, nobody can overwrite or
 * delete them for the retention period. Azurite does not enforce immutability, so every create is
 * also conditional (If-None-Match: *): two publishers racing for the same sequence cannot
 * overwrite each other — the loser gets 409 and re-reads the latest digest.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { blobAlreadyExists } from '../azure/blobs.js';
import { type Digest, type DigestBlob, parseDigest, sequenceFromBlobName } from './digest.js';

export interface DigestStoreStats {
  /** blob operations: list calls, downloads, creates */
  blobOperations: number;
}

export class DigestExistsError extends Error {
  constructor(readonly blobName: string) {
    super(`digest ${blobName} already exists`);
    this.name = 'DigestExistsError';
  }
}

export interface DigestListing {
  name: string;
  /** from the name; null when the name is not ours */
  sequence: number | null;
  /** publishedAt from the blob's metadata (period filters without downloads); NaN when absent */
  time: number;
}

export class DigestStore {
  readonly stats: DigestStoreStats = { blobOperations: 0 };
  private ensured = false;

  constructor(readonly container: ContainerClient) {}

  async ensureContainer(): Promise<void> {
    if (this.ensured) return;
    this.stats.blobOperations++;
    await this.container.createIfNotExists();
    this.ensured = true;
  }

  /** The newest digest (one-item listing, names sort newest first), or null when none exists. */
  async latest(): Promise<Digest | null> {
    await this.ensureContainer();
    this.stats.blobOperations++;
    const page = await this.container.listBlobsFlat({ prefix: 'digests/' }).byPage({ maxPageSize: 1 }).next();
    const first = page.done ? undefined : page.value.segment.blobItems[0];
    return first ? this.read(first.name) : null;
  }

  /** Every digest blob name (newest first), without downloading. */
  async list(): Promise<DigestListing[]> {
    const out: DigestListing[] = [];
    await this.ensureContainer();
    const pages = this.container
      .listBlobsFlat({ prefix: 'digests/', includeMetadata: true })
      .byPage({ maxPageSize: 5000 });
    for await (const page of pages) {
      this.stats.blobOperations++;
      for (const item of page.segment.blobItems)
        out.push({
          name: item.name,
          sequence: sequenceFromBlobName(item.name),
          time: Date.parse(item.metadata?.publishedat ?? ''),
        });
    }
    return out;
  }

  async read(name: string): Promise<Digest> {
    this.stats.blobOperations++;
    const buffer = await this.container.getBlockBlobClient(name).downloadToBuffer();
    return parseDigest(name, buffer.toString('utf8'));
  }

  async readText(name: string): Promise<string> {
    this.stats.blobOperations++;
    return (await this.container.getBlockBlobClient(name).downloadToBuffer()).toString('utf8');
  }

  /** Creates a digest blob; DigestExistsError when that name exists (a concurrent publisher). */
  async create(name: string, blob: DigestBlob, publishedAt: string): Promise<void> {
    await this.ensureContainer();
    const text = JSON.stringify(blob, null, 1);
    this.stats.blobOperations++;
    try {
      await this.container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
        metadata: { publishedat: publishedAt },
      });
    } catch (error) {
      if (blobAlreadyExists(error)) throw new DigestExistsError(name);
      throw error;
    }
  }
}
