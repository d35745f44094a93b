/**
 * The on-call page's script (browser code: type-checked by lib/api/ui/tsconfig.json with the DOM lib,
 * compiled to an IIFE and inlined into page.html by scripts/build-page.mjs).
 *
 * It talks to the same API as the CLI, passing on the function key from the page URL (`?code=`),
 * and renders data with textContent only (never innerHTML: records carry attacker-chosen strings).
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
  expiresOn: string;
}
interface RestoreResult {
  exception: ExceptionView;
  record: RemediationItem;
}

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
const PAGE_SIZE = 100;
const REFRESH_MS = 15000;
const FILTERS = ['control', 'outcome', 'subscription', 'resource', 'actor', 'since'] as const;

/** The element with this id, checked to be of the expected kind: markup and script fail loudly if they drift apart. */
function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`page markup: #${id} is missing or not a ${kind.name}`);
  return node;
}

const ui = {
  status: byId('status', HTMLDivElement),
  rows: byId('rows', HTMLTableSectionElement),
  count: byId('count', HTMLSpanElement),
  more: byId('more', HTMLButtonElement),
  filters: byId('filters', HTMLFormElement),
  reset: byId('reset', HTMLButtonElement),
  refreshNow: byId('refresh-now', HTMLButtonElement),
  refreshToggle: byId('refresh-toggle', HTMLButtonElement),
  filterControl: byId('f-control', HTMLSelectElement),
  filterOutcome: byId('f-outcome', HTMLSelectElement),
  detail: byId('detail', HTMLDialogElement),
  detailClose: byId('d-close', HTMLButtonElement),
  detailFields: byId('d-fields', HTMLDListElement),
  diff: byId('d-diff', HTMLTableSectionElement),
  diffNote: byId('d-diff-note', HTMLParagraphElement),
  restoreOpen: byId('d-restore-open', HTMLButtonElement),
  exceptionOpen: byId('d-exception-open', HTMLButtonElement),
  restoreForm: byId('restore-form', HTMLFormElement),
  restoreJustification: byId('r-justification', HTMLTextAreaElement),
  restoreTicket: byId('r-ticket', HTMLInputElement),
  restoreExpires: byId('r-expires', HTMLInputElement),
  exceptionForm: byId('exception-form', HTMLFormElement),
  exceptionControl: byId('e-control', HTMLSelectElement),
  exceptionScope: byId('e-scope', HTMLInputElement),
  exceptionRule: byId('e-rule', HTMLInputElement),
  exceptionJustification: byId('e-justification', HTMLTextAreaElement),
  exceptionTicket: byId('e-ticket', HTMLInputElement),
  exceptionExpires: byId('e-expires', HTMLInputElement),
};
const filterFields = FILTERS.map((name) => {
  const node = document.getElementById(`f-${name}`);
  if (!(node instanceof HTMLInputElement || node instanceof HTMLSelectElement)) {
    throw new Error(`page markup: #f-${name} is missing or not a form field`);
  }
  return { name, node };
});

const code = new URLSearchParams(location.search).get('code');
const state = {
  items: [] as RemediationItem[],
  ids: new Set<string>(),
  token: null as string | null,
  paused: false,
  timer: undefined as number | undefined,
  current: null as RemediationItem | null,
  loading: false,
};

// --- API client

function apiUrl(path: string, params?: URLSearchParams): string {
  const url = new URL(path, location.href); // the page is /api/ui: relative paths resolve under /api/
  params?.forEach((value, key) => {
    url.searchParams.set(key, value);
  });
  if (code) url.searchParams.set('code', code);
  return url.toString();
}

function errorMessage(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || !('error' in data)) return null;
  const { error } = data;
  if (typeof error !== 'object' || error === null || !('message' in error)) return null;
  return typeof error.message === 'string' && error.message ? error.message : null;
}

/** Calls the API; resolves to its JSON (typed by the caller: the API is ours, same origin) or rejects with its error message. */
async function api<T>(method: string, path: string, params?: URLSearchParams, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(apiUrl(path, params), init);
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new Error(errorMessage(data) ?? `Request failed (HTTP ${response.status}).`);
  return data as T;
}

// --- Rendering helpers

function say(message: string, isError = false): void {
  ui.status.textContent = message;
  ui.status.className = isError ? 'error' : '';
  ui.status.setAttribute('role', isError ? 'alert' : 'status');
}

