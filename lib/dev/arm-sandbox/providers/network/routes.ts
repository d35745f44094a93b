/**
 * Microsoft.Network: network security groups and their security rules. Writes and deletes are
 * long-running operations as in Azure: 201/200/202 with `Azure-AsyncOperation` (and `Location`
 * for deletes); the resource shows provisioningState Updating/Deleting until the operation completes.
 * While an operation holds an NSG, any other write to it or to one of its rules is refused with
 * 429 RetryableError (RetryableErrorDueToAnotherOperation). Every rule carries its NSG's ETag, so
 * If-Match on a rule fails after a change to any sibling.
 */
import { ArmError, checkPreconditions, clone, notFound, parentNotFound } from '../../arm.js';
import { type ArmReply, path, type RequestContext, type Route, type SandboxCore } from '../../context.js';
import { nsgId, ruleId } from '../../ids.js';
import { asyncOperationUrl, type Operation, operationResultUrl, retryAfterSeconds } from '../../lro.js';
import type { ArmResource } from '../../types.js';
import { preconditionHeaders, type ResourceInput, resourceInput, routeParams } from '../input.js';
import {
  operationCanceled,
  operationOf,
  refuseWhileBusy,
  startOperation,
  unfinishedPoll,
} from '../operations.js';
import { page } from '../paging.js';
import {
  buildNsg,
  buildRule,
  defaultRulesOf,
  findRule,
  NSG_TYPE,
  RULE_TYPE,
  rulesOf,
  withRule,
} from './shapes.js';

const SUB = '/subscriptions/{s}';
const NSGS = `${SUB}/resourceGroups/{g}/providers/Microsoft.Network/networkSecurityGroups`;
const RULES = `${NSGS}/{n}/securityRules`;
const DEFAULT_RULES = `${NSGS}/{n}/defaultSecurityRules`;

function input(ctx: RequestContext): ResourceInput {
  return resourceInput(ctx, 'InvalidRequestFormat', 'Cannot parse the request.');
}

const params = routeParams;

function requireNsg(core: SandboxCore, ctx: RequestContext): ArmResource {
  const [s, g, n] = params(ctx);
  const nsg = core.store.get(nsgId(s, g, n));
  if (!nsg) throw notFound(NSG_TYPE, n, g);
  return nsg;
}

/** The NSG a nested (rule) request addresses; ARM answers ParentResourceNotFound without it. */
function requireParentNsg(core: SandboxCore, ctx: RequestContext): ArmResource {
  const [s, g, n] = params(ctx);
  const nsg = core.store.get(nsgId(s, g, n));
  if (!nsg) throw parentNotFound(n);
  return nsg;
}

/** The network RP's own 404 for a missing child resource (code `NotFound`, not ARM's ResourceNotFound). */
function ruleNotFound(nsg: ArmResource, name: string): ArmError {
  return new ArmError(404, 'NotFound', `Resource ${nsg.id}/securityRules/${name} not found.`, {}, []);
}

function setProvisioning(nsg: ArmResource, state: string, ruleName?: string): void {
  if (ruleName === undefined) nsg.properties.provisioningState = state;
  for (const rule of rulesOf(nsg)) {
    if (ruleName === undefined || rule.name.toLowerCase() === ruleName.toLowerCase())
      rule.properties.provisioningState = state;
  }
}

function lroHeaders(
  ctx: RequestContext,
  operation: Operation,
  withLocation: boolean,
): Record<string, string> {
  return {
    'azure-asyncoperation': asyncOperationUrl(ctx.baseUrl, operation),
    ...(withLocation ? { location: operationResultUrl(ctx.baseUrl, operation) } : {}),
  };
}

function putNsg(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, n] = params(ctx);
  const id = nsgId(s, g, n);
  const existing = core.store.get(id);
  refuseWhileBusy(core, id);
  checkPreconditions(preconditionHeaders(ctx), existing?.etag, existing !== undefined);
  const nsg = buildNsg(existing?.id ?? id, existing?.name ?? n, input(ctx), existing, 'Updating');
  core.store.put('networkSecurityGroup', nsg);
  const early = core.eventsOnAccept();
  if (early) core.recordChange(ctx, 'write', NSG_TYPE, nsg.id, nsg);
  const operation = startOperation(
    ctx,
    core,
    'Microsoft.Network',
    nsg,
    () => {
      const current = core.store.get(id);
      if (!current)
        throw operationCanceled('The network security group was deleted before the operation completed.');
      setProvisioning(current, 'Succeeded');
      if (!early) core.recordChange(ctx, 'write', NSG_TYPE, current.id, current);
      return current;
    },
    'PutNetworkSecurityGroupOperation',
  );
  return { status: existing ? 200 : 201, body: nsg, headers: lroHeaders(ctx, operation, false) };
}

