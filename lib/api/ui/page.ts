/**
 * The on-call page's script (browser code: type-checked by lib/api/ui/tsconfig.json with the DOM lib,
 * compiled to an IIFE and inlined into page.html by scripts/build-page.mjs).
 *
 * It talks to the same API as the CLI with the browser's session (App Service Authentication in
 * Azure, the local sign-in cookie locally) — never a key in a URL —
 * and renders data with textContent only (never innerHTML: records carry attacker-chosen strings).
 * The view and its filters live in the page URL (query string), so a link shows what its sender saw;
 * an open record lives in the hash (#record=ID), so Back closes it.
 */

// --- The API's JSON, as far as this page reads it (lib/api/remediations.ts, controls.ts, exceptions.ts).

interface RemediationItem {
  id: string;
  time: string;
  trigger: string;
  eventId: string | null;
  resourceId: string;
  ruleName: string | null;
  controlId: string | null;
  criteria: string[] | null;
  outcome: string;
  actor: string | null;
  action: string;
  message: string;
  before: unknown;
  after: unknown;
  exceptionId: string | null;
  restorable: boolean;
  restoredBy?: { id: string; time: string; actor: string | null; exceptionId: string | null } | null;
}
interface RemediationDetail extends RemediationItem {
  exception?: ExceptionView | null;
}
interface RemediationPage {
  items: RemediationItem[];
  continuationToken?: string | null;
}
interface ControlCatalog {
  items: { id: string; title: string; mode: string }[];
}
interface ExceptionView {
  id: string;
  controlId: string;
  scope: string;
  ruleName?: string;
  justification: string;
  ticket: string;
  approvedBy: string;
  approvedOn: string;
  expiresOn: string;
  revokedOn?: string;
  revokedBy?: string;
  revokedReason?: string;
  status: string;
}
type RestoreResult =
  | { status: 'restored'; exception: ExceptionView; exceptions: ExceptionView[]; record: RemediationItem }
  | { status: 'pending-approval'; exceptions: ExceptionView[] };

const OUTCOMES = [
  'remediated',
  'remediation-failed',
  'restored',
  'exempted',
  'audit-only',
  'compliant',
  'skipped',
  'resource-gone',
];
/** The default view: what on-call acts on (a sweep's compliant rows would bury it). */
const ACTIONABLE = 'actionable';
const ALL = 'all';
const PAGE_SIZE = 100;
const REFRESH_MS = 15000;
const FILTERS = ['outcome', 'control', 'since', 'subscription', 'resource', 'actor'] as const;
/** Properties ARM rewrites on every write: a new ETag is not a change anyone made. */
const VOLATILE = /(^|\.)(etag|provisioningState)$/i;

/** The element with this id, checked to be of the expected kind: markup and script fail loudly if they drift apart. */
function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`page markup: #${id} is missing or not a ${kind.name}`);
  return node;
}

const ui = {
  auth: byId('auth', HTMLElement),
  authTitle: byId('auth-title', HTMLHeadingElement),
  authText: byId('auth-text', HTMLParagraphElement),
  tabLog: byId('tab-log', HTMLAnchorElement),
  tabExceptions: byId('tab-exceptions', HTMLAnchorElement),
  viewLog: byId('view-log', HTMLElement),
  viewExceptions: byId('view-exceptions', HTMLElement),
  reports: byId('reports', HTMLDetailsElement),
  reportList: byId('report-list', HTMLUListElement),
  status: byId('status', HTMLDivElement),
  rows: byId('rows', HTMLTableSectionElement),
  count: byId('count', HTMLSpanElement),
  more: byId('more', HTMLButtonElement),
  filters: byId('filters', HTMLFormElement),
  reset: byId('reset', HTMLButtonElement),
  showAll: byId('show-all', HTMLButtonElement),
  scopeNote: byId('scope-note', HTMLSpanElement),
  refreshNow: byId('refresh-now', HTMLButtonElement),
  refreshToggle: byId('refresh-toggle', HTMLButtonElement),
  filterControl: byId('f-control', HTMLSelectElement),
  filterOutcome: byId('f-outcome', HTMLSelectElement),
  detail: byId('detail', HTMLDialogElement),
  detailClose: byId('d-close', HTMLButtonElement),
  detailSummary: byId('d-summary', HTMLParagraphElement),
  detailRestored: byId('d-restored', HTMLParagraphElement),
  detailFields: byId('d-fields', HTMLDListElement),
  detailException: byId('d-exception', HTMLElement),
  detailExceptionFields: byId('d-exception-fields', HTMLDListElement),
  diff: byId('d-diff', HTMLTableSectionElement),
  diffNote: byId('d-diff-note', HTMLParagraphElement),
  unchangedToggle: byId('d-unchanged', HTMLButtonElement),
  timeline: byId('d-timeline', HTMLOListElement),
  restoreOpen: byId('d-restore-open', HTMLButtonElement),
  exceptionOpen: byId('d-exception-open', HTMLButtonElement),
  restoreForm: byId('restore-form', HTMLFormElement),
  restoreError: byId('r-error', HTMLParagraphElement),
  restoreJustification: byId('r-justification', HTMLTextAreaElement),
  restoreTicket: byId('r-ticket', HTMLInputElement),
  restoreExpires: byId('r-expires', HTMLInputElement),
  restorePreview: byId('r-preview', HTMLDivElement),
  restoreExtra: byId('r-extra', HTMLDivElement),
  exceptionForm: byId('exception-form', HTMLFormElement),
  exceptionError: byId('e-error', HTMLParagraphElement),
  exceptionControl: byId('e-control', HTMLSelectElement),
  exceptionScope: byId('e-scope', HTMLInputElement),
  exceptionRule: byId('e-rule', HTMLInputElement),
  exceptionJustification: byId('e-justification', HTMLTextAreaElement),
  exceptionTicket: byId('e-ticket', HTMLInputElement),
  exceptionExpires: byId('e-expires', HTMLInputElement),
  exStatusFilter: byId('x-status', HTMLSelectElement),
  exSearch: byId('x-search', HTMLInputElement),
  exFilters: byId('ex-filters', HTMLFormElement),
  exStatus: byId('ex-status', HTMLDivElement),
  exRows: byId('ex-rows', HTMLTableSectionElement),
  revoke: byId('revoke', HTMLDialogElement),
  revokeForm: byId('revoke-form', HTMLFormElement),
  revokeWhat: byId('v-what', HTMLParagraphElement),
  revokeError: byId('v-error', HTMLParagraphElement),
  revokeReason: byId('v-reason', HTMLTextAreaElement),
  revokeCancel: byId('v-cancel', HTMLButtonElement),
};
const filterFields = FILTERS.map((name) => {
  const node = document.getElementById(`f-${name}`);
  if (!(node instanceof HTMLInputElement || node instanceof HTMLSelectElement)) {
    throw new Error(`page markup: #f-${name} is missing or not a form field`);
  }
  return { name, node };
});

