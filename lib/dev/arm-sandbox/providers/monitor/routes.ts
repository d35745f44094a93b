/**
 * Microsoft.OperationalInsights workspaces (create is a long-running operation polled through
 * `Location`; PATCH is synchronous; list is one response without nextLink, as Workspaces_List is),
 * their tables (list without nextLink, GET, PUT/PATCH long-running; retention defaults resolved
 * against the workspace on every read, so a table on the default follows the workspace)
 * and Microsoft.Insights diagnostic settings on any scope the sandbox holds (synchronous PUT and
 * DELETE; list is a plain `{ value }`, as DiagnosticSettings_List is).
 */
import { ArmError, checkPreconditions, notFound } from '../../arm.js';
import { type ArmReply, path, type RequestContext, type Route, type SandboxCore } from '../../context.js';
import { diagnosticSettingId, workspaceId } from '../../ids.js';
import { operationResultUrl } from '../../lro.js';
import type { ArmResource } from '../../types.js';
import { preconditionHeaders, requestContent, routeParams } from '../input.js';
import {
  acceptCreate,
  operationCanceled,
  operationOf,
  requireLocation,
  startOperation,
  unfinishedPoll,
} from '../operations.js';
import {
  buildDiagnosticSetting,
  buildTable,
  buildWorkspace,
  DIAGNOSTIC_SETTING_TYPE,
  MAX_SETTINGS_PER_SCOPE,
  scopeTypeOf,
  TABLE_TYPE,
  tableView,
  updateWorkspace,
  validateWorkspaceName,
  WORKSPACE_TYPE,
} from './shapes.js';

const SUB = '/subscriptions/{s}';
const WORKSPACES = `${SUB}/resourceGroups/{g}/providers/Microsoft.OperationalInsights/workspaces`;
const PROVIDER = 'Microsoft.OperationalInsights';

function requireWorkspace(core: SandboxCore, ctx: RequestContext): ArmResource {
  const [s, g, w] = routeParams(ctx);
  const workspace = core.store.get(workspaceId(s, g, w));
  if (!workspace) throw notFound(WORKSPACE_TYPE, w, g);
  return workspace;
}

function putWorkspace(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, w] = routeParams(ctx);
  const id = workspaceId(s, g, w);
  const existing = core.store.get(id);
  checkPreconditions(preconditionHeaders(ctx), existing?.etag, existing !== undefined);
  const body = requestContent(ctx);
  if (existing) {
    const next = updateWorkspace(existing, body);
    core.store.put('logAnalyticsWorkspace', next);
    core.recordChange(ctx, 'write', WORKSPACE_TYPE, next.id, next);
    return { status: 200, body: next };
  }
  validateWorkspaceName(w);
  requireLocation(body);
  const created = buildWorkspace(id, w, body, 'Creating');
  core.store.put('logAnalyticsWorkspace', created);
  return acceptCreate(ctx, core, PROVIDER, created, {
    type: WORKSPACE_TYPE,
    what: 'workspace',
    operation: 'CreateWorkspaceOperation',
  });
}

function patchWorkspace(ctx: RequestContext, core: SandboxCore): ArmReply {
  const existing = requireWorkspace(core, ctx);
  checkPreconditions(preconditionHeaders(ctx), existing.etag, true);
  const next = updateWorkspace(existing, requestContent(ctx));
  core.store.put('logAnalyticsWorkspace', next);
  core.recordChange(ctx, 'write', WORKSPACE_TYPE, next.id, next);
  return { status: 200, body: next };
}

function deleteWorkspace(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [s, g, w] = routeParams(ctx);
  const existing = core.store.get(workspaceId(s, g, w));
  if (!existing) return { status: 204 };
  core.store.delete(existing.id);
  core.recordChange(ctx, 'delete', WORKSPACE_TYPE, existing.id);
  return { status: 200 };
}

