import { existsSync } from 'node:fs';
import { describe, inject, it } from 'vitest';
import { formatDiagnostics } from '../../lib/dev/bicep/cli.js';
import { type ArmTemplate, parameterValues, readTemplate } from './arm-template.js';

/**
 * The compiled infra/ that test/setup/bicep.ts produced for this run. Without a Bicep CLI the
 * infra tests skip with a one-line note — except when DW_REQUIRE_BICEP=1 (CI) or when a CLI
 * was there but failed (a broken restore, a template that does not compile): then they fail
 * with the reason.
 */

export interface CompiledInfraUnderTest {
  template: ArmTemplate;
  /** main.bicepparam's values (build-params) */
  exampleParameters: Record<string, unknown>;
  cli: { source: string; version: string; command: string };
}

export type InfraOrReason =
  | { available: true; infra: CompiledInfraUnderTest }
  | { available: false; reason: string; mustFail: boolean };

let memo: InfraOrReason | undefined;

export function compiledInfra(): InfraOrReason {
  memo ??= load();
  return memo;
}

function load(): InfraOrReason {
  const bicep = inject('bicep');
  if (bicep.status !== 'ok') {
    const mustFail = bicep.status === 'error' || process.env.DW_REQUIRE_BICEP === '1';
    return { available: false, reason: bicep.message, mustFail };
  }
  for (const [file, diagnostics] of [
    [bicep.templateFile, bicep.diagnostics.build],
    [bicep.parametersFile, bicep.diagnostics.buildParams],
  ] as const) {
    if (!existsSync(file)) {
      const reason = `infra/ did not compile with ${bicep.command}:\n${formatDiagnostics(diagnostics)}`;
      return { available: false, reason, mustFail: true };
    }
  }
  return {
    available: true,
    infra: {
      template: readTemplate(bicep.templateFile),
      exampleParameters: parameterValues(bicep.parametersFile),
      cli: { source: bicep.source, version: bicep.version, command: bicep.command },
    },
  };
}

let noted = false;

/**
 * `describe` over the compiled template. Without it: one skipped test whose title says why
 * (and one console line per file), or one failing test when the CLI is required or broke.
 */
export function describeCompiled(name: string, body: (infra: CompiledInfraUnderTest) => void): void {
  const result = compiledInfra();
  if (result.available) {
    describe(name, () => body(result.infra));
    return;
  }
  const { reason, mustFail } = result;
  if (mustFail) {
    describe(name, () => {
      it('has infra/ compiled by the Bicep CLI', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  if (!noted) {
    noted = true;
    console.warn(`infra tests skipped: ${reason} (set DW_REQUIRE_BICEP=1 to fail instead)`);
  }
  describe(name, () => {
    it.skip(`needs the Bicep CLI (${reason})`, () => {});
  });
}