// Credentials never travel in URLs: in Azure the App Service Authentication session cookie, in
// local mode the session cookie of the one-time sign-in link. A key left in the address bar by an
// old link is dropped from it (history, bookmarks, shared links) and never passed on.
if (new URLSearchParams(location.search).has('code')) {
  const clean = new URL(location.href);
  clean.searchParams.delete('code');
  history.replaceState(null, '', clean.href);
}
const state = {
  items: [] as RemediationItem[],
  ids: new Set<string>(),
  token: null as string | null,
  paused: false,
  timer: undefined as number | undefined,
  current: null as RemediationDetail | null,
  loading: false,
  /** which load() is current: answers to superseded ones are dropped */
  generation: 0,
  view: 'log' as 'log' | 'exceptions',
  exceptions: [] as ExceptionView[],
  revoking: null as ExceptionView | null,
};

// --- API client

/** An API failure; `status` tells a sign-in problem (401/403) from a bad request. */
class ApiFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
    readonly controls: string[] = [],
  ) {
    super(message);
  }
}

function apiUrl(path: string, params?: URLSearchParams): string {
  const url = new URL(path, location.href); // the page is /api/ui: relative paths resolve under /api/
  url.search = '';
  url.hash = '';
  params?.forEach((value, key) => {
    url.searchParams.set(key, value);
  });
  return url.toString();
}

function errorMessage(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || !('error' in data)) return null;
  const { error } = data;
  if (typeof error !== 'object' || error === null || !('message' in error)) return null;
  return typeof error.message === 'string' && error.message ? error.message : null;
}

/** Calls the API; resolves to its JSON (typed by the caller: the API is ours, same origin) or rejects with an ApiFailure. */
async function api<T>(method: string, path: string, params?: URLSearchParams, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, params), init);
  } catch {
    throw new ApiFailure('The API did not answer: is driftwarden (or npm start) running?', 0);
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: unknown; controls?: unknown } } | null)?.error;
    const controls = Array.isArray(error?.controls)
      ? error.controls.filter((c): c is string => typeof c === 'string')
      : [];
    throw new ApiFailure(
      errorMessage(data) ?? `Request failed (HTTP ${response.status}).`,
      response.status,
      typeof error?.code === 'string' ? error.code : null,
      controls,
    );
  }
  return data as T;
}

/**
 * A read that failed for want of credentials: say what to do in words, once, at the top of the
 * page (the host answers a missing key with a bare 401; App Service Authentication with 401/403).
 */
function showAuthProblem(error: unknown): boolean {
  if (!(error instanceof ApiFailure) || (error.status !== 401 && error.status !== 403)) return false;
  ui.auth.hidden = false;
  if (error.status === 401) {
    ui.authTitle.textContent = 'Not signed in';
    ui.authText.textContent =
      'Your session has ended or was never started. In Azure, reload the page to sign in again; ' +
      'in local mode, open the one-time sign-in link that `npm start` prints (or run `npx driftwarden sandbox login`).';
  } else {
    ui.authTitle.textContent = 'Not allowed';
    ui.authText.textContent = `You are signed in, but: ${error.message}`;
  }
  return true;
}

// --- Rendering helpers

function say(message: string, isError = false, target: HTMLElement = ui.status): void {
  target.textContent = message;
  target.className = isError ? 'error' : '';
  target.setAttribute('role', isError ? 'alert' : 'status');
}