// Tables: every workspace's tables, seeded (the sandbox does not invent Azure's built-in ones).
function tablesOf(core: SandboxCore, workspace: ArmResource): ArmResource[] {
  const [, s = ''] = workspace.id.split('/').slice(1);
  return core.store
    .list('logAnalyticsTable', s, undefined, workspace.id)
    .map((table) => tableView(table, workspace))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function requireTable(
  core: SandboxCore,
  ctx: RequestContext,
): { workspace: ArmResource; table: ArmResource } {
  const workspace = requireWorkspace(core, ctx);
  const name = ctx.params[3] ?? '';
  const table = core.store.get(`${workspace.id}/tables/${name}`);
  if (!table)
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The table '${name}' was not found in workspace '${workspace.name}'.`,
    );
  return { workspace, table };
}

/**
 * Tables_CreateOrUpdate / Tables_Update: long-running (202 + Location, polled like a workspace
 * create), the result the table as GET returns it. A table that does not exist can be created
 * only as a custom table (`_CL`); built-in tables come with the workspace.
 */
function writeTable(ctx: RequestContext, core: SandboxCore): ArmReply {
  const workspace = requireWorkspace(core, ctx);
  const name = ctx.params[3] ?? '';
  const id = `${workspace.id}/tables/${name}`;
  const existing = core.store.get(id);
  if (!existing && !/_CL$/i.test(name))
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The table '${name}' was not found; only custom tables (_CL) can be created.`,
    );
  if (!existing && ctx.method === 'PATCH')
    throw new ArmError(404, 'ResourceNotFound', `The table '${name}' was not found.`);
  const next = buildTable(id, existing?.name ?? name, requestContent(ctx), existing, workspace);
  next.properties.provisioningState = 'Updating';
  core.store.put('logAnalyticsTable', next);
  const operation = startOperation(
    ctx,
    core,
    PROVIDER,
    workspace,
    () => {
      const current = core.store.get(id);
      if (!current) throw operationCanceled('The table was deleted before its update completed.');
      current.properties.provisioningState = 'Succeeded';
      const view = tableView(current, core.store.get(workspace.id));
      core.recordChange(ctx, 'write', TABLE_TYPE, current.id, view);
      return view;
    },
    'UpdateTableOperation',
  );
  return { status: 202, headers: { location: operationResultUrl(ctx.baseUrl, operation) } };
}

/** Tables_Delete: custom, search-result and restored tables only (built-in tables belong to the workspace). */
function deleteTable(ctx: RequestContext, core: SandboxCore): ArmReply {
  const workspace = requireWorkspace(core, ctx);
  const name = ctx.params[3] ?? '';
  const existing = core.store.get(`${workspace.id}/tables/${name}`);
  if (!existing) return { status: 204 };
  if (!/_(CL|SRCH|RST)$/i.test(existing.name))
    throw new ArmError(
      400,
      'InvalidParameter',
      `Table '${existing.name}' is a built-in table and cannot be deleted.`,
    );
  core.store.delete(existing.id);
  core.recordChange(ctx, 'delete', TABLE_TYPE, existing.id);
  return { status: 200 };
}

// Diagnostic settings: the scope is everything before /providers/Microsoft.Insights.
const SETTINGS_LIST =
  /^(\/subscriptions\/[^/]+\/.+?)\/providers\/microsoft\.insights\/diagnosticSettings\/?$/i;
const SETTING =
  /^(\/subscriptions\/[^/]+\/.+?)\/providers\/microsoft\.insights\/diagnosticSettings\/([^/]+)\/?$/i;

/** The scope's stored resource (a blob service lives in its account); 404 when absent, 400 when unsupported. */
function requireScope(core: SandboxCore, scopeId: string): void {
  const owner = scopeId.replace(/\/blobServices\/default$/i, '');
  if (!core.store.get(owner)) {
    throw new ArmError(404, 'ResourceNotFound', `The resource '${scopeId}' was not found.`);
  }
  if (scopeTypeOf(scopeId) === 'microsoft.storage/storageaccounts') {
    throw new ArmError(
      400,
      'ResourceTypeNotSupported',
      'Resource logs are settings of the storage services (e.g. blobServices/default).',
    );
  }
}

function settingsOf(core: SandboxCore, scopeId: string): ArmResource[] {
  const [, s = ''] = scopeId.split('/').slice(1);
  return core.store.list('diagnosticSetting', s, undefined, scopeId);
}

function listSettings(ctx: RequestContext, core: SandboxCore): ArmReply {
  const scopeId = ctx.params[0] ?? '';
  requireScope(core, scopeId);
  return { status: 200, body: { value: settingsOf(core, scopeId) } };
}

function getSetting(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [scopeId = '', name = ''] = ctx.params;
  requireScope(core, scopeId);
  const setting = core.store.get(diagnosticSettingId(scopeId, name));
  if (!setting)
    throw new ArmError(404, 'ResourceNotFound', `The diagnostic setting '${name}' doesn't exist.`);
  return { status: 200, body: setting };
}

