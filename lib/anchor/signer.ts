/**
 * Signs digests with an Azure Key Vault key (RSA-HSM, RS256) through @azure/keyvault-keys. The
 * private key never leaves the vault: the app's identity may only `sign` (and read the public
 * part). RS256 = RSASSA-PKCS1-v1_5 over SHA-256, what `openssl dgst -sha256 -verify` checks by
 * default, so an auditor needs no driftwarden code to check a digest.
 */
import { createPublicKey, createVerify } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';
import { CryptographyClient, KeyClient, type KeyVaultKey } from '@azure/keyvault-keys';

export const SIGNATURE_ALGORITHM = 'RS256';

export interface DigestSigner {
  /** versioned key id of the signing key, e.g. https://vault/keys/name/version */
  keyId(): Promise<string>;
  /** public key as SPKI PEM (openssl-ready) */
  publicKeyPem(): Promise<string>;
  /** RS256 signature over `payload` (hashed locally, the hash signed in the vault) */
  sign(payload: Buffer): Promise<{ signature: Buffer; keyId: string }>;
}

export interface KeyVaultSignerOptions {
  /** https://<vault>.vault.azure.net */
  vaultUrl: string;
  keyName: string;
  /** pin a key version (default: the current version, resolved once) */
  keyVersion?: string;
  credential: TokenCredential;
  /** extra client options (local mode: the stand-in's TLS agent) */
  clientOptions?: CommonClientOptions;
  /** the vault is not *.vault.azure.net (the local stand-in on 127.0.0.1) */
  disableChallengeResourceVerification?: boolean;
}

/** SPKI PEM from a Key Vault JSON web key (n, e). */
export function pemFromKeyVaultKey(key: KeyVaultKey): string {
  const jwk = key.key;
  if (!jwk?.n || !jwk.e) throw new Error(`key ${key.id ?? key.name} has no RSA public part`);
  return createPublicKey({
    key: {
      kty: 'RSA',
      n: Buffer.from(jwk.n).toString('base64url'),
      e: Buffer.from(jwk.e).toString('base64url'),
    },
    format: 'jwk',
  })
    .export({ format: 'pem', type: 'spki' })
    .toString();
}

export class KeyVaultDigestSigner implements DigestSigner {
  private readonly keys: KeyClient;
  private resolved: Promise<{ key: KeyVaultKey; crypto: CryptographyClient; pem: string }> | null = null;

  constructor(private readonly options: KeyVaultSignerOptions) {
    this.keys = new KeyClient(options.vaultUrl, options.credential, this.clientOptions());
  }

  private clientOptions() {
    return {
      ...this.options.clientOptions,
      ...(this.options.disableChallengeResourceVerification
        ? { disableChallengeResourceVerification: true }
        : {}),
    };
  }

  private resolve() {
    this.resolved ??= (async () => {
      const key = await this.keys.getKey(
        this.options.keyName,
        this.options.keyVersion ? { version: this.options.keyVersion } : {},
      );
      return {
        key,
        // the full KeyVaultKey: the client signs remotely and never re-reads the key
        crypto: new CryptographyClient(key, this.options.credential, this.clientOptions()),
        pem: pemFromKeyVaultKey(key),
      };
    })().catch((error: unknown) => {
      this.resolved = null; // a transient failure is retried on the next call
      throw error;
    });
    return this.resolved;
  }

  async keyId(): Promise<string> {
    const { key } = await this.resolve();
    return key.id ?? '';
  }

  async publicKeyPem(): Promise<string> {
    return (await this.resolve()).pem;
  }

  async sign(payload: Buffer): Promise<{ signature: Buffer; keyId: string }> {
    const { key, crypto } = await this.resolve();
    const result = await crypto.signData(SIGNATURE_ALGORITHM, payload);
    return { signature: Buffer.from(result.result), keyId: result.keyID ?? key.id ?? '' };
  }
}

/** Checks an RS256 signature with a PEM public key (what `openssl dgst -sha256 -verify` does). */
export function verifySignature(payload: Buffer, signature: Buffer, publicKeyPem: string): boolean {
  try {
    return createVerify('sha256').update(payload).verify(publicKeyPem, signature);
  } catch {
    return false;
  }
}
