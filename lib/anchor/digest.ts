/**
 * The digest format (pure: no I/O). A digest anchors the heads of the chains that changed since
 * the previous digest, and links to that digest by its hash and signature, like CloudTrail's
 * digest files. What is signed is `payload`: the canonical JSON text of the DigestBody, exactly
 * as stored in the blob, so an auditor can check it with openssl (README "Evidence trust model").
 *
 * Blob: { "payload": "<canonical JSON>", "signature": "<base64>", "algorithm": "RS256",
 *         "keyId": "<vault key id>", "publicKeyPem": "-----BEGIN PUBLIC KEY-----..." }
 */
import { canonicalJson, sha256Hex } from '../evidence/hash.js';

export const DIGEST_FORMAT = 'driftwarden-digest/1';

/** One chain's head at publication: the hash chain makes it cover records 1..sequence. */
export interface DigestChain {
  chainId: string;
  /** head sequence: the digest covers records 1..sequence of this chain */
  sequence: number;
  headHash: string;
  /** time of record 1 and of the head record, when the head row carries them */
  firstTime: string | null;
  lastTime: string | null;
}

export interface DigestBody {
  format: typeof DIGEST_FORMAT;
  /** 1, 2, 3 … without gaps: a missing number is a deleted digest */
  sequence: number;
  publishedAt: string;
  reason: 'interval' | 'sweep' | 'manual';
  keyId: string;
  algorithm: 'RS256';
  /** the previous digest's payload hash and signature (null for the first digest) */
  previous: { sequence: number; hash: string; signature: string } | null;
  chains: DigestChain[];
}

export interface DigestBlob {
  payload: string;
  signature: string;
  algorithm: 'RS256';
  keyId: string;
  publicKeyPem: string;
}

/** A digest as read back: body parsed from the payload, plus its hash. */
export interface Digest {
  name: string;
  body: DigestBody;
  blob: DigestBlob;
  /** SHA-256 hex of the payload text (what the next digest's `previous.hash` names) */
  hash: string;
}

export function digestPayload(body: DigestBody): string {
  return canonicalJson(body);
}

export function digestHash(payload: string): string {
  return sha256Hex(payload);
}

const MAX_SEQUENCE = 999_999_999_999;

/**
 * Blob names sort newest first (inverted sequence), so "latest" is a one-item listing. The name
 * depends on the sequence only: two publishers racing for one sequence race for one name.
 */
export function digestBlobName(sequence: number): string {
  const inverted = String(MAX_SEQUENCE - sequence).padStart(12, '0');
  return `digests/${inverted}-${String(sequence).padStart(12, '0')}.json`;
}

export function sequenceFromBlobName(name: string): number | null {
  const match = /^digests\/(\d{12})-(\d{12})\.json$/.exec(name);
  if (!match?.[1] || !match[2]) return null;
  const sequence = Number(match[2]);
  return MAX_SEQUENCE - Number(match[1]) === sequence ? sequence : null;
}

/** Parses a blob's text; throws with a reason when it is not a well-formed digest. */
export function parseDigest(name: string, text: string): Digest {
  const blob = JSON.parse(text) as Partial<DigestBlob>;
  if (typeof blob.payload !== 'string' || typeof blob.signature !== 'string')
    throw new Error('not a digest (payload/signature missing)');
  const body = JSON.parse(blob.payload) as DigestBody;
  if (body.format !== DIGEST_FORMAT || !Number.isInteger(body.sequence) || !Array.isArray(body.chains))
    throw new Error('payload is not a driftwarden digest');
  return {
    name,
    body,
    blob: {
      payload: blob.payload,
      signature: blob.signature,
      algorithm: 'RS256',
      keyId: String(blob.keyId ?? ''),
      publicKeyPem: String(blob.publicKeyPem ?? ''),
    },
    hash: digestHash(blob.payload),
  };
}