function putSetting(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [scopeId = '', name = ''] = ctx.params;
  requireScope(core, scopeId);
  const id = diagnosticSettingId(scopeId, name);
  const existing = core.store.get(id);
  if (!existing && settingsOf(core, scopeId).length >= MAX_SETTINGS_PER_SCOPE) {
    throw new ArmError(
      400,
      'BadRequest',
      `A resource can have at most ${MAX_SETTINGS_PER_SCOPE} diagnostic settings.`,
    );
  }
  const setting = buildDiagnosticSetting(
    id,
    name,
    scopeId,
    requestContent(ctx),
    (workspace) => core.store.get(workspace) !== undefined,
  );
  core.store.put('diagnosticSetting', setting);
  core.recordChange(ctx, 'write', DIAGNOSTIC_SETTING_TYPE, setting.id, setting);
  return { status: 200, body: setting };
}

function deleteSetting(ctx: RequestContext, core: SandboxCore): ArmReply {
  const [scopeId = '', name = ''] = ctx.params;
  requireScope(core, scopeId);
  const existing = core.store.get(diagnosticSettingId(scopeId, name));
  if (!existing) return { status: 204 };
  core.store.delete(existing.id);
  core.recordChange(ctx, 'delete', DIAGNOSTIC_SETTING_TYPE, existing.id);
  return { status: 200 };
}

export const monitorRoutes: Route[] = [
  {
    kind: 'workspaces.list',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.OperationalInsights/workspaces`),
    // Workspaces_List has no nextLink: the whole subscription in one response
    handle: (ctx, core) => ({
      status: 200,
      body: { value: core.store.list('logAnalyticsWorkspace', ctx.params[0] ?? '') },
    }),
  },
  {
    kind: 'workspaces.get',
    method: 'GET',
    pattern: path(`${WORKSPACES}/{w}`),
    handle: (ctx, core) => ({ status: 200, body: requireWorkspace(core, ctx) }),
  },
  { kind: 'workspaces.put', method: 'PUT', pattern: path(`${WORKSPACES}/{w}`), handle: putWorkspace },
  { kind: 'workspaces.patch', method: 'PATCH', pattern: path(`${WORKSPACES}/{w}`), handle: patchWorkspace },
  {
    kind: 'workspaces.delete',
    method: 'DELETE',
    pattern: path(`${WORKSPACES}/{w}`),
    handle: deleteWorkspace,
  },
  {
    kind: 'tables.list',
    method: 'GET',
    pattern: path(`${WORKSPACES}/{w}/tables`),
    // Tables_ListByWorkspace has no nextLink (the SDK reads one response): every table at once
    handle: (ctx, core) => ({ status: 200, body: { value: tablesOf(core, requireWorkspace(core, ctx)) } }),
  },
  {
    kind: 'tables.get',
    method: 'GET',
    pattern: path(`${WORKSPACES}/{w}/tables/{t}`),
    handle: (ctx, core) => {
      const { workspace, table } = requireTable(core, ctx);
      return { status: 200, body: tableView(table, workspace) };
    },
  },
  { kind: 'tables.put', method: 'PUT', pattern: path(`${WORKSPACES}/{w}/tables/{t}`), handle: writeTable },
  {
    kind: 'tables.patch',
    method: 'PATCH',
    pattern: path(`${WORKSPACES}/{w}/tables/{t}`),
    handle: writeTable,
  },
  {
    kind: 'tables.delete',
    method: 'DELETE',
    pattern: path(`${WORKSPACES}/{w}/tables/{t}`),
    handle: deleteTable,
  },
  {
    kind: 'operations.get',
    method: 'GET',
    pattern: path(`${SUB}/providers/Microsoft.OperationalInsights/locations/{l}/operationResults/{id}`),
    handle: (ctx, core) => {
      const operation = operationOf(ctx, core, PROVIDER);
      return unfinishedPoll(ctx, operation) ?? { status: 200, body: operation.result };
    },
  },
  { kind: 'diagnosticSettings.list', method: 'GET', pattern: SETTINGS_LIST, handle: listSettings },
  { kind: 'diagnosticSettings.get', method: 'GET', pattern: SETTING, handle: getSetting },
  { kind: 'diagnosticSettings.put', method: 'PUT', pattern: SETTING, handle: putSetting },
  { kind: 'diagnosticSettings.delete', method: 'DELETE', pattern: SETTING, handle: deleteSetting },
];
