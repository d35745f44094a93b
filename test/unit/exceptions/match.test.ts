import { describe, expect, it } from 'vitest';
import type { ControlException, Finding } from '../../../lib/controls/types.js';
import { applyExceptions, findException, isActive } from '../../../lib/exceptions/match.js';

const RG = '/subscriptions/s1/resourceGroups/rg-portal';
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-web`;
const NOW = new Date('2026-06-01T00:00:00Z');

const fail: Finding = {
  resourceId: NSG,
  resourceType: 'Microsoft.Network/networkSecurityGroups',
  controlId: 'NSG-OPEN-INBOUND',
  status: 'fail',
  severity: 'high',
  criteria: ['CC6.6'],
  message: 'open',
  ruleName: 'allow-https',
  remediation: { kind: 'nsg-rule-deny', ruleName: 'allow-https' },
};

function exception(overrides: Partial<ControlException> = {}): ControlException {
  return {
    id: 'EXC-1',
    controlId: 'NSG-OPEN-INBOUND',
    scope: NSG,
    justification: 'public portal',
    ticket: 'CHG-1',
    approvedBy: 'ciso',
    approvedOn: '2026-01-01T00:00:00Z',
    expiresOn: '2026-12-31T00:00:00Z',
    ...overrides,
  };
}

describe('findException', () => {
  it.each([
    ['the resource id itself', NSG],
    ['the resource id in another letter case', NSG.toUpperCase()],
    ['an ancestor resource group', RG],
    ['the subscription, with a trailing slash', '/subscriptions/s1/'],
    ['the rule id under the NSG', `${NSG}/securityRules/allow-https`],
  ])('matches a scope that is %s', (_label, scope) => {
    expect(findException(fail, [exception({ scope })], NOW)?.id).toBe('EXC-1');
  });

  it.each([
    ['a sibling NSG', `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-web2`],
    ['a partial segment', '/subscriptions/s'],
    ['another rule of the NSG', `${NSG}/securityRules/allow-ssh`],
    ['an empty scope', '/'],
    ['a descendant of something else', `${NSG}x`],
  ])('does not match a scope that is %s', (_label, scope) => {
    expect(findException(fail, [exception({ scope })], NOW)).toBeNull();
  });

  it('honours ruleName, control id, expiry and revocation', () => {
    expect(findException(fail, [exception({ ruleName: 'ALLOW-HTTPS' })], NOW)?.id).toBe('EXC-1');
    expect(findException(fail, [exception({ ruleName: 'allow-ssh' })], NOW)).toBeNull();
    expect(findException(fail, [exception({ controlId: 'NSG-MGMT-PORT' })], NOW)).toBeNull();
    expect(findException(fail, [exception({ expiresOn: '2026-06-01T00:00:00Z' })], NOW)).toBeNull(); // expiry is exclusive
    expect(findException(fail, [exception({ expiresOn: 'not a date' })], NOW)).toBeNull();
    expect(findException(fail, [exception({ revokedOn: '2026-05-01T00:00:00Z' })], NOW)).toBeNull();
    expect(findException(fail, [exception({ revokedOn: '2026-07-01T00:00:00Z' })], NOW)?.id).toBe('EXC-1'); // revocation not yet effective
  });

  it('prefers the most specific exception, then the latest expiry', () => {
    const broad = exception({ id: 'EXC-BROAD', scope: RG, expiresOn: '2027-06-01T00:00:00Z' });
    const exact = exception({ id: 'EXC-EXACT' });
    const rule = exception({ id: 'EXC-RULE', scope: RG, ruleName: 'allow-https' });
    expect(findException(fail, [broad, exact], NOW)?.id).toBe('EXC-EXACT');
    expect(findException(fail, [broad, exact, rule], NOW)?.id).toBe('EXC-RULE');
    const later = exception({ id: 'EXC-LATER', expiresOn: '2027-01-01T00:00:00Z' });
    expect(findException(fail, [exact, later], NOW)?.id).toBe('EXC-LATER');
  });

  it('isActive holds until expiry and not after', () => {
    expect(isActive(exception(), NOW)).toBe(true);
    expect(isActive(exception(), new Date('2027-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('applyExceptions', () => {
  const pass: Finding = { ...fail, status: 'pass', remediation: undefined, ruleName: undefined };

  it('turns a covered fail into exempt, names the exception, drops the plan, and leaves input untouched', () => {
    const [result, untouched] = applyExceptions([fail, pass], [exception()], NOW);
    expect(result).toMatchObject({ status: 'exempt', exceptionId: 'EXC-1', controlId: 'NSG-OPEN-INBOUND' });
    expect(result?.remediation).toBeUndefined();
    expect(result?.message).toContain('EXC-1');
    expect(untouched).toBe(pass);
    expect(fail.status).toBe('fail');
  });

  it('leaves fails alone when the exception is expired', () => {
    const [result] = applyExceptions([fail], [exception({ expiresOn: '2026-01-31T00:00:00Z' })], NOW);
    expect(result).toEqual(fail);
  });
});
