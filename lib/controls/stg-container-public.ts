import { finding, sameText } from './support.js';
import type { Control } from './types.js';

/** A container opened to anonymous readers (only effective while the account allows it). */
export const stgContainerPublic: Control = {
  id: 'STG-CONTAINER-PUBLIC',
  title: 'Blob containers must not allow anonymous access',
  severity: 'high',
  criteria: ['CC6.1'],
  azurePolicyDefinitionIds: ['4fa4b6c0-31ca-4c0d-b10d-24b96f62a751'],
  resourceKinds: ['blobContainer'],
  defaultMode: 'remediate',
  remediationDescription: 'Set the container publicAccess level to None.',
  evaluate(resource) {
    if (resource.kind !== 'blobContainer') return [];
    const level = resource.publicAccess;
    if (sameText(level, 'blob') || sameText(level, 'container')) {
      const what = sameText(level, 'container') ? 'list and read' : 'read';
      return [
        finding(
          stgContainerPublic,
          resource,
          'fail',
          `publicAccess is ${level}: anyone can ${what} blobs without credentials.`,
          {
            remediation: { kind: 'blob-container-public-access', set: { publicAccess: 'None' } },
          },
        ),
      ];
    }
    return [finding(stgContainerPublic, resource, 'pass', 'Container does not allow anonymous access.')];
  },
};
