/**
 * The sandbox's certificate: self-signed, valid for 127.0.0.1 and localhost, marked as a CA so it
 * can be trusted directly (in-process via an https.Agent `ca`, other processes via
 * NODE_EXTRA_CA_CERTS). Reused from `certDir` when present so a trusted path stays valid.
 */

import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface SandboxCertificate {
  cert: string;
  key: string;
  certPath: string;
}

function stillValid(certPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return (
      new Date(cert.validTo).getTime() > Date.now() + 24 * 3600 * 1000 &&
      cert.checkIP('127.0.0.1') !== undefined
    );
  } catch {
    return false;
  }
}

export async function loadOrCreateCertificate(certDir?: string): Promise<SandboxCertificate> {
  const dir = certDir ?? mkdtempSync(join(tmpdir(), 'driftwarden-sandbox-'));
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    if (stillValid(cert)) return { cert, key: readFileSync(keyPath, 'utf8'), certPath };
  }
  const now = new Date();
  const generated = await generate([{ name: 'commonName', value: 'driftwarden ARM sandbox' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  writeFileSync(certPath, generated.cert);
  writeFileSync(keyPath, generated.private, { mode: 0o600 });
  return { cert: generated.cert, key: generated.private, certPath };
}