function sayError(error: unknown, target: HTMLElement = ui.status): void {
  if (showAuthProblem(error)) {
    say('', false, target);
    return;
  }
  say(error instanceof Error ? error.message : String(error), true, target);
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string | number | null,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function fmtTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** "3 min ago" beside absolute times: at 3 a.m. the question is "is this tonight's?". */
function ago(iso: string): string {
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 90) return 'just now';
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** "rg / name" (or "rg / nsg/rule") for the table; the full id is in the cell's title. */
function shortResource(id: string): string {
  const parts = id.split('/');
  const rgAt = parts.findIndex((part) => part.toLowerCase() === 'resourcegroups');
  const rg = rgAt >= 0 ? (parts[rgAt + 1] ?? '') : '';
  let tail = parts.at(-1) || id;
  const ruleAt = parts.findIndex((part) => part.toLowerCase() === 'securityrules');
  if (ruleAt > 0) tail = `${parts[ruleAt - 1] ?? ''}/${parts[ruleAt + 1] ?? ''}`;
  if (parts.length === 3 && parts[1] === 'subscriptions') tail = `subscription ${parts[2] ?? ''}`;
  // identity records: /tenants/<tid>/users/<oid> → "users / <oid>"
  if (parts[1] === 'tenants' && parts[3]) return `${parts[3]} / ${tail}`;
  return (rg ? `${rg} / ` : '') + tail;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// --- Filters and views in the URL

function outcomeValue(): string {
  return ui.filterOutcome.value || ACTIONABLE;
}

/** The API query for the current filters (`outcome=actionable` is understood by the API). */
function filterParams(): URLSearchParams {
  const params = new URLSearchParams();
  for (const { name, node } of filterFields) {
    const value = node.value.trim();
    if (!value || (name === 'outcome' && value === ALL)) continue;
    params.set(name, value);
  }
  return params;
}

/** Writes the view and filters into the address bar (keeping an open record). */
function writeUrl(): void {
  const url = new URL(location.href);
  for (const { name } of filterFields) url.searchParams.delete(name);
  url.searchParams.delete('view');
  url.searchParams.delete('status');
  url.searchParams.delete('q');
  if (state.view === 'exceptions') {
    url.searchParams.set('view', 'exceptions');
    if (ui.exStatusFilter.value !== 'active') url.searchParams.set('status', ui.exStatusFilter.value);
    if (ui.exSearch.value.trim()) url.searchParams.set('q', ui.exSearch.value.trim());
  } else {
    for (const { name, node } of filterFields) {
      const value = node.value.trim();
      if (value && !(name === 'outcome' && value === ACTIONABLE)) url.searchParams.set(name, value);
    }
  }
  if (url.href !== location.href) history.replaceState(null, '', url.href);
  // The tabs are real links (the session cookie travels, never a key); clicks switch views in place.
  for (const [tab, view] of [
    [ui.tabLog, 'log'],
    [ui.tabExceptions, 'exceptions'],
  ] as const) {
    const target = new URL(location.pathname, location.href);
    if (view === 'exceptions') target.searchParams.set('view', 'exceptions');
    tab.href = target.href;
  }
}

/** Reads the view and filters from the address bar into the form fields. */
function readUrl(): void {
  const params = new URLSearchParams(location.search);
  for (const { name, node } of filterFields) {
    const value = params.get(name) ?? '';
    if (
      node instanceof HTMLSelectElement &&
      value &&
      !Array.from(node.options).some((o) => o.value === value)
    ) {
      node.appendChild(el('option', value)).value = value; // e.g. a control the catalog has not listed yet
    }
    node.value = name === 'outcome' ? value || ACTIONABLE : value;
  }
  state.view = params.get('view') === 'exceptions' ? 'exceptions' : 'log';
  ui.exStatusFilter.value = params.get('status') || 'active';
  ui.exSearch.value = params.get('q') ?? '';
}

function renderScope(): void {
  const outcome = outcomeValue();
  if (outcome === ACTIONABLE) {
    ui.scopeNote.textContent = 'Showing what needs attention: remediated, failed, exempted and restored.';
    ui.showAll.textContent = 'Show all outcomes';
    ui.showAll.hidden = false;
  } else if (outcome === ALL) {
    ui.scopeNote.textContent = 'Showing every outcome, sweeps’ compliant records included.';
    ui.showAll.textContent = 'Show actionable only';
    ui.showAll.hidden = false;
  } else {
    ui.scopeNote.textContent = `Showing ${outcome} records only.`;
    ui.showAll.textContent = 'Show all outcomes';
    ui.showAll.hidden = false;
  }
}

function showView(view: 'log' | 'exceptions'): void {
  state.view = view;
  ui.viewLog.hidden = view !== 'log';
  ui.viewExceptions.hidden = view !== 'exceptions';
  ui.tabLog.toggleAttribute('aria-current', view === 'log');
  ui.tabExceptions.toggleAttribute('aria-current', view === 'exceptions');
  if (view === 'log') ui.tabLog.setAttribute('aria-current', 'page');
  else ui.tabExceptions.setAttribute('aria-current', 'page');
  document.title = `driftwarden — ${view === 'log' ? 'remediation log' : 'exceptions'}`;
  writeUrl();
}

// --- The log table

function cell(text: string, label: string, className?: string): HTMLTableCellElement {
  const td = el('td', text, className);
  td.dataset.label = label;
  return td;
}

function renderRow(item: RemediationItem): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.id = item.id;
  const timeCell = cell('', 'Time', 'time');
  const link = el('a', fmtTime(item.time));
  link.href = `#record=${encodeURIComponent(item.id)}`;
  link.title = ago(item.time);
  link.setAttribute(
    'aria-label',
    `Open record from ${fmtTime(item.time)}, ${item.outcome}, ${item.controlId || 'no control'}`,
  );
  timeCell.appendChild(link);
  tr.appendChild(timeCell);
  const outcome = cell('', 'Outcome', 'outcome');
  outcome.appendChild(el('span', item.outcome, `badge o-${item.outcome}`));
  if (item.restoredBy) outcome.appendChild(el('span', ' restored', 'muted small'));
  tr.appendChild(outcome);
  tr.appendChild(cell(item.controlId || '—', 'Control', 'control'));
  const res = cell(shortResource(item.resourceId), 'Resource', 'res');
  res.title = item.resourceId;
  tr.appendChild(res);
  tr.appendChild(cell(item.actor || '—', 'Actor', 'actor'));
  tr.appendChild(cell(item.action, 'Action', 'action'));
  tr.addEventListener('click', (event) => {
    if (!(event.target instanceof HTMLAnchorElement)) openRecord(item.id);
  });
  return tr;
}

/** The remediation's row now says it was restored (and offers nothing more): no reload needed. */
function markRestored(item: RemediationItem, restored: RemediationItem): void {
  const updated: RemediationItem = {
    ...item,
    restorable: false,
    restoredBy: {
      id: restored.id,
      time: restored.time,
      actor: restored.actor,
      exceptionId: restored.exceptionId,
    },
  };
  const index = state.items.findIndex((known) => known.id === item.id);
  if (index >= 0) state.items[index] = updated;
  const row = ui.rows.querySelector(`tr[data-id="${CSS.escape(item.id)}"]`);
  row?.replaceWith(renderRow(updated));
}

function renderCount(): void {
  const n = state.items.length;
  ui.count.textContent = `${plural(n, 'record')} shown${state.token ? ' (more available)' : ''}`;
  ui.more.hidden = !state.token;
}

async function load(reset: boolean): Promise<void> {
  // A new filter supersedes a load in flight (its answer is dropped); "Load more" waits its turn.
  if (state.loading && !reset) return;
  const generation = ++state.generation;
  state.loading = true;
  const params = filterParams();
  params.set('limit', String(PAGE_SIZE));
  if (!reset && state.token) params.set('continuationToken', state.token);
  renderScope();
  say(reset ? 'Loading…' : 'Loading more…');
  try {
    const page = await api<RemediationPage>('GET', 'remediations', params);
    if (generation !== state.generation) return;
    ui.auth.hidden = true;
    if (reset) {
      state.items = [];
      state.ids = new Set();
      ui.rows.textContent = '';
    }
    const fragment = document.createDocumentFragment();
    for (const item of page.items) {
      if (state.ids.has(item.id)) continue;
      state.ids.add(item.id);
      state.items.push(item);
      fragment.appendChild(renderRow(item));
    }
    ui.rows.appendChild(fragment);
    state.token = page.continuationToken || null;
    renderCount();
    const actionable = outcomeValue() === ACTIONABLE;
    say(
      state.items.length
        ? `Showing ${state.items.length} ${actionable ? 'actionable ' : ''}records, newest first.`
        : actionable
          ? 'Nothing needs attention for these filters. “Show all outcomes” lists compliant and skipped records too.'
          : 'No records match these filters.',
    );
  } catch (error) {
    if (generation === state.generation) sayError(error);
  } finally {
    if (generation === state.generation) state.loading = false;
  }
}

/** Auto-refresh: fetch the newest page and prepend what is new, keeping what was loaded below. */
async function refresh(quiet: boolean): Promise<void> {
  if (state.loading || state.view !== 'log') return;
  const params = filterParams();
  params.set('limit', String(PAGE_SIZE));
  try {
    const generation = state.generation;
    const page = await api<RemediationPage>('GET', 'remediations', params);
    if (generation !== state.generation || state.loading) return; // the filters changed meanwhile
    const fresh = page.items.filter((item) => !state.ids.has(item.id));
    if (!state.items.length) state.token = page.continuationToken || null;
    const fragment = document.createDocumentFragment();
    for (const item of fresh) {
      state.ids.add(item.id);
      fragment.appendChild(renderRow(item));
    }
    state.items = fresh.concat(state.items);
    ui.rows.insertBefore(fragment, ui.rows.firstChild);
    renderCount();
    if (fresh.length && !quiet) say(`${plural(fresh.length, 'new record')}.`);
  } catch (error) {
    sayError(error);
  }
}

function schedule(): void {
  clearInterval(state.timer);
  if (!state.paused) {
    state.timer = setInterval(() => {
      if (document.hidden) return;
      if (state.view === 'log') void refresh(false);
      else void loadExceptions(true);
    }, REFRESH_MS);
  }
}

// --- The record dialog

/** Leaf properties by dotted path, JSON-encoded, so before and after compare line by line. */
function flatten(value: unknown, prefix: string, out: Record<string, string | undefined>) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (!entries.length && prefix) out[prefix] = '{}';
    for (const [key, child] of entries) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out[prefix] = value === undefined ? undefined : JSON.stringify(value, null, 1);
  } else if (value !== null && value !== undefined) {
    out['(value)'] = JSON.stringify(value, null, 1);
  }
  return out;
}

