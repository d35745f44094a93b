/**
 * Microsoft.Storage: storage accounts (create is a long-running operation polled through
 * `Location`, as the real RP does) and blob containers under blobServices/default.
 */
import { ArmError, checkPreconditions, notFound } from '../../arm.js';
import { type ArmReply, path, type RequestContext, type Route, type SandboxCore } from '../../context.js';
import { containerId, storageAccountId } from '../../ids.js';
import { operationResultUrl } from '../../lro.js';
import type { ArmResource } from '../../types.js';
import { preconditionHeaders, requestContent, routeParams } from '../input.js';
import { operationCanceled, operationOf, startOperation, unfinishedPoll } from '../operations.js';
import { page } from '../paging.js';
import {
  buildContainer,
  buildStorageAccount,
  CONTAINER_TYPE,
  STORAGE_TYPE,
  updateStorageAccount,
  validateAccountName,
  validateContainerName,
} from './shapes.js';

const SUB = '/subscriptions/{s}';
const ACCOUNTS = `${SUB}/resourceGroups/{g}/providers/Microsoft.Storage/storageAccounts`;
const CONTAINERS = `${ACCOUNTS}/{a}/blobServices/default/containers`;

const params = routeParams;

function requireAccount(core: SandboxCore, ctx: RequestContext): ArmResource {
  const [s, g, a] = params(ctx);
  const account = core.store.get(storageAccountId(s, g, a));
  if (!account) throw notFound(STORAGE_TYPE, a, g);
  return account;
}

function getAccount(ctx: RequestContext, core: SandboxCore): ArmReply {
  return { status: 200, body: requireAccount(core, ctx) };
}

function putAccount(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, a] = params(ctx);
  validateAccountName(a);
  const id = storageAccountId(s, g, a);
  const existing = core.store.get(id);
  const body = requestContent(ctx);
  if (existing) {
    // An existing account: updated synchronously (the RP answers 200 with the account).
    const next = updateStorageAccount(existing, body);
    core.store.put('storageAccount', next);
    core.recordChange(ctx, 'write', STORAGE_TYPE, next.id, next);
    return { status: 200, body: next };
  }
  const taken = core.store.findAccountByName(a);
  if (taken) {
    throw new ArmError(409, 'StorageAccountAlreadyTaken', `The storage account named ${a} is already taken.`);
  }
  if (typeof body.location !== 'string' || !body.sku || !body.kind) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content is missing required properties: location, sku and kind are required.',
    );
  }
  const created = buildStorageAccount(id, a, body, true, 'Creating');
  core.store.put('storageAccount', created);
  const early = core.eventsOnAccept();
  if (early) core.recordChange(ctx, 'write', STORAGE_TYPE, created.id, created);
  const operation = startOperation(
    ctx,
    core,
    'Microsoft.Storage',
    created,
    () => {
      const current = core.store.get(id);
      if (!current) throw operationCanceled('The storage account was deleted before its creation completed.');
      current.properties.provisioningState = 'Succeeded';
      if (!early) core.recordChange(ctx, 'write', STORAGE_TYPE, current.id, current);
      return current;
    },
    'CreateStorageAccount',
  );
  return { status: 202, headers: { location: operationResultUrl(ctx.baseUrl, operation) } };
}

function patchAccount(ctx: RequestContext, core: SandboxCore): ArmReply {
  const existing = requireAccount(core, ctx);
  const next = updateStorageAccount(existing, requestContent(ctx));
  core.store.put('storageAccount', next);
  core.recordChange(ctx, 'write', STORAGE_TYPE, next.id, next);
  return { status: 200, body: next };
}

function deleteAccount(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, a] = params(ctx);
  const existing = core.store.get(storageAccountId(s, g, a));
  if (!existing) return { status: 204 };
  core.store.delete(existing.id);
  core.recordChange(ctx, 'delete', STORAGE_TYPE, existing.id);
  return { status: 200 };
}

