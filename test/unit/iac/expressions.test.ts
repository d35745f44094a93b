import { describe, expect, it } from 'vitest';
import {
  type ExpressionContext,
  ExpressionError,
  evaluateString,
  isUnresolved,
  parse,
  Unresolved,
} from '../../../lib/iac/expressions.js';

const params: Record<string, unknown> = {
  name: 'stportal',
  rules: [{ name: 'allow-https', port: '443' }],
  flag: true,
  missing: new Unresolved("parameter 'missing' has no value"),
};

const context: ExpressionContext = {
  parameter: (name) =>
    name in params ? params[name] : new Unresolved(`parameter '${name}' is not declared`),
  variable: (name) => (name === 'suffix' ? 'logs' : new Unresolved(`variable '${name}' is not declared`)),
  copyIndex: () => 0,
  subscriptionId: 'sub-1',
  resourceGroup: 'rg-portal',
};

const run = (text: string) => evaluateString(text, context);

describe('ARM template expressions', () => {
  it('evaluates parameters, variables, member access and indexing', () => {
    expect(run("[parameters('name')]")).toBe('stportal');
    expect(run("[parameters('rules')[0].port]")).toBe('443');
    expect(run("[parameters('rules')[copyIndex()]['name']]")).toBe('allow-https');
    expect(run("[variables('suffix')]")).toBe('logs');
  });

  it('leaves plain strings and unescapes [[ literals', () => {
    expect(run('TLS1_2')).toBe('TLS1_2');
    expect(run('[[not an expression]')).toBe('[not an expression]');
  });

  it('builds names and ids with concat, format and resourceId', () => {
    expect(run("[concat(parameters('name'), '-', variables('suffix'))]")).toBe('stportal-logs');
    expect(run("[format('{0}/default/{1}', parameters('name'), 'logs')]")).toBe('stportal/default/logs');
    expect(run("[resourceId('Microsoft.Network/networkSecurityGroups/securityRules', 'nsg', 'r1')]")).toBe(
      '/subscriptions/sub-1/resourceGroups/rg-portal/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/r1',
    );
    expect(run("[resourceId('other-rg', 'Microsoft.Storage/storageAccounts', 'st1')]")).toBe(
      '/subscriptions/sub-1/resourceGroups/other-rg/providers/Microsoft.Storage/storageAccounts/st1',
    );
    expect(run('[resourceGroup().name]')).toBe('rg-portal');
    expect(run('[subscription().subscriptionId]')).toBe('sub-1');
  });

  it('evaluates logic and escaped quotes', () => {
    expect(run("[if(parameters('flag'), 'Enabled', 'Disabled')]")).toBe('Enabled');
    expect(run("[if(equals(toLower('PROD'), 'prod'), 'TLS1_2', 'TLS1_0')]")).toBe('TLS1_2');
    expect(run('[not(empty(createArray()))]')).toBe(false);
    expect(run("[concat('it''s', ' ok')]")).toBe("it's ok");
    expect(run("[union(createObject('a', 1), createObject('b', 2))]")).toEqual({ a: 1, b: 2 });
  });

  it('an unknown parameter or a deploy-time function is Unresolved, never a guess', () => {
    const missing = run("[parameters('missing')]");
    expect(isUnresolved(missing)).toBe(true);
    expect((missing as Unresolved).reason).toContain("'missing' has no value");
    expect((missing as Unresolved).text).toBe("{parameters('missing')}");
    const ref = run("[reference('st').primaryEndpoints.blob]");
    expect(isUnresolved(ref)).toBe(true);
    expect((ref as Unresolved).reason).toContain('known only at deployment');
    expect(isUnresolved(run('[uniqueString(resourceGroup().id)]'))).toBe(true);
    expect(isUnresolved(run('[someFutureFunction(1)]'))).toBe(true);
    // An unresolved argument makes the whole call unresolved, not false.
    expect(isUnresolved(run("[equals(parameters('missing'), 'x')]"))).toBe(true);
  });

  it('keeps the readable part of a name built from an unknown value', () => {
    const name = run("[format('{0}/{1}', parameters('missing'), 'allow-ssh')]");
    expect(isUnresolved(name)).toBe(true);
    expect((name as Unresolved).text).toBe("{parameters('missing')}/allow-ssh");
  });

  it('the untaken branch of if() is not evaluated', () => {
    expect(run("[if(true(), 'a', parameters('missing'))]")).toBe('a');
  });

  it('rejects malformed expressions with ExpressionError', () => {
    expect(() => parse("parameters('x'")).toThrow(ExpressionError);
    expect(() => parse("'unterminated")).toThrow(ExpressionError);
    expect(() => parse("concat('a') junk")).toThrow(ExpressionError);
  });
});