/** Changed properties first (what was reverted); unchanged ones, and ETags, behind a toggle. */
function renderDiff(before: unknown, after: unknown): void {
  const a = flatten(before, '', {});
  const b = flatten(after, '', {});
  const keys = Array.from(new Set(Object.keys(a).concat(Object.keys(b)))).sort();
  const changed = keys.filter((key) => a[key] !== b[key] && !VOLATILE.test(key));
  const unchanged = keys.filter((key) => !changed.includes(key));
  ui.diff.textContent = '';
  const row = (key: string, isChanged: boolean) => {
    const tr = el('tr', null, isChanged ? 'changed' : 'unchanged');
    const name = el('td', key);
    if (isChanged) name.appendChild(el('span', ' (changed)', 'visually-hidden'));
    else if (a[key] !== b[key])
      name.appendChild(el('span', ' (rewritten by Azure on every write)', 'muted small'));
    tr.appendChild(name);
    tr.appendChild(el('td', a[key] ?? '—'));
    tr.appendChild(el('td', b[key] ?? '—'));
    tr.hidden = !isChanged;
    ui.diff.appendChild(tr);
  };
  for (const key of changed) row(key, true);
  for (const key of unchanged) row(key, false);
  ui.unchangedToggle.hidden = unchanged.length === 0;
  ui.unchangedToggle.setAttribute('aria-expanded', 'false');
  ui.unchangedToggle.textContent = `Show ${plural(unchanged.length, 'unchanged property')}`.replace(
    'propertys',
    'properties',
  );
  ui.diffNote.textContent = keys.length
    ? `${changed.length} of ${keys.length} properties changed${changed.length ? ' (highlighted)' : ''}.`
    : 'No state recorded.';
}

ui.unchangedToggle.addEventListener('click', () => {
  const open = ui.unchangedToggle.getAttribute('aria-expanded') !== 'true';
  for (const tr of Array.from(ui.diff.querySelectorAll<HTMLTableRowElement>('tr.unchanged')))
    tr.hidden = !open;
  ui.unchangedToggle.setAttribute('aria-expanded', String(open));
  const n = ui.diff.querySelectorAll('tr.unchanged').length;
  const what = n === 1 ? '1 unchanged property' : `${n} unchanged properties`;
  ui.unchangedToggle.textContent = open ? `Hide ${what}` : `Show ${what}`;
});

function field(list: HTMLDListElement, name: string, value: string | null | undefined): void {
  list.appendChild(el('dt', name));
  list.appendChild(el('dd', value === null || value === undefined || value === '' ? '—' : value));
}

