import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.js';

const base = { DW_STORAGE: 'UseDevelopmentStorage=true' };

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig(base);
    expect(config.evidenceTable).toBe('driftwardenEvidence');
    expect(config.sweepSchedule).toBe('0 0 3 1 * *');
    expect(config.auditOnly).toBe(false);
    expect(config.armEndpoint).toBe('https://management.azure.com');
    expect(config.exceptionMaxDays).toBe(90);
    expect(config.evidenceSubChains).toBe(16);
    expect(config.exceptionsCacheMs).toBe(5_000);
  });

  it('reads the evidence sub-chains and the exceptions cache bound, and rejects values out of range', () => {
    const config = loadConfig({ ...base, DW_EVIDENCE_SUB_CHAINS: '1', DW_EXCEPTIONS_CACHE_MS: '0' });
    expect(config.evidenceSubChains).toBe(1);
    expect(config.exceptionsCacheMs).toBe(0);
    for (const value of ['0', '101', '2.5', 'sixteen'])
      expect(() => loadConfig({ ...base, DW_EVIDENCE_SUB_CHAINS: value })).toThrowError(
        `Configuration error in DW_EVIDENCE_SUB_CHAINS: expected a whole number from 1 to 100, got "${value}"`,
      );
    for (const value of ['-1', '60001', '5s'])
      expect(() => loadConfig({ ...base, DW_EXCEPTIONS_CACHE_MS: value })).toThrowError(
        `Configuration error in DW_EXCEPTIONS_CACHE_MS: expected a whole number from 0 to 60000, got "${value}"`,
      );
  });

  it('prefers the identity-based table uri over a connection string', () => {
    const config = loadConfig({
      ...base,
      DW_STORAGE__tableServiceUri: 'https://acct.table.core.windows.net/',
    });
    expect(config.storage).toEqual({
      tableServiceUri: 'https://acct.table.core.windows.net',
      blobServiceUri: null,
      queueServiceUri: null,
    });
  });

  it.each([
    [{ DW_SUBSCRIPTION_IDS: 'not-a-guid' }, 'DW_SUBSCRIPTION_IDS'],
    [{ DW_AUDIT_ONLY: 'maybe' }, 'DW_AUDIT_ONLY'],
    [{ DW_CONTROL_MODES: 'NSG-MGMT-PORT=fix' }, 'DW_CONTROL_MODES'],
    [{ DW_EVIDENCE_TABLE: 'bad-name' }, 'DW_EVIDENCE_TABLE'],
    [{ DW_INTERNET_PREFIX_MAX_LENGTH: '200' }, 'DW_INTERNET_PREFIX_MAX_LENGTH'],
    [{ DW_ARM_ENDPOINT: 'http://example.com' }, 'DW_ARM_ENDPOINT'],
  ])('names the bad setting %o', (env, name) => {
    expect(() => loadConfig({ ...base, ...env })).toThrowError(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrowError(name);
  });

  it('never echoes a URL setting that does not parse (it may be a connection string with a key)', () => {
    const secret = 'AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5==';
    const env = { DW_STORAGE__tableServiceUri: `DefaultEndpointsProtocol=https;AccountName=a;${secret};` };
    expect(() => loadConfig({ ...base, ...env })).toThrowError(
      /DW_STORAGE__tableServiceUri.*is not a URL.*DW_STORAGE/,
    );
    try {
      loadConfig({ ...base, ...env });
    } catch (error) {
      expect(String(error)).not.toContain('c2VjcmV0');
    }
    expect(() => loadConfig({ ...base, DW_ARM_ENDPOINT: 'not a url' })).toThrowError(
      /DW_ARM_ENDPOINT.*is not a URL$/,
    );
  });

  it('requires some storage setting', () => {
    expect(() => loadConfig({})).toThrowError(/DW_STORAGE__tableServiceUri/);
  });

  it('parses mode overrides', () => {
    const config = loadConfig({ ...base, DW_CONTROL_MODES: 'stg-cmk-phi=remediate, NSG-OPEN-INBOUND=audit' });
    expect(config.modeOverrides).toEqual({ 'STG-CMK-PHI': 'remediate', 'NSG-OPEN-INBOUND': 'audit' });
  });
});
