import { isArmParameters, isArmTemplate } from './arm-template.js';
import { isTerraformPlan } from './terraform.js';

export type InputKind = 'arm-template' | 'arm-parameters' | 'terraform-plan' | 'resources';

/**
 * What a parsed input document is. Templates are recognised by `$schema` (or `contentVersion` +
 * `resources`), plans by `format_version` + `resource_changes`/`planned_values`; anything else is
 * live resource JSON (`az ... show`, ARM list responses), as before.
 */
export function detectInput(json: unknown): InputKind {
  if (isArmParameters(json)) return 'arm-parameters';
  if (isArmTemplate(json)) return 'arm-template';
  if (isTerraformPlan(json)) return 'terraform-plan';
  return 'resources';
}

/** By file name: Bicep sources are compiled before reading. */
export function isBicepFile(path: string): boolean {
  return /\.bicep$/i.test(path);
}

export function isBicepParamFile(path: string): boolean {
  return /\.bicepparam$/i.test(path);
}