function patchNsgTags(ctx: RequestContext, core: SandboxCore): ArmReply {
  const nsg = clone(requireNsg(core, ctx));
  refuseWhileBusy(core, nsg.id);
  const tags = input(ctx).tags;
  nsg.tags = typeof tags === 'object' && tags !== null ? (tags as Record<string, string>) : {};
  const next = withRule(nsg, '', undefined); // no rule change; gives the NSG a new ETag
  core.store.put('networkSecurityGroup', next);
  core.recordChange(ctx, 'write', NSG_TYPE, next.id, next);
  return { status: 200, body: next };
}

function deleteNsg(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, n] = params(ctx);
  const existing = core.store.get(nsgId(s, g, n));
  if (!existing) return { status: 204 };
  refuseWhileBusy(core, existing.id);
  checkPreconditions(preconditionHeaders(ctx), existing.etag, true);
  existing.properties.provisioningState = 'Deleting';
  const operation = startOperation(
    ctx,
    core,
    'Microsoft.Network',
    existing,
    () => {
      if (core.store.delete(existing.id)) core.recordChange(ctx, 'delete', NSG_TYPE, existing.id);
      return undefined;
    },
    'DeleteNetworkSecurityGroupOperation',
  );
  return { status: 202, headers: lroHeaders(ctx, operation, true) };
}

function getRule(ctx: RequestContext, core: SandboxCore): ArmReply {
  const nsg = requireParentNsg(core, ctx);
  const name = params(ctx)[3];
  const rule = findRule(nsg, name);
  if (!rule) throw ruleNotFound(nsg, name);
  return { status: 200, body: rule };
}

function putRule(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [, , , r] = params(ctx);
  const nsg = requireParentNsg(core, ctx);
  refuseWhileBusy(core, nsg.id);
  const previous = findRule(nsg, r);
  // the rule's ETag is the NSG's: a change to any sibling since the caller's read fails this
  checkPreconditions(preconditionHeaders(ctx), previous?.etag, previous !== undefined);
  const name = previous?.name ?? r;
  const rule = buildRule(ruleId(...splitNsgId(nsg), name), name, input(ctx), 'Updating');
  const next = withRule(nsg, name, rule);
  core.store.put('networkSecurityGroup', next);
  const accepted = findRule(next, name) as ArmResource;
  const early = core.eventsOnAccept();
  if (early) core.recordChange(ctx, 'write', RULE_TYPE, accepted.id, accepted);
  const operation = startOperation(
    ctx,
    core,
    'Microsoft.Network',
    nsg,
    () => {
      const current = core.store.get(nsg.id);
      const stored = current ? findRule(current, name) : undefined;
      if (!current || !stored)
        throw operationCanceled('The security rule was deleted before the operation completed.');
      setProvisioning(current, 'Succeeded', name);
      if (!early) core.recordChange(ctx, 'write', RULE_TYPE, stored.id, stored);
      return stored;
    },
    'PutSecurityRuleOperation',
  );
  return { status: previous ? 200 : 201, body: accepted, headers: lroHeaders(ctx, operation, false) };
}

function deleteRule(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [, , , r] = params(ctx);
  const nsg = requireParentNsg(core, ctx);
  const existing = findRule(nsg, r);
  if (!existing) return { status: 204 };
  refuseWhileBusy(core, nsg.id);
  checkPreconditions(preconditionHeaders(ctx), existing.etag, true);
  existing.properties.provisioningState = 'Deleting';
  const operation = startOperation(
    ctx,
    core,
    'Microsoft.Network',
    nsg,
    () => {
      const current = core.store.get(nsg.id);
      if (current && findRule(current, existing.name)) {
        core.store.put('networkSecurityGroup', withRule(current, existing.name, undefined));
        core.recordChange(ctx, 'delete', RULE_TYPE, existing.id);
      }
      return undefined;
    },
    'DeleteSecurityRuleOperation',
  );
  return { status: 202, headers: lroHeaders(ctx, operation, true) };
}