function renderException(exception: ExceptionView | null | undefined, exceptionId: string | null): void {
  const list = ui.detailExceptionFields;
  list.textContent = '';
  ui.detailException.hidden = !exception && !exceptionId;
  if (!exception) {
    if (exceptionId) field(list, 'Exception id', `${exceptionId} (not found in the registry)`);
    return;
  }
  field(list, 'Justification', exception.justification);
  field(list, 'Ticket', exception.ticket);
  field(list, 'Status', exception.status);
  field(list, 'Expires (UTC)', fmtTime(exception.expiresOn));
  field(list, 'Approved by', `${exception.approvedBy} on ${fmtTime(exception.approvedOn)}`);
  field(list, 'Scope', exception.scope + (exception.ruleName ? ` (rule ${exception.ruleName})` : ''));
  if (exception.revokedOn)
    field(
      list,
      'Revoked',
      `${fmtTime(exception.revokedOn)} by ${exception.revokedBy ?? '?'}${exception.revokedReason ? `: ${exception.revokedReason}` : ''}`,
    );
  field(list, 'Exception id', exception.id);
}

/** The resource's other records (same id, newest first), the current one marked. */
async function renderTimeline(item: RemediationItem): Promise<void> {
  ui.timeline.textContent = '';
  ui.timeline.appendChild(el('li', 'Loading…', 'muted'));
  try {
    const params = new URLSearchParams({ resource: item.resourceId, limit: '50' });
    const page = await api<RemediationPage>('GET', 'remediations', params);
    if (state.current?.id !== item.id) return; // another record was opened meanwhile
    const same = page.items.filter(
      (other) => other.resourceId.toLowerCase() === item.resourceId.toLowerCase(),
    );
    ui.timeline.textContent = '';
    for (const other of same) {
      const li = el('li', null, other.id === item.id ? 'current' : '');
      const link = el('a', fmtTime(other.time));
      link.href = `#record=${encodeURIComponent(other.id)}`;
      li.appendChild(link);
      li.appendChild(el('span', ` ${other.outcome}`, `badge o-${other.outcome}`));
      li.appendChild(el('span', ` ${other.actor || '—'} · ${other.action}`));
      if (other.id === item.id) {
        li.setAttribute('aria-current', 'true');
        li.appendChild(el('span', ' (this record)', 'muted'));
      }
      ui.timeline.appendChild(li);
    }
    if (!same.length) ui.timeline.appendChild(el('li', 'No other records.', 'muted'));
  } catch (error) {
    ui.timeline.textContent = '';
    ui.timeline.appendChild(el('li', error instanceof Error ? error.message : String(error), 'error'));
  }
}

function showRecord(item: RemediationDetail): void {
  state.current = item;
  const list = ui.detailFields;
  list.textContent = '';
  field(list, 'Record id', item.id);
  field(list, 'Time (UTC)', `${fmtTime(item.time)} (${ago(item.time)})`);
  field(list, 'Outcome', item.outcome);
  field(list, 'Control', item.controlId);
  field(list, 'SOC 2 criteria', (item.criteria || []).join(', '));
  field(list, 'Resource', item.resourceId);
  field(list, 'Rule', item.ruleName);
  field(list, 'Actor', item.actor);
  field(list, 'Action', item.action);
  field(list, 'Message', item.message);
  field(list, 'Exception id', item.exceptionId);
  field(list, 'Trigger', item.trigger + (item.eventId ? ` (event ${item.eventId})` : ''));
  ui.detailSummary.textContent = '';
  ui.detailSummary.appendChild(el('span', item.outcome, `badge o-${item.outcome}`));
  ui.detailSummary.appendChild(
    el(
      'span',
      ` ${fmtTime(item.time)} (${ago(item.time)}) · ${item.controlId || 'no control'} · ${item.actor || 'unknown actor'}`,
    ),
  );
  ui.detailSummary.appendChild(el('br'));
  ui.detailSummary.appendChild(el('span', item.resourceId, 'mono'));
  ui.detailSummary.appendChild(el('br'));
  ui.detailSummary.appendChild(el('span', `${item.action} — ${item.message}`));
  const restored = item.restoredBy;
  ui.detailRestored.hidden = !restored;
  ui.detailRestored.textContent = restored
    ? `Already restored on ${fmtTime(restored.time)} by ${restored.actor || 'an approver'}` +
      `${restored.exceptionId ? ` (exception ${restored.exceptionId})` : ''}. To change that exception, revoke it under Exceptions and create a new one.`
    : '';
  renderException(item.exception, item.exceptionId);
  renderDiff(item.before, item.after);
  ui.restoreOpen.hidden = !item.restorable;
  ui.restoreForm.hidden = true;
  ui.exceptionForm.hidden = true;
  clearFormError(ui.restoreError);
  clearFormError(ui.exceptionError);
  if (!ui.detail.open) ui.detail.showModal();
  ui.detailClose.focus();
  void renderTimeline(item);
}

/** Records open through the URL hash (#record=ID), so a record can be linked and Back closes it. */
function openRecord(id: string): void {
  if (location.hash !== `#record=${encodeURIComponent(id)}`) {
    location.hash = `record=${encodeURIComponent(id)}`;
    return;
  }
  // Always fetched: restore state and the exception's justification are part of the answer.
  api<RemediationDetail>('GET', `remediations/${encodeURIComponent(id)}`)
    .then(showRecord)
    .catch((error: unknown) => sayError(error));
}

function onHash(): void {
  const match = /^#record=(.+)$/.exec(location.hash);
  if (match?.[1]) openRecord(decodeURIComponent(match[1]));
  else if (ui.detail.open) ui.detail.close();
}

function closeDetail(): void {
  ui.detail.close();
}

ui.detail.addEventListener('close', () => {
  const id = state.current?.id;
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  const row = id ? document.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(id)}"] a`) : null;
  row?.focus();
});

// --- Restore and exception forms (errors are shown in the form, inside the dialog)