function pollAccountCreation(ctx: RequestContext, core: SandboxCore): ArmReply {
  const operation = operationOf(ctx, core, 'Microsoft.Storage');
  return unfinishedPoll(ctx, operation) ?? { status: 200, body: operation.result };
}

function getContainer(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, a, c] = params(ctx);
  requireAccount(core, ctx);
  const container = core.store.get(containerId(s, g, a, c));
  if (!container) {
    throw new ArmError(404, 'ContainerNotFound', 'The specified container does not exist.');
  }
  return { status: 200, body: container };
}

function writeContainer(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, a, c] = params(ctx);
  const account = requireAccount(core, ctx);
  const id = containerId(s, g, a, c);
  const existing = core.store.get(id);
  if (ctx.method === 'PATCH' && !existing) {
    throw new ArmError(404, 'ContainerNotFound', 'The specified container does not exist.');
  }
  if (!existing) validateContainerName(c);
  // No If-Match / If-None-Match here: the Microsoft.Storage spec declares none on container
  // create/update, so the RP ignores them (a caller must not count on them for concurrency).
  const container = buildContainer(id, c, account, requestContent(ctx), existing, true);
  core.store.put('blobContainer', container);
  core.recordChange(ctx, 'write', CONTAINER_TYPE, container.id, container);
  return { status: existing || ctx.method === 'PATCH' ? 200 : 201, body: container };
}

function deleteContainer(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, a, c] = params(ctx);
  requireAccount(core, ctx);
  const existing = core.store.get(containerId(s, g, a, c));
  if (!existing) return { status: 204 };
  checkPreconditions(preconditionHeaders(ctx), existing.etag, true);
  core.store.delete(existing.id);
  core.recordChange(ctx, 'delete', CONTAINER_TYPE, existing.id);
  return { status: 200 };
}

export const storageRoutes: Route[] = [
  {
    kind: 'storageAccounts.list',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.Storage/storageAccounts`),
    handle: (ctx, core) => page(core.store.list('storageAccount', ctx.params[0] ?? ''), ctx, core.pageSize()),
  },
  {
    kind: 'storageAccounts.list',
    method: 'GET',
    pattern: path(ACCOUNTS),
    handle: (ctx, core) =>
      page(core.store.list('storageAccount', ctx.params[0] ?? '', ctx.params[1] ?? ''), ctx, core.pageSize()),
  },
  { kind: 'storageAccounts.get', method: 'GET', pattern: path(`${ACCOUNTS}/{a}`), handle: getAccount },
  { kind: 'storageAccounts.put', method: 'PUT', pattern: path(`${ACCOUNTS}/{a}`), handle: putAccount },
  { kind: 'storageAccounts.patch', method: 'PATCH', pattern: path(`${ACCOUNTS}/{a}`), handle: patchAccount },
  {
    kind: 'storageAccounts.delete',
    method: 'DELETE',
    pattern: path(`${ACCOUNTS}/{a}`),
    handle: deleteAccount,
  },
  {
    kind: 'operations.get',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.Storage/locations/{l}/asyncoperations/{id}`),
    handle: pollAccountCreation,
  },
  {
    kind: 'containers.list',
    method: 'GET',
    pattern: path(CONTAINERS),
    handle: (ctx, core) => {
      const account = requireAccount(core, ctx);
      return page(
        core.store.list('blobContainer', ctx.params[0] ?? '', ctx.params[1] ?? '', account.id),
        ctx,
        core.pageSize(),
      );
    },
  },
  { kind: 'containers.get', method: 'GET', pattern: path(`${CONTAINERS}/{c}`), handle: getContainer },
  { kind: 'containers.put', method: 'PUT', pattern: path(`${CONTAINERS}/{c}`), handle: writeContainer },
  { kind: 'containers.patch', method: 'PATCH', pattern: path(`${CONTAINERS}/{c}`), handle: writeContainer },
  {
    kind: 'containers.delete',
    method: 'DELETE',
    pattern: path(`${CONTAINERS}/{c}`),
    handle: deleteContainer,
  },
];
