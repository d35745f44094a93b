import { expect, it } from 'vitest';
import { evaluateDocument } from '../../../lib/evaluate.js';
import { ARM_TYPE_NAMES } from '../../../lib/resources/kinds.js';
import { allResources, type ResourceInstance, rootScope } from '../../support/arm-template.js';
import { describeCompiled } from '../../support/compiled-infra.js';

/**
 * Our own infrastructure passes our own controls: every storage account, blob container, NSG and
 * security rule the compiled template deploys, evaluated by driftwarden's evaluator.
 *
 * Template resources are not live resources, so each is mapped to the live shape the evaluator
 * reads: a synthesized id (names from the symbolic name where the template computes them), the
 * template's `properties` taken literally (an expression left as its `[...]` string, which the
 * evaluator rejects rather than guesses at), and the tags when the template's parameters resolve
 * them (main.bicepparam's values).
 */

/** ARM type names, lower-cased (template types are compared case-insensitively). */
const RESOURCE_TYPES = {
  storageAccount: ARM_TYPE_NAMES.storageAccount.toLowerCase(),
  blobContainer: ARM_TYPE_NAMES.blobContainer.toLowerCase(),
};
/**
 * Diagnostic settings are left out: they are extension resources whose scope (the resource they
 * attach to) a synthesized id cannot name, and DIAG-RESOURCE-LOGS judges them through that scope.
 */
const JUDGED = new Set<string>(
  Object.values(ARM_TYPE_NAMES)
    .filter((type) => type !== ARM_TYPE_NAMES.diagnosticSetting)
    .map((type) => type.toLowerCase()),
);
/** Judged with parameters resolved: the workspace's retention is a parameter (main.bicepparam's 365). */
const EVALUATED_PROPERTIES = new Set([ARM_TYPE_NAMES.logAnalyticsWorkspace.toLowerCase()]);
const SUBSCRIPTION = '/subscriptions/00000000-0000-0000-0000-0000000000ff/resourceGroups/rg-driftwarden';

function liveShape(instance: ResourceInstance): Record<string, unknown> {
  const [namespace, ...types] = instance.definition.type.split('/');
  const literal = typeof instance.definition.name === 'string' && !instance.definition.name.startsWith('[');
  const names = literal
    ? String(instance.definition.name).split('/')
    : types.map((_, k) => (k === types.length - 1 ? instance.symbolicName : `parent${k}`));
  const path = types.map((type, k) => `${type}/${names[k] ?? `parent${k}`}`).join('/');
  const tags = instance.evaluated.tags;
  return {
    id: `${SUBSCRIPTION}/providers/${namespace}/${path}${instance.copyIndex === undefined ? '' : `-${instance.copyIndex}`}`,
    type: instance.definition.type,
    ...(typeof tags === 'object' && tags !== null && !Array.isArray(tags) ? { tags } : {}),
    properties:
      (EVALUATED_PROPERTIES.has(instance.definition.type.toLowerCase())
        ? instance.evaluated.properties
        : instance.definition.properties) ?? {},
  };
}

describeCompiled('infra: driftwarden evaluates its own template clean', (infra) => {
  const scope = rootScope(infra.template, infra.exampleParameters);
  const judged = allResources(scope)
    .filter((r) => !r.definition.existing && JUDGED.has(r.definition.type.toLowerCase()))
    .map(liveShape);

  it('finds the storage account and its containers in the template', () => {
    const types = judged.map((r) => String(r.type).toLowerCase());
    expect(types.filter((t) => t === RESOURCE_TYPES.storageAccount)).toHaveLength(1);
    expect(types.filter((t) => t === RESOURCE_TYPES.blobContainer)).toHaveLength(4); // reports, dead-letter, deployment, digests;
  });

  it('no control fails on them (and the storage controls actually judged them)', () => {
    const findings = evaluateDocument(judged);
    const failed = findings.filter((f) => f.status === 'fail');
    expect(failed.map((f) => `${f.controlId} ${f.resourceId}: ${f.message}`)).toEqual([]);
    const passed = new Set(findings.filter((f) => f.status === 'pass').map((f) => f.controlId));
    for (const control of [
      'STG-PUBLIC-BLOB',
      'STG-HTTPS-ONLY',
      'STG-MIN-TLS',
      'STG-CONTAINER-PUBLIC',
      'LAW-RETENTION',
    ]) {
      expect(passed, control).toContain(control);
    }
  });

  it('would fail a drifted copy (the check above can fail)', () => {
    const drifted = judged.map((r) =>
      String(r.type).toLowerCase() === RESOURCE_TYPES.storageAccount
        ? {
            ...r,
            properties: {
              ...(r.properties as object),
              allowBlobPublicAccess: true,
              minimumTlsVersion: 'TLS1_0',
            },
          }
        : r,
    );
    const failed = evaluateDocument(drifted).filter((f) => f.status === 'fail');
    expect(failed.map((f) => f.controlId).sort()).toEqual(['STG-MIN-TLS', 'STG-PUBLIC-BLOB']);
  });
});