function isoDatePlusDays(days: number): string {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

function showFormError(target: HTMLParagraphElement, message: string, focus?: HTMLElement): void {
  target.textContent = message;
  target.hidden = false;
  if (focus) {
    focus.setAttribute('aria-invalid', 'true');
    focus.focus();
  } else target.focus();
}

function clearFormError(target: HTMLParagraphElement): void {
  target.textContent = '';
  target.hidden = true;
  for (const invalid of Array.from(document.querySelectorAll('[aria-invalid="true"]')))
    invalid.removeAttribute('aria-invalid');
}

/** The field an API message is about (e.g. "expiresOn must be…"), to focus it. */
function fieldFor(message: string, fields: Record<string, HTMLElement>): HTMLElement | undefined {
  const name = Object.keys(fields).find((key) => message.startsWith(key) || message.startsWith(`${key} `));
  return name ? fields[name] : undefined;
}

/** The API names fields as in its JSON ("expiresOn must be…"); the form calls them by their labels. */
const FIELD_LABELS: Record<string, string> = {
  expiresOn: 'Expiry',
  justification: 'Business justification',
  ticket: 'Ticket',
  scope: 'Scope',
  ruleName: 'Rule name',
  control: 'Control',
  reason: 'Reason',
};
function humanize(message: string): string {
  const field = /^(\w+)\b/.exec(message)?.[1];
  const label = field ? FIELD_LABELS[field] : undefined;
  return label ? label + message.slice(field?.length ?? 0) : message;
}

/** Required fields, checked here so the message lands in the dialog, not in a browser bubble. */
function missingFields(fields: [string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement][]) {
  const missing = fields.filter(([, node]) => !node.value.trim());
  return missing.length
    ? { message: `Please fill in: ${missing.map(([label]) => label).join(', ')}.`, first: missing[0]?.[1] }
    : null;
}

function openForm(form: HTMLFormElement, firstField: HTMLElement): void {
  ui.restoreForm.hidden = form !== ui.restoreForm;
  ui.exceptionForm.hidden = form !== ui.exceptionForm;
  firstField.focus();
}

/** Disables (or re-enables) every control of a form while its request is in flight. */
function submitting(form: HTMLFormElement, busy: boolean): void {
  for (const control of Array.from(form.elements)) {
    if (
      control instanceof HTMLButtonElement ||
      control instanceof HTMLInputElement ||
      control instanceof HTMLSelectElement ||
      control instanceof HTMLTextAreaElement ||
      control instanceof HTMLFieldSetElement
    ) {
      control.disabled = busy;
    }
  }
}

interface RestorePreview {
  dryRun: true;
  preview: { changes: Array<{ field: string; from: unknown; to: unknown }> };
}

/** Shows the approver the exact change a restore would make (a dry run: nothing is written). */
async function showRestorePreview(id: string): Promise<void> {
  const box = ui.restorePreview;
  box.replaceChildren(el('p', 'Checking the record and what a restore would change…'));
  try {
    const { preview } = await api<RestorePreview>(
      'POST',
      `remediations/${encodeURIComponent(id)}/restore`,
      undefined,
      { dryRun: true },
    );
    if (state.current?.id !== id) return;
    const list = el('ul');
    for (const change of preview.changes)
      list.appendChild(
        el('li', `${change.field}: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`),
      );
    box.replaceChildren(
      el('p', preview.changes.length ? 'This restore will change exactly:' : 'Nothing would change.'),
      list,
    );
  } catch (error) {
    if (state.current?.id !== id) return;
    box.replaceChildren(el('p', error instanceof Error ? error.message : String(error)));
  }
}

ui.restoreOpen.addEventListener('click', () => {
  ui.restoreExpires.value = ui.restoreExpires.value || isoDatePlusDays(30);
  clearFormError(ui.restoreError);
  openForm(ui.restoreForm, ui.restoreJustification);
  const item = state.current;
  if (item) void showRestorePreview(item.id);
});

ui.exceptionOpen.addEventListener('click', () => {
  const item = state.current;
  if (!item) return;
  ui.exceptionControl.value = item.controlId || '';
  ui.exceptionScope.value = item.resourceId.split('/securityRules/')[0] ?? item.resourceId;
  ui.exceptionRule.value = item.ruleName || '';
  ui.exceptionExpires.value = ui.exceptionExpires.value || isoDatePlusDays(30);
  clearFormError(ui.exceptionError);
  openForm(ui.exceptionForm, ui.exceptionJustification);
});

for (const button of Array.from(document.querySelectorAll('[data-cancel]'))) {
  button.addEventListener('click', () => {
    const form = button.closest('form');
    if (form) form.hidden = true;
    (ui.restoreOpen.hidden ? ui.exceptionOpen : ui.restoreOpen).focus();
  });
}

/** One required textarea per control the restore would also reopen (each becomes its own exception). */
function askJustifications(controls: readonly string[]): void {
  const fields = controls.map((control) => {
    const label = document.createElement('label');
    label.textContent = `Justification for ${control} (the restored state fails it too) `;
    const area = document.createElement('textarea');
    area.required = true;
    area.minLength = 10;
    area.dataset.control = control;
    label.append(area);
    return label;
  });
  ui.restoreExtra.replaceChildren(...fields);
  fields[0]?.querySelector('textarea')?.focus();
}

function extraJustifications(): { justifications?: Record<string, string> } {
  const areas = [...ui.restoreExtra.querySelectorAll('textarea')];
  if (areas.length === 0) return {};
  return {
    justifications: Object.fromEntries(areas.map((area) => [area.dataset.control ?? '', area.value])),
  };
}

ui.restoreForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = ui.restoreForm;
  const item = state.current;
  if (!item) return;
  clearFormError(ui.restoreError);
  const missing = missingFields([
    ['business justification', ui.restoreJustification],
    ['ticket', ui.restoreTicket],
    ['expiry', ui.restoreExpires],
  ]);
  if (missing) return showFormError(ui.restoreError, missing.message, missing.first);
  submitting(form, true);
  say('Restoring…');
  try {
    const result = await api<RestoreResult>(
      'POST',
      `remediations/${encodeURIComponent(item.id)}/restore`,
      undefined,
      {
        justification: ui.restoreJustification.value,
        ticket: ui.restoreTicket.value,
        expiresOn: ui.restoreExpires.value,
        ...extraJustifications(),
      },
    );
    form.reset();
    ui.restoreExtra.replaceChildren();
    form.hidden = true;
    if (result.status === 'restored') markRestored(item, result.record);
    closeDetail();
    if (result.status === 'pending-approval') {
      say(
        `Requested: another approver must approve ${result.exceptions.map((e) => `${e.controlId} (${e.id})`).join(', ')} ` +
          'before the resource is restored.',
      );
    } else {
      say(
        `Restored. Exception ${result.exception.id} expires ${fmtTime(result.exception.expiresOn)}; ` +
          `record ${result.record.id} written.`,
      );
    }
    await refresh(true);
  } catch (error) {
    submitting(form, false); // before focusing the field: a disabled one cannot take focus
    say('');
    // the restored state would also fail other controls: ask for one justification per control
    if (error instanceof ApiFailure && error.code === 'JustificationsRequired')
      askJustifications(error.controls);
    const message = error instanceof Error ? error.message : String(error);
    showFormError(
      ui.restoreError,
      humanize(message),
      fieldFor(message, {
        justification: ui.restoreJustification,
        ticket: ui.restoreTicket,
        expiresOn: ui.restoreExpires,
      }),
    );
  } finally {
    submitting(form, false);
  }
});

