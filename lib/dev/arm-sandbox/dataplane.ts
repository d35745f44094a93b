/**
 * What the storage data plane (the Blob service) can change behind ARM's back. A container's
 * public access set through the Blob service (Set Container ACL) changes the container the
 * control plane reports — new ETag, new lastModifiedTime — but ARM sees no write, so no
 * Event Grid event is published. The Blob service applies the account's setting as ARM does:
 * with `allowBlobPublicAccess: false` on the account, public access is refused (409).
 */
import { ArmError } from './arm.js';
import { buildContainer } from './providers/storage/shapes.js';
import type { ResourceStore } from './state.js';
import type { ArmResource } from './types.js';

export function setContainerAccessFromDataPlane(
  store: ResourceStore,
  containerId: string,
  publicAccess: string,
): ArmResource {
  const container = store.get(containerId);
  if (container?.type !== 'Microsoft.Storage/storageAccounts/blobServices/containers') {
    throw new ArmError(404, 'ContainerNotFound', 'The specified container does not exist.');
  }
  const accountId = container.id.slice(0, container.id.toLowerCase().indexOf('/blobservices/'));
  const account = store.get(accountId);
  if (!account)
    throw new ArmError(404, 'ResourceNotFound', `The storage account ${accountId} does not exist.`);
  const next = buildContainer(
    container.id,
    container.name,
    account,
    { properties: { publicAccess } },
    container,
    true,
  );
  store.put('blobContainer', next);
  return next;
}
