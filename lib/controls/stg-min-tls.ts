import { defineControl } from './define.js';
import { text } from './fields.js';

const TLS_VERSION = /^TLS(\d+)_(\d+)$/i;

/** [major, minor] of a minimumTlsVersion value such as TLS1_2; null when unrecognised. */
export function parseTlsVersion(value: string): [number, number] | null {
  const match = TLS_VERSION.exec(value.trim());
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/** Minimum TLS 1.2. Absent fails: the service default for old accounts is TLS 1.0. */
export const stgMinTls = defineControl({
  id: 'STG-MIN-TLS',
  title: 'Storage accounts must require TLS 1.2 or newer',
  severity: 'medium',
  criteria: ['CC6.1', 'CC6.7'],
  azurePolicyDefinitionIds: ['fe83a0eb-a853-422d-aac2-1bffd182c5d0'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'remediate',
  remediationDescription: 'Set minimumTlsVersion to TLS1_2.',
  reads: { minimumTlsVersion: text(['minimumTlsVersion'], { restoreNullAs: 'TLS1_0' }) },
  writes: { minimumTlsVersion: 'TLS1_2' },
  evaluate(resource, _settings, verdict) {
    const value = resource.minimumTlsVersion;
    const version = value === null ? null : parseTlsVersion(value);
    if (version && (version[0] > 1 || (version[0] === 1 && version[1] >= 2))) {
      return [verdict.pass(`Minimum TLS version is ${value}.`)];
    }
    const why =
      value === null
        ? 'minimumTlsVersion is not set, so TLS 1.0 is accepted.'
        : version
          ? `Minimum TLS version is ${value}, below TLS1_2.`
          : `Minimum TLS version "${value}" is not recognised, so TLS 1.2 cannot be shown to be required.`;
    return [verdict.fail(why)];
  },
});