ui.exceptionForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = ui.exceptionForm;
  clearFormError(ui.exceptionError);
  const missing = missingFields([
    ['control', ui.exceptionControl],
    ['scope', ui.exceptionScope],
    ['business justification', ui.exceptionJustification],
    ['ticket', ui.exceptionTicket],
    ['expiry', ui.exceptionExpires],
  ]);
  if (missing) return showFormError(ui.exceptionError, missing.message, missing.first);
  submitting(form, true);
  const body: Record<string, string> = {
    control: ui.exceptionControl.value,
    scope: ui.exceptionScope.value,
    justification: ui.exceptionJustification.value,
    ticket: ui.exceptionTicket.value,
    expiresOn: ui.exceptionExpires.value,
  };
  const ruleName = ui.exceptionRule.value.trim();
  if (ruleName) body.ruleName = ruleName;
  try {
    const created = await api<ExceptionView>('POST', 'exceptions', undefined, body);
    form.reset();
    form.hidden = true;
    closeDetail();
    say(`Exception ${created.id} created for ${created.controlId}, expires ${fmtTime(created.expiresOn)}.`);
  } catch (error) {
    submitting(form, false);
    const message = error instanceof Error ? error.message : String(error);
    showFormError(
      ui.exceptionError,
      humanize(message),
      fieldFor(message, {
        control: ui.exceptionControl,
        scope: ui.exceptionScope,
        ruleName: ui.exceptionRule,
        justification: ui.exceptionJustification,
        ticket: ui.exceptionTicket,
        expiresOn: ui.exceptionExpires,
      }),
    );
  } finally {
    submitting(form, false);
  }
});

// --- The exceptions view

function matchesSearch(exception: ExceptionView, query: string): boolean {
  if (!query) return true;
  const haystack = [
    exception.controlId,
    exception.scope,
    exception.ruleName ?? '',
    exception.ticket,
    exception.approvedBy,
    exception.justification,
    exception.id,
  ]
    .join('\n')
    .toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

function renderExceptions(): void {
  const query = ui.exSearch.value.trim();
  const shown = state.exceptions.filter((exception) => matchesSearch(exception, query));
  ui.exRows.textContent = '';
  for (const exception of shown) {
    const tr = el('tr');
    tr.dataset.id = exception.id;
    const status = cell('', 'Status', 'outcome');
    status.appendChild(el('span', exception.status, `badge x-${exception.status}`));
    tr.appendChild(status);
    tr.appendChild(cell(exception.controlId, 'Control', 'control'));
    const scope = cell(
      shortResource(exception.scope) + (exception.ruleName ? ` (rule ${exception.ruleName})` : ''),
      'Scope',
      'res',
    );
    scope.title = exception.scope;
    tr.appendChild(scope);
    const expires = cell(fmtTime(exception.expiresOn), 'Expires', 'time');
    tr.appendChild(expires);
    tr.appendChild(cell(exception.approvedBy, 'Approved by'));
    tr.appendChild(cell(exception.ticket, 'Ticket'));
    const why = cell(exception.justification, 'Justification');
    if (exception.revokedOn) {
      why.appendChild(el('br'));
      why.appendChild(
        el(
          'span',
          `Revoked ${fmtTime(exception.revokedOn)} by ${exception.revokedBy ?? '?'}${exception.revokedReason ? `: ${exception.revokedReason}` : ''}`,
          'muted',
        ),
      );
    }
    tr.appendChild(why);
    const action = cell('', 'Action');
    if (exception.status === 'active') {
      const button = el('button', 'Revoke…', 'secondary');
      button.type = 'button';
      button.setAttribute('aria-label', `Revoke exception ${exception.id} for ${exception.controlId}`);
      button.addEventListener('click', () => openRevoke(exception));
      action.appendChild(button);
    } else action.textContent = '—';
    tr.appendChild(action);
    ui.exRows.appendChild(tr);
  }
  const total = state.exceptions.length;
  say(
    shown.length === total
      ? `${plural(total, `${ui.exStatusFilter.value === 'all' ? '' : `${ui.exStatusFilter.value} `}exception`)}.`
      : `${shown.length} of ${plural(total, 'exception')} match “${query}”.`,
    false,
    ui.exStatus,
  );
}

async function loadExceptions(quiet = false): Promise<void> {
  const status = ui.exStatusFilter.value;
  const params = new URLSearchParams();
  if (status !== 'all') params.set('status', status);
  if (!quiet) say('Loading…', false, ui.exStatus);
  try {
    const page = await api<{ items: ExceptionView[] }>('GET', 'exceptions', params);
    ui.auth.hidden = true;
    state.exceptions = page.items;
    renderExceptions();
  } catch (error) {
    sayError(error, ui.exStatus);
  }
}

function openRevoke(exception: ExceptionView): void {
  state.revoking = exception;
  ui.revokeWhat.textContent =
    `${exception.controlId} on ${exception.scope}${exception.ruleName ? ` (rule ${exception.ruleName})` : ''}; ` +
    `ticket ${exception.ticket}, approved by ${exception.approvedBy}. After revoking, driftwarden reverts this drift again.`;
  ui.revokeReason.value = '';
  clearFormError(ui.revokeError);
  ui.revoke.showModal();
  ui.revokeReason.focus();
}

ui.revokeCancel.addEventListener('click', () => ui.revoke.close());
ui.revoke.addEventListener('close', () => {
  const id = state.revoking?.id;
  state.revoking = null;
  const row = id
    ? document.querySelector<HTMLElement>(`#ex-rows tr[data-id="${CSS.escape(id)}"] button`)
    : null;
  row?.focus();
});

ui.revokeForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const exception = state.revoking;
  if (!exception) return;
  clearFormError(ui.revokeError);
  const reason = ui.revokeReason.value.trim();
  if (!reason)
    return showFormError(
      ui.revokeError,
      'Please give a reason: it is recorded with the revocation.',
      ui.revokeReason,
    );
  submitting(ui.revokeForm, true);
  try {
    const revoked = await api<ExceptionView>(
      'DELETE',
      `exceptions/${encodeURIComponent(exception.id)}`,
      undefined,
      { reason },
    );
    ui.revoke.close();
    await loadExceptions(true);
    say(`Revoked exception ${revoked.id} (${revoked.controlId}).`, false, ui.exStatus);
  } catch (error) {
    submitting(ui.revokeForm, false);
    showFormError(ui.revokeError, error instanceof Error ? error.message : String(error));
  } finally {
    submitting(ui.revokeForm, false);
  }
});