function splitNsgId(nsg: ArmResource): [string, string, string] {
  const parts = nsg.id.split('/');
  // /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Network/networkSecurityGroups/{n}
  return [parts[2] ?? '', parts[4] ?? '', parts[8] ?? ''];
}

function operationFor(ctx: RequestContext, core: SandboxCore): Operation {
  return operationOf(ctx, core, 'Microsoft.Network');
}

function pollStatus(ctx: RequestContext, core: SandboxCore): ArmReply {
  const operation = operationFor(ctx, core);
  const body: Record<string, unknown> = {
    name: operation.id,
    status: operation.status,
    startTime: operation.startTime,
  };
  if (operation.error) body.error = operation.error;
  const headers: Record<string, string> =
    operation.status === 'InProgress' ? { 'retry-after': retryAfterSeconds(operation) } : {};
  return { status: 200, body, headers };
}

function pollResult(ctx: RequestContext, core: SandboxCore): ArmReply {
  const operation = operationFor(ctx, core);
  return (
    unfinishedPoll(ctx, operation) ??
    (operation.result ? { status: 200, body: operation.result } : { status: 204 })
  );
}

export const networkRoutes: Route[] = [
  {
    kind: 'networkSecurityGroups.list',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.Network/networkSecurityGroups`),
    handle: (ctx, core) =>
      page(core.store.list('networkSecurityGroup', ctx.params[0] ?? ''), ctx, core.pageSize()),
  },
  {
    kind: 'networkSecurityGroups.list',
    method: 'GET',
    pattern: path(NSGS),
    handle: (ctx, core) =>
      page(
        core.store.list('networkSecurityGroup', ctx.params[0] ?? '', ctx.params[1] ?? ''),
        ctx,
        core.pageSize(),
      ),
  },
  {
    kind: 'networkSecurityGroups.get',
    method: 'GET',
    pattern: path(`${NSGS}/{n}`),
    handle: (ctx, core) => ({ status: 200, body: requireNsg(core, ctx) }),
  },
  { kind: 'networkSecurityGroups.put', method: 'PUT', pattern: path(`${NSGS}/{n}`), handle: putNsg },
  {
    kind: 'networkSecurityGroups.patch',
    method: 'PATCH',
    pattern: path(`${NSGS}/{n}`),
    handle: patchNsgTags,
  },
  { kind: 'networkSecurityGroups.delete', method: 'DELETE', pattern: path(`${NSGS}/{n}`), handle: deleteNsg },
  {
    kind: 'securityRules.list',
    method: 'GET',
    pattern: path(RULES),
    handle: (ctx, core) => page(rulesOf(requireParentNsg(core, ctx)), ctx, core.pageSize()),
  },
  { kind: 'securityRules.get', method: 'GET', pattern: path(`${RULES}/{r}`), handle: getRule },
  { kind: 'securityRules.put', method: 'PUT', pattern: path(`${RULES}/{r}`), handle: putRule },
  { kind: 'securityRules.delete', method: 'DELETE', pattern: path(`${RULES}/{r}`), handle: deleteRule },
  {
    kind: 'defaultSecurityRules.list',
    method: 'GET',
    pattern: path(DEFAULT_RULES),
    handle: (ctx, core) => page(defaultRulesOf(requireNsg(core, ctx)), ctx, core.pageSize()),
  },
  {
    kind: 'defaultSecurityRules.get',
    method: 'GET',
    pattern: path(`${DEFAULT_RULES}/{r}`),
    handle: (ctx, core) => {
      const nsg = requireNsg(core, ctx);
      const name = params(ctx)[3];
      const rule = defaultRulesOf(nsg).find((r) => r.name.toLowerCase() === name.toLowerCase());
      if (!rule) throw notFound(`${NSG_TYPE}/${nsg.name}/defaultSecurityRules`, name, params(ctx)[1]);
      return { status: 200, body: rule };
    },
  },
  {
    kind: 'operations.get',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.Network/locations/{l}/operations/{id}`),
    handle: pollStatus,
  },
  {
    kind: 'operations.get',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.Network/locations/{l}/operationResults/{id}`),
    handle: pollResult,
  },
];
