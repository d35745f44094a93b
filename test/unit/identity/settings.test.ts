import { describe, expect, it } from 'vitest';
import { parseNewException } from '../../../lib/api/validate.js';
import { ConfigError, loadConfig, SOC2_TYPE2_INITIATIVE_ID } from '../../../lib/config.js';
import { CONTROLS, effectiveMode } from '../../../lib/controls/catalog.js';
import {
  DEFAULT_PRIVILEGED_ROLES,
  identitySettingsFromConfig,
} from '../../../lib/controls/identity-settings.js';
import type { Finding } from '../../../lib/controls/types.js';
import { exceptionCovers } from '../../../lib/exceptions/match.js';
import { validateNewException } from '../../../lib/exceptions/validate.js';

const BASE = { DW_STORAGE: 'UseDevelopmentStorage=true' };
const OID = 'd0000000-0000-4000-8000-00000000da03';
const TENANT = '11111111-2222-4333-8444-555555555555';

describe('identity settings', () => {
  it('defaults: enabled, daily at 04:00, Microsoft Graph, the 14 admin roles, 12 hours, 92 days', () => {
    const config = loadConfig(BASE);
    expect(config).toMatchObject({
      identityEnabled: true,
      identitySchedule: '0 0 4 * * *',
      graphEndpoint: 'https://graph.microsoft.com',
      tenantId: null,
      soc2InitiativeId: SOC2_TYPE2_INITIATIVE_ID,
      sessionApps: [],
    });
    const settings = identitySettingsFromConfig(config);
    expect(settings.privilegedRoleIds).toEqual(Object.keys(DEFAULT_PRIVILEGED_ROLES));
    expect(settings.privilegedRoleIds).toHaveLength(14);
    expect(settings).toMatchObject({
      sessionMaxHours: 12,
      accessReviewMaxAgeDays: 92,
      accessReviewMaxIntervalMonths: 3,
    });
  });

  it('reads overrides and fails fast naming the bad setting', () => {
    const config = loadConfig({
      ...BASE,
      DW_IDENTITY_ENABLED: 'false',
      DW_GRAPH_ENDPOINT: 'https://127.0.0.1:8443/graph/',
      DW_IDENTITY_SESSION_APPS:
        'Patient portal=A0000000-0000-4000-8000-0000000000A1, a0000000-0000-4000-8000-0000000000a2',
      DW_IDENTITY_SESSION_MAX_HOURS: '4',
      DW_IDENTITY_PRIVILEGED_ROLES: '62E90394-69F5-4237-9190-012177145E10',
    });
    expect(config.identityEnabled).toBe(false);
    expect(config.graphEndpoint).toBe('https://127.0.0.1:8443/graph');
    expect(config.sessionApps).toEqual([
      { name: 'Patient portal', appId: 'a0000000-0000-4000-8000-0000000000a1' },
      { name: 'a0000000-0000-4000-8000-0000000000a2', appId: 'a0000000-0000-4000-8000-0000000000a2' },
    ]);
    expect(identitySettingsFromConfig(config)).toMatchObject({
      sessionMaxHours: 4,
      privilegedRoleIds: ['62e90394-69f5-4237-9190-012177145e10'],
    });
    const bad = (env: Record<string, string>, setting: string) => {
      const error = (() => {
        try {
          loadConfig({ ...BASE, ...env });
        } catch (thrown) {
          return thrown;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).setting).toBe(setting);
    };
    bad({ DW_IDENTITY_SESSION_APPS: 'Portal=not-a-guid' }, 'DW_IDENTITY_SESSION_APPS');
    bad({ DW_IDENTITY_PRIVILEGED_ROLES: 'Global Administrator' }, 'DW_IDENTITY_PRIVILEGED_ROLES');
    bad({ DW_GRAPH_ENDPOINT: 'http://graph.example.com' }, 'DW_GRAPH_ENDPOINT');
    bad({ DW_TENANT_ID: 'contoso.onmicrosoft.com' }, 'DW_TENANT_ID');
    bad({ DW_IDENTITY_SESSION_MAX_HOURS: '0' }, 'DW_IDENTITY_SESSION_MAX_HOURS');
  });

  it('identity controls never remediate, whatever DW_CONTROL_MODES says', () => {
    expect(effectiveMode('IDN-ADMIN-MFA', { 'IDN-ADMIN-MFA': 'remediate' })).toBe('audit');
    expect(effectiveMode('IDN-ADMIN-MFA', { 'IDN-ADMIN-MFA': 'off' })).toBe('off');
    expect(effectiveMode('STG-MIN-TLS', { 'STG-MIN-TLS': 'remediate' })).toBe('remediate');
  });
});

describe('exceptions for tenant subjects', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const approval = {
    justification: 'break-glass account',
    ticket: 'SEC-1',
    approvedBy: 'ciso@contoso.example',
    expiresOn: '2026-12-31T00:00:00Z',
  };
  const finding = (resourceId: string): Finding => ({
    resourceId,
    resourceType: 'Microsoft.Graph/users',
    controlId: 'IDN-MFA-EXCLUSION',
    status: 'fail',
    severity: 'critical',
    criteria: ['CC6.1'],
    message: 'excluded',
  });

  it('accept an object id or a /tenants/ path for identity controls only', () => {
    expect(validateNewException({ controlId: 'IDN-MFA-EXCLUSION', scope: OID, ...approval }, now).scope).toBe(
      OID,
    );
    expect(
      validateNewException(
        { controlId: 'IDN-MFA-EXCLUSION', scope: `/tenants/${TENANT}/users/${OID}`, ...approval },
        now,
      ).scope,
    ).toBe(`/tenants/${TENANT}/users/${OID}`);
    expect(() => validateNewException({ controlId: 'STG-MIN-TLS', scope: OID, ...approval }, now)).toThrow(
      /scope/,
    );
    expect(
      parseNewException(
        {
          control: 'IDN-MFA-EXCLUSION',
          scope: OID,
          justification: 'break-glass account, SOC alerted',
          ticket: 'T-1',
          expiresOn: '2026-12-31',
        },
        CONTROLS,
        'ciso',
        now,
        90,
      ).scope,
    ).toBe(OID);
    expect(() =>
      parseNewException(
        {
          control: 'STG-MIN-TLS',
          scope: `/tenants/${TENANT}`,
          justification: 'break-glass account, SOC alerted',
          ticket: 'T-1',
          expiresOn: '2026-12-31',
        },
        CONTROLS,
        'ciso',
        now,
        90,
      ),
    ).toThrow(/scope/);
  });

  it('a bare object id covers that user only; a tenant path covers what is below it', () => {
    const exception = {
      id: 'e1',
      controlId: 'IDN-MFA-EXCLUSION' as const,
      scope: OID,
      ...approval,
      approvedOn: '2026-11-01T00:00:00Z',
    };
    expect(exceptionCovers(exception, finding(`/tenants/${TENANT}/users/${OID}`))).toBe(true);
    expect(
      exceptionCovers(exception, finding(`/tenants/${TENANT}/users/${OID.replace('da03', 'da04')}`)),
    ).toBe(false);
    // never an ARM resource that happens to end with the same segment
    expect(exceptionCovers(exception, finding(`/subscriptions/s/resourceGroups/rg/x/${OID}`))).toBe(false);
    expect(
      exceptionCovers(
        { ...exception, scope: `/tenants/${TENANT}` },
        finding(`/tenants/${TENANT}/users/${OID}`),
      ),
    ).toBe(true);
  });
});
