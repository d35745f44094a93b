import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type BicepCli, type BicepOutput, findBicep, formatDiagnostics } from '../../../lib/dev/bicep/cli.js';
import { INFRA_DIR, MAIN_BICEP, MAIN_PARAMS } from '../../../lib/dev/bicep/infra.js';
import { describeCompiled } from '../../support/compiled-infra.js';

/**
 * The real Bicep CLI over infra/: builds and lints with zero diagnostics of any level, and
 * infra/bicepconfig.json really raises the rules that matter to errors (checked on a file that
 * breaks each of them, so a rule renamed or dropped by a CLI upgrade fails here).
 */

describeCompiled('Bicep CLI: infra/ compiles and lints clean', (infra) => {
  let cli: BicepCli;
  let lintMain: BicepOutput;
  let lintParams: BicepOutput;

  beforeAll(async () => {
    cli = await findBicep(); // cached by the global setup: no restore, one `--version`
    [lintMain, lintParams] = await Promise.all([cli.lint(MAIN_BICEP), cli.lint(MAIN_PARAMS)]);
  });

  it('uses the CLI the global setup compiled with, of the version it names', () => {
    expect(cli.version).toBe(infra.cli.version);
    expect(cli.command).toBe(infra.cli.command);
    // for the NuGet binary the version comes from tools/bicep/bicep.csproj: the binary must agree
    const versionArgs = [...cli.prefixArgs, cli.source === 'az bicep' ? 'version' : '--version'];
    const reported = execFileSync(cli.executable, versionArgs, { encoding: 'utf8' });
    expect(reported).toContain(cli.version);
    console.info(`Bicep CLI ${cli.version} (${cli.source}: ${cli.command})`);
  });

  it('bicep build infra/main.bicep: no errors, no warnings', () => {
    const bicep = inject('bicep');
    if (bicep.status !== 'ok') throw new Error(bicep.status);
    expect(formatDiagnostics(bicep.diagnostics.build)).toBe('');
    expect(infra.template.$schema).toMatch(/subscriptionDeploymentTemplate\.json#$/);
  });

  it('bicep build-params infra/main.bicepparam: no errors, no warnings', () => {
    const bicep = inject('bicep');
    if (bicep.status !== 'ok') throw new Error(bicep.status);
    expect(formatDiagnostics(bicep.diagnostics.buildParams)).toBe('');
    expect(infra.exampleParameters.monitoredSubscriptionIds).toHaveLength(2);
  });

  it('bicep lint: main.bicep (and every module) and main.bicepparam are clean', () => {
    expect(formatDiagnostics(lintMain.diagnostics)).toBe('');
    expect(formatDiagnostics(lintParams.diagnostics)).toBe('');
  });

  describeConfigRules(() => cli);
});

/** Each rule infra/bicepconfig.json must raise to an error, and a line that breaks it. */
const BROKEN = `
param unusedParam string

@secure()
param adminPassword string = 'not-a-secret-default'

param clientSecret string

var unusedVar = 'x'

resource unusedExisting 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: 'neverused'
}

resource oldApi 'Microsoft.Storage/storageAccounts@2021-01-01' = {
  name: 'stlintfixture'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
}

output endpoint string = 'https://management.azure.com/'
output password string = adminPassword
output secret string = clientSecret
output id string = oldApi.id
`;

const REQUIRED_RULES = [
  'no-unused-params',
  'no-unused-vars',
  'no-unused-existing-resources',
  'secure-parameter-default',
  'secure-secrets-in-params',
  'outputs-should-not-contain-secrets',
  'no-hardcoded-env-urls',
  'no-hardcoded-location',
  'use-recent-api-versions',
];

function describeConfigRules(cliOf: () => BicepCli): void {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dw-bicepconfig-'));
    copyFileSync(join(INFRA_DIR, 'bicepconfig.json'), join(dir, 'bicepconfig.json'));
    writeFileSync(join(dir, 'broken.bicep'), BROKEN);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('infra/bicepconfig.json raises the rules that matter to errors (offline)', async () => {
    const { diagnostics } = await cliOf().lint(join(dir, 'broken.bicep'));
    const errors = new Set(diagnostics.filter((d) => d.level === 'Error').map((d) => d.code));
    expect(
      REQUIRED_RULES.filter((rule) => !errors.has(rule)),
      formatDiagnostics(diagnostics),
    ).toEqual([]);
  });
}
