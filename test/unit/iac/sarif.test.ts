import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.js';
import type { CliIo } from '../../../lib/cli/types.js';
import { CONTROL_IDS, CONTROLS } from '../../../lib/controls/catalog.js';
import { toSarif } from '../../../lib/report/sarif.js';
import { validate } from '../../support/json-schema.js';
import { fixturePath } from './helpers.js';

const schema = JSON.parse(readFileSync(fixturePath('sarif/sarif-schema-2.1.0.json'), 'utf8'));

async function sarifOf(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { write: (chunk: string) => err.push(chunk) },
    stdin: (async function* () {
      yield Buffer.from(stdin);
    })(),
    env: {},
  };
  const code = await main(['evaluate', '--format', 'sarif', ...args], io);
  return { code, log: JSON.parse(out.join('')) as SarifLog, stderr: err.join('') };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  kind: string;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } };
    logicalLocations: { fullyQualifiedName: string }[];
  }[];
  suppressions?: unknown[];
  properties: { status: string; ruleName?: string };
}
interface SarifLog {
  version: string;
  runs: {
    tool: {
      driver: { rules: { id: string; help: { text: string }; properties: { soc2Criteria: string[] } }[] };
    };
    results: SarifResult[];
  }[];
}

describe('SARIF output', () => {
  it('is valid SARIF 2.1.0 for a template, a plan and live resources', async () => {
    const runs = [
      await sarifOf([fixturePath('arm/storage-and-nsg.template.json')]),
      await sarifOf([fixturePath('terraform/plan.json')]),
      await sarifOf([fixturePath('../NSG-MGMT-PORT/prefixes-mixed.arm.json')]),
      await sarifOf(['-'], readFileSync(fixturePath('arm/symbolic-v2.template.json'), 'utf8')),
    ];
    for (const run of runs) {
      expect(validate(schema, run.log)).toEqual([]);
      expect(run.code).toBe(1); // exit codes are those of the json format: something fails
      expect(run.log.runs[0]?.results.length).toBeGreaterThan(0);
    }
  });

  it('has one rule per control with help text and SOC 2 criteria; results index their rule', async () => {
    const { log } = await sarifOf([fixturePath('arm/storage-and-nsg.template.json')]);
    const run = log.runs[0];
    const rules = run?.tool.driver.rules ?? [];
    expect(rules.map((rule) => rule.id)).toEqual([...CONTROL_IDS]);
    rules.forEach((rule, index) => {
      expect(rule.help.text).toContain('SOC 2 criteria');
      expect(rule.properties.soc2Criteria).toEqual(CONTROLS[index]?.criteria);
    });
    for (const result of run?.results ?? []) expect(rules[result.ruleIndex]?.id).toBe(result.ruleId);
  });

  it('results carry the file and the line of the resource, or of the offending inline rule', async () => {
    const file = fixturePath('arm/storage-and-nsg.template.json');
    const lines = readFileSync(file, 'utf8').split('\n');
    const { log } = await sarifOf([file]);
    const results = log.runs[0]?.results ?? [];
    const https = results.find((result) => result.properties.ruleName === 'allow-https');
    const line = https?.locations[0]?.physicalLocation?.region?.startLine ?? 0;
    expect(lines[line - 1]?.trim()).toBe('{');
    expect(lines[line]).toContain('"name": "allow-https"');
    expect(https?.locations[0]?.physicalLocation?.artifactLocation.uri).toBe(
      'test/fixtures/iac/arm/storage-and-nsg.template.json',
    );
    expect(https?.locations[0]?.logicalLocations[0]?.fullyQualifiedName).toBe('resources[2]');
    const container = results.find((result) => result.ruleId === 'STG-CONTAINER-PUBLIC');
    const containerLine = container?.locations[0]?.physicalLocation?.region?.startLine ?? 0;
    expect(lines[containerLine]).toContain(
      '"type": "Microsoft.Storage/storageAccounts/blobServices/containers"',
    );
  });

  it('unknown findings are review results; exempt ones are suppressed; passes are not results', () => {
    const base = {
      resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st',
      resourceType: 'Microsoft.Storage/storageAccounts',
      severity: 'critical' as const,
      criteria: ['CC6.1'],
      message: 'm',
    };
    const log = toSarif(
      [
        { ...base, controlId: 'STG-PUBLIC-BLOB', status: 'unknown' },
        { ...base, controlId: 'STG-MIN-TLS', status: 'exempt', exceptionId: 'EXC-1', severity: 'medium' },
        { ...base, controlId: 'STG-HTTPS-ONLY', status: 'pass' },
        { ...base, controlId: 'STG-CMK-PHI', status: 'not-applicable' },
      ],
      { toolVersion: '1.2.3', controls: CONTROLS },
    ) as unknown as SarifLog;
    expect(validate(schema, log)).toEqual([]);
    const results = log.runs[0]?.results ?? [];
    expect(results.map((result) => [result.ruleId, result.kind, result.level])).toEqual([
      ['STG-PUBLIC-BLOB', 'review', 'warning'],
      ['STG-MIN-TLS', 'fail', 'warning'],
    ]);
    expect(results[1]?.suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'driftwarden exception EXC-1' },
    ]);
    // Standard input: no file, so no physical location; the logical location still names the resource.
    expect(results[0]?.locations[0]?.physicalLocation).toBeUndefined();
  });

  it('the validator rejects invalid SARIF (so the tests above can fail)', async () => {
    const { log } = await sarifOf([fixturePath('terraform/plan.json')]);
    type Mutable = Record<string, unknown>;
    /** The first run / result / location of a copy, or a thrown error (the fixture has results). */
    const run = (copy: Mutable) => (copy.runs as Mutable[])[0] as Mutable;
    const result = (copy: Mutable) => (run(copy).results as Mutable[])[0] as Mutable;
    const region = (copy: Mutable) =>
      (((result(copy).locations as Mutable[])[0] as Mutable).physicalLocation as Mutable).region as Mutable;
    const broken: [string, (copy: Mutable) => void][] = [
      ['no version', (copy) => delete copy.version],
      ['wrong version', (copy) => (copy.version = '2.0.0')],
      ['message as a string', (copy) => (result(copy).message = 'x')],
      ['unknown level', (copy) => (result(copy).level = 'fatal')],
      ['line 0', (copy) => (region(copy).startLine = 0)],
      ['stray property', (copy) => (run(copy).findings = [])],
      ['no driver name', (copy) => delete ((run(copy).tool as Mutable).driver as Mutable).name],
    ];
    for (const [label, mutate] of broken) {
      const copy = structuredClone(log) as unknown as Mutable;
      mutate(copy);
      expect(validate(schema, copy).length, label).toBeGreaterThan(0);
    }
  });
});