// --- Reports (GET /api/reports): loaded when the section is opened

interface ReportListing {
  items: { id: string; kind: string; created: string; links: Record<string, string> }[];
}

async function loadReports(): Promise<void> {
  ui.reportList.replaceChildren(el('li', 'Loading…'));
  try {
    const { items } = await api<ReportListing>('GET', 'reports');
    if (items.length === 0) {
      ui.reportList.replaceChildren(el('li', 'No reports stored yet (driftwarden report --from … --to …).'));
      return;
    }
    ui.reportList.replaceChildren(
      ...items.map((item) => {
        const li = el('li', `${item.id} (${item.kind}, ${fmtTime(item.created)}): `);
        for (const [file, link] of Object.entries(item.links)) {
          const a = el('a', file);
          a.href = apiUrl(link);
          if (file.endsWith('.html')) a.target = '_blank';
          a.rel = 'noopener';
          li.append(a, ' ');
        }
        return li;
      }),
    );
  } catch (error) {
    ui.reportList.replaceChildren(el('li', error instanceof Error ? error.message : String(error)));
  }
}

// --- Wiring and first load

ui.reports.addEventListener('toggle', () => {
  if (ui.reports.open) void loadReports();
});
ui.detailClose.addEventListener('click', closeDetail);
ui.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  writeUrl();
  void load(true);
});
ui.filterOutcome.addEventListener('change', () => {
  writeUrl();
  void load(true);
});
ui.reset.addEventListener('click', () => {
  ui.filters.reset();
  ui.filterOutcome.value = ACTIONABLE;
  writeUrl();
  void load(true);
});
ui.showAll.addEventListener('click', () => {
  ui.filterOutcome.value = outcomeValue() === ALL ? ACTIONABLE : ALL;
  writeUrl();
  void load(true);
});
ui.more.addEventListener('click', () => void load(false));
ui.refreshNow.addEventListener('click', () => {
  if (state.view === 'log') void refresh(false);
  else void loadExceptions();
});
ui.refreshToggle.addEventListener('click', () => {
  state.paused = !state.paused;
  ui.refreshToggle.setAttribute('aria-pressed', String(state.paused));
  ui.refreshToggle.textContent = state.paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
  say(state.paused ? 'Auto-refresh paused.' : `Auto-refresh every ${REFRESH_MS / 1000} s.`);
  schedule();
});
ui.tabLog.addEventListener('click', (event) => {
  event.preventDefault();
  showView('log');
  if (!state.items.length) void load(true);
});
ui.tabExceptions.addEventListener('click', (event) => {
  event.preventDefault();
  showView('exceptions');
  void loadExceptions();
});
ui.exFilters.addEventListener('submit', (event) => event.preventDefault());
ui.exStatusFilter.addEventListener('change', () => {
  writeUrl();
  void loadExceptions();
});
ui.exSearch.addEventListener('input', () => {
  writeUrl();
  renderExceptions();
});
window.addEventListener('hashchange', onHash);

for (const outcome of OUTCOMES) ui.filterOutcome.appendChild(el('option', outcome)).value = outcome;
readUrl();
api<ControlCatalog>('GET', 'controls').then(
  (catalog) => {
    const chosen = ui.filterControl.value;
    for (const option of Array.from(ui.filterControl.options)) if (option.value) option.remove();
    for (const control of catalog.items) {
      ui.filterControl.appendChild(el('option', `${control.id} (${control.mode})`)).value = control.id;
      ui.exceptionControl.appendChild(el('option', `${control.id} — ${control.title}`)).value = control.id;
    }
    ui.filterControl.value = chosen;
  },
  () => {
    /* the list still works without the catalog (a sign-in problem shows with the first load) */
  },
);
showView(state.view);
if (state.view === 'exceptions') void loadExceptions();
void load(true).then(onHash);
schedule();