function sayError(error: unknown): void {
  say(error instanceof Error ? error.message : String(error), true);
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

/** "rg / name" (or "rg / nsg/rule") for the table; the full id is in the cell's title. */
function shortResource(id: string): string {
  const parts = id.split('/');
  const rgAt = parts.indexOf('resourceGroups');
  const rg = rgAt >= 0 ? (parts[rgAt + 1] ?? '') : '';
  let tail = parts.at(-1) || id;
  const ruleAt = parts.indexOf('securityRules');
  if (ruleAt > 0) tail = `${parts[ruleAt - 1] ?? ''}/${parts[ruleAt + 1] ?? ''}`;
  // identity records: /tenants/<tid>/users/<oid> → "users / <oid>"
  if (parts[1] === 'tenants' && parts[3]) return `${parts[3]} / ${tail}`;
  return (rg ? `${rg} / ` : '') + tail;
}

function filterParams(): URLSearchParams {
  const params = new URLSearchParams();
  for (const { name, node } of filterFields) {
    const value = node.value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

// --- The log table

function renderRow(item: RemediationItem): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.id = item.id;
  const timeCell = el('td', null, 'time');
  const link = el('a', fmtTime(item.time));
  link.href = `#record=${encodeURIComponent(item.id)}`;
  link.setAttribute(
    'aria-label',
    `Open record from ${fmtTime(item.time)}, ${item.outcome}, ${item.controlId || 'no control'}`,
  );
  timeCell.appendChild(link);
  tr.appendChild(timeCell);
  const outcome = el('td', null, 'outcome');
  outcome.appendChild(el('span', item.outcome, `badge o-${item.outcome}`));
  tr.appendChild(outcome);
  tr.appendChild(el('td', item.controlId || '—', 'control'));
  const res = el('td', shortResource(item.resourceId), 'res');
  res.title = item.resourceId;
  tr.appendChild(res);
  tr.appendChild(el('td', item.actor || '—'));
  tr.appendChild(el('td', item.action));
  tr.addEventListener('click', (event) => {
    if (!(event.target instanceof HTMLAnchorElement)) openRecord(item.id);
  });
  return tr;
}

function renderCount(): void {
  const n = state.items.length;
  ui.count.textContent = `${n} record${n === 1 ? '' : 's'} shown${state.token ? ' (more available)' : ''}`;
  ui.more.hidden = !state.token;
}

async function load(reset: boolean): Promise<void> {
  if (state.loading) return;
  state.loading = true;
  const params = filterParams();
  params.set('limit', String(PAGE_SIZE));
  if (!reset && state.token) params.set('continuationToken', state.token);
  say(reset ? 'Loading…' : 'Loading more…');
  try {
    const page = await api<RemediationPage>('GET', 'remediations', params);
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
    say(
      state.items.length
        ? `Showing ${state.items.length} records, newest first.`
        : 'No records match these filters.',
    );
  } catch (error) {
    sayError(error);
  } finally {
    state.loading = false;
  }
}

/** Auto-refresh: fetch the newest page and prepend what is new, keeping what was loaded below. */
async function refresh(quiet: boolean): Promise<void> {
  if (state.loading) return;
  const params = filterParams();
  params.set('limit', String(PAGE_SIZE));
  try {
    const page = await api<RemediationPage>('GET', 'remediations', params);
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
    if (fresh.length && !quiet) say(`${fresh.length} new record${fresh.length === 1 ? '' : 's'}.`);
  } catch (error) {
    sayError(error);
  }
}

function schedule(): void {
  clearInterval(state.timer);
  if (!state.paused) {
    state.timer = setInterval(() => {
      if (!document.hidden) void refresh(false);
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

function renderDiff(before: unknown, after: unknown): void {
  const a = flatten(before, '', {});
  const b = flatten(after, '', {});
  const keys = Array.from(new Set(Object.keys(a).concat(Object.keys(b)))).sort();
  ui.diff.textContent = '';
  let changed = 0;
  for (const key of keys) {
    const tr = el('tr');
    const isChanged = a[key] !== b[key];
    if (isChanged) {
      tr.className = 'changed';
      changed++;
    }
    const name = el('td', key);
    if (isChanged) name.appendChild(el('span', ' (changed)', 'visually-hidden'));
    tr.appendChild(name);
    tr.appendChild(el('td', a[key] ?? '—'));
    tr.appendChild(el('td', b[key] ?? '—'));
    ui.diff.appendChild(tr);
  }
  ui.diffNote.textContent = keys.length
    ? `${changed} of ${keys.length} properties changed (highlighted).`
    : 'No state recorded.';
}

function field(list: HTMLDListElement, name: string, value: string | null | undefined): void {
  list.appendChild(el('dt', name));
  list.appendChild(el('dd', value === null || value === undefined || value === '' ? '—' : value));
}

function showRecord(item: RemediationItem): void {
  state.current = item;
  const list = ui.detailFields;
  list.textContent = '';
  field(list, 'Record id', item.id);
  field(list, 'Time (UTC)', fmtTime(item.time));
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
  renderDiff(item.before, item.after);
  ui.restoreOpen.hidden = !item.restorable;
  ui.restoreForm.hidden = true;
  ui.exceptionForm.hidden = true;
  if (!ui.detail.open) ui.detail.showModal();
  ui.detailClose.focus();
}

/** Records open through the URL hash (#record=ID), so a record can be linked and Back closes it. */
function openRecord(id: string): void {
  if (location.hash !== `#record=${encodeURIComponent(id)}`) {
    location.hash = `record=${encodeURIComponent(id)}`;
    return;
  }
  const known = state.items.find((item) => item.id === id);
  if (known) {
    showRecord(known);
    return;
  }
  api<RemediationItem>('GET', `remediations/${encodeURIComponent(id)}`)
    .then(showRecord)
    .catch(sayError);
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

// --- Restore and exception forms

function isoDatePlusDays(days: number): string {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
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

ui.restoreOpen.addEventListener('click', () => {
  ui.restoreExpires.value = ui.restoreExpires.value || isoDatePlusDays(30);
  openForm(ui.restoreForm, ui.restoreJustification);
});

ui.exceptionOpen.addEventListener('click', () => {
  const item = state.current;
  if (!item) return;
  ui.exceptionControl.value = item.controlId || '';
  ui.exceptionScope.value = item.resourceId.split('/securityRules/')[0] ?? item.resourceId;
  ui.exceptionRule.value = item.ruleName || '';
  ui.exceptionExpires.value = ui.exceptionExpires.value || isoDatePlusDays(30);
  openForm(ui.exceptionForm, ui.exceptionJustification);
});

for (const button of Array.from(document.querySelectorAll('[data-cancel]'))) {
  button.addEventListener('click', () => {
    const form = button.closest('form');
    if (form) form.hidden = true;
    ui.restoreOpen.focus();
  });
}

ui.restoreForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = ui.restoreForm;
  const item = state.current;
  if (!item) return;
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
      },
    );
    form.reset();
    form.hidden = true;
    closeDetail();
    say(
      `Restored. Exception ${result.exception.id} expires ${fmtTime(result.exception.expiresOn)}; ` +
        `record ${result.record.id} written.`,
    );
    await refresh(true);
  } catch (error) {
    sayError(error);
  } finally {
    submitting(form, false);
  }
});

ui.exceptionForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = ui.exceptionForm;
  submitting(form, true);
  say('Creating exception…');
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
    say(`Exception ${created.id} created for ${created.controlId}, expires ${fmtTime(created.expiresOn)}.`);
  } catch (error) {
    sayError(error);
  } finally {
    submitting(form, false);
  }
});

