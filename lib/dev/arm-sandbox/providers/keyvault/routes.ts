/**
 * Microsoft.KeyVault vaults (create is a long-running operation polled through `Location`; PATCH
 * is synchronous; lists page with nextLink) and their keys (get, list, create-if-not-exist: an
 * existing key is returned unchanged, as Keys_CreateIfNotExist does).
 */
import { ArmError, notFound } from '../../arm.js';
import { type ArmReply, path, type RequestContext, type Route, type SandboxCore } from '../../context.js';
import { vaultId } from '../../ids.js';
import type { ArmResource } from '../../types.js';
import { requestContent, routeParams } from '../input.js';
import { acceptCreate, operationOf, requireLocation, unfinishedPoll } from '../operations.js';
import { page } from '../paging.js';
import {
  buildKey,
  buildVault,
  KEY_TYPE,
  updateVault,
  VAULT_TYPE,
  validateKeyName,
  validateVaultName,
} from './shapes.js';

const SUB = '/subscriptions/{s}';
const VAULTS = `${SUB}/resourceGroups/{g}/providers/Microsoft.KeyVault/vaults`;
const KEYS = `${VAULTS}/{v}/keys`;
const PROVIDER = 'Microsoft.KeyVault';

function requireVault(core: SandboxCore, ctx: RequestContext): ArmResource {
  const [s, g, v] = routeParams(ctx);
  const vault = core.store.get(vaultId(s, g, v));
  if (!vault) throw notFound(VAULT_TYPE, v, g);
  return vault;
}

function tenantOf(ctx: RequestContext): string {
  return typeof ctx.caller.tid === 'string' ? ctx.caller.tid : '00000000-0000-0000-0000-000000000000';
}

function putVault(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, v] = routeParams(ctx);
  const id = vaultId(s, g, v);
  const existing = core.store.get(id);
  const body = requestContent(ctx);
  if (existing) {
    const next = updateVault(existing, body);
    core.store.put('keyVault', next);
    core.recordChange(ctx, 'write', VAULT_TYPE, next.id, next);
    return { status: 200, body: next };
  }
  validateVaultName(v);
  requireLocation(body);
  const created = buildVault(id, v, body, true, tenantOf(ctx));
  created.properties.provisioningState = 'RegisteringDns';
  core.store.put('keyVault', created);
  return acceptCreate(ctx, core, PROVIDER, created, {
    type: VAULT_TYPE,
    what: 'vault',
    operation: 'PutVaultOperation',
  });
}

function patchVault(ctx: RequestContext, core: SandboxCore): ArmReply {
  const next = updateVault(requireVault(core, ctx), requestContent(ctx));
  core.store.put('keyVault', next);
  core.recordChange(ctx, 'write', VAULT_TYPE, next.id, next);
  return { status: 200, body: next };
}

function deleteVault(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, v] = routeParams(ctx);
  const existing = core.store.get(vaultId(s, g, v));
  if (!existing) return { status: 204 };
  core.store.delete(existing.id);
  core.recordChange(ctx, 'delete', VAULT_TYPE, existing.id);
  return { status: 200 };
}

function getKey(ctx: RequestContext, core: SandboxCore): ArmReply {
  const vault = requireVault(core, ctx);
  const name = routeParams(ctx)[3];
  const key = core.store.get(`${vault.id}/keys/${name}`);
  if (!key)
    throw new ArmError(404, 'KeyNotFound', `The key '${name}' was not found in vault '${vault.name}'.`);
  return { status: 200, body: key };
}

function putKey(ctx: RequestContext, core: SandboxCore): ArmReply {
  const vault = requireVault(core, ctx);
  const name = routeParams(ctx)[3];
  const id = `${vault.id}/keys/${name}`;
  const existing = core.store.get(id);
  if (existing) return { status: 200, body: existing };
  validateKeyName(name);
  const key = buildKey(id, name, vault, requestContent(ctx));
  core.store.put('keyVaultKey', key);
  core.recordChange(ctx, 'write', KEY_TYPE, key.id, key);
  return { status: 200, body: key };
}

export const keyVaultRoutes: Route[] = [
  {
    kind: 'vaults.list',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.KeyVault/vaults`),
    handle: (ctx, core) => page(core.store.list('keyVault', ctx.params[0] ?? ''), ctx, core.pageSize()),
  },
  {
    kind: 'vaults.get',
    method: 'GET',
    pattern: path(`${VAULTS}/{v}`),
    handle: (ctx, core) => ({ status: 200, body: requireVault(core, ctx) }),
  },
  { kind: 'vaults.put', method: 'PUT', pattern: path(`${VAULTS}/{v}`), handle: putVault },
  { kind: 'vaults.patch', method: 'PATCH', pattern: path(`${VAULTS}/{v}`), handle: patchVault },
  { kind: 'vaults.delete', method: 'DELETE', pattern: path(`${VAULTS}/{v}`), handle: deleteVault },
  {
    kind: 'operations.get',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.KeyVault/locations/{l}/operationResults/{id}`),
    handle: (ctx, core) => {
      const operation = operationOf(ctx, core, PROVIDER);
      return unfinishedPoll(ctx, operation) ?? { status: 200, body: operation.result };
    },
  },
  {
    kind: 'keys.list',
    method: 'GET',
    pattern: path(KEYS),
    handle: (ctx, core) => {
      const vault = requireVault(core, ctx);
      return page(
        core.store.list('keyVaultKey', ctx.params[0] ?? '', undefined, vault.id),
        ctx,
        core.pageSize(),
      );
    },
  },
  { kind: 'keys.get', method: 'GET', pattern: path(`${KEYS}/{k}`), handle: getKey },
  { kind: 'keys.put', method: 'PUT', pattern: path(`${KEYS}/{k}`), handle: putKey },
];
