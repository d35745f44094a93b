import { defineControl } from './define.js';
import { choice } from './fields.js';
import { sameText } from './support.js';

/** A container opened to anonymous readers (only effective while the account allows it). */
export const stgContainerPublic = defineControl({
  id: 'STG-CONTAINER-PUBLIC',
  title: 'Blob containers must not allow anonymous access',
  severity: 'high',
  criteria: ['CC6.1'],
  azurePolicyDefinitionIds: ['4fa4b6c0-31ca-4c0d-b10d-24b96f62a751'],
  resourceKinds: ['blobContainer'],
  defaultMode: 'remediate',
  remediationDescription: 'Set the container publicAccess level to None.',
  reads: { publicAccess: choice(['publicAccess'], ['None', 'Blob', 'Container']) },
  writes: { publicAccess: 'None' },
  evaluate(resource, _settings, verdict) {
    const level = resource.publicAccess;
    if (sameText(level, 'blob') || sameText(level, 'container')) {
      const what = sameText(level, 'container') ? 'list and read' : 'read';
      return [verdict.fail(`publicAccess is ${level}: anyone can ${what} blobs without credentials.`)];
    }
    return [verdict.pass('Container does not allow anonymous access.')];
  },
});