// --- Wiring and first load

ui.detailClose.addEventListener('click', closeDetail);
ui.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  void load(true);
});
ui.reset.addEventListener('click', () => {
  ui.filters.reset();
  void load(true);
});
ui.more.addEventListener('click', () => void load(false));
ui.refreshNow.addEventListener('click', () => void refresh(false));
ui.refreshToggle.addEventListener('click', () => {
  state.paused = !state.paused;
  ui.refreshToggle.setAttribute('aria-pressed', String(state.paused));
  ui.refreshToggle.textContent = state.paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
  say(state.paused ? 'Auto-refresh paused.' : `Auto-refresh every ${REFRESH_MS / 1000} s.`);
  schedule();
});
window.addEventListener('hashchange', onHash);

for (const outcome of OUTCOMES) ui.filterOutcome.appendChild(el('option', outcome)).value = outcome;
api<ControlCatalog>('GET', 'controls').then(
  (catalog) => {
    for (const control of catalog.items) {
      ui.filterControl.appendChild(el('option', `${control.id} (${control.mode})`)).value = control.id;
      ui.exceptionControl.appendChild(el('option', `${control.id} — ${control.title}`)).value = control.id;
    }
  },
  () => {
    /* the list still works without the catalog */
  },
);
void load(true).then(onHash);
schedule();
