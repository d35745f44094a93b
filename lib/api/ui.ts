import { randomBytes } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';

/**
 * GET /api/ui — the on-call page: one self-contained HTML document (inline CSS and JS, no CDN,
 * works offline) over the same API. The function key travels in the page URL (`?code=`) and is
 * passed on to every API call; in Azure App Service Authentication sits in front of both.
 *
 * Kept as a TS string so it ships with `tsc` output without a copy step. The script uses no
 * template literals (the page is itself one) and renders data with textContent only.
 */
export async function servePage(): Promise<HttpResponseInit> {
  const nonce = randomBytes(16).toString('base64');
  return {
    status: 200,
    body: PAGE.replaceAll('__NONCE__', nonce),
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer', // the URL carries the function key
      'content-security-policy':
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
  };
}

const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>driftwarden — remediation log</title>
<style nonce="__NONCE__">
  :root { --fg:#1a1a1a; --muted:#4a4a4a; --bg:#fff; --line:#c8c8c8; --accent:#0b57d0; --panel:#f4f6f8;
          --bad:#a50e0e; --good:#0b6b2d; --warn:#7a4d00; --chg:#fff3bf; }
  * { box-sizing: border-box; }
  body { margin:0; font:16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
  header { display:flex; flex-wrap:wrap; gap:1rem; align-items:center; justify-content:space-between; padding:.75rem 1.25rem; border-bottom:1px solid var(--line); }
  h1 { font-size:1.25rem; margin:0; }
  h2 { font-size:1.1rem; margin:1rem 0 .5rem; }
  main { padding:0 1.25rem 2rem; }
  form.filters { display:flex; flex-wrap:wrap; gap:.75rem; align-items:flex-end; padding:.75rem 0; }
  label { display:flex; flex-direction:column; font-size:.9rem; color:var(--muted); gap:.2rem; }
  input, select, textarea { font:inherit; color:var(--fg); padding:.35rem .5rem; border:1px solid #767676; border-radius:4px; background:#fff; }
  textarea { min-height:5rem; width:100%; }
  button { font:inherit; padding:.4rem .9rem; border-radius:4px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
  button.secondary { background:#fff; color:var(--accent); }
  button:disabled { opacity:.6; cursor:default; }
  :focus-visible { outline:3px solid #e8710a; outline-offset:2px; }
  table { border-collapse:collapse; width:100%; }
  th, td { text-align:left; padding:.4rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
  th { font-size:.9rem; color:var(--muted); }
  tbody tr:hover { background:var(--panel); cursor:pointer; }
  td.time, td.outcome, td.control { white-space:nowrap; }
  td { overflow-wrap:anywhere; }
  td.res { min-width:14rem; font-family:ui-monospace, Menlo, Consolas, monospace; font-size:.9rem; word-break:break-all; }
  .badge { display:inline-block; padding:0 .45rem; border-radius:3px; font-size:.85rem; border:1px solid currentColor; white-space:nowrap; }
  .o-remediated, .o-restored { color:var(--good); }
  .o-remediation-failed { color:var(--bad); }
  .o-audit-only, .o-exempted { color:var(--warn); }
  .o-compliant, .o-skipped, .o-resource-gone { color:var(--muted); }
  #status { min-height:1.5rem; margin:.5rem 0; }
  #status.error { color:var(--bad); font-weight:600; }
  .bar { display:flex; gap:.75rem; align-items:center; flex-wrap:wrap; }
  .bar.spread { justify-content:space-between; }
  .bar.actions { margin-top:1rem; }
  dialog { width:min(60rem, 96vw); max-height:92vh; border:1px solid var(--line); border-radius:6px; padding:1rem 1.25rem; }
  dialog::backdrop { background:rgba(0,0,0,.35); }
  dl { display:grid; grid-template-columns:max-content 1fr; gap:.25rem 1rem; margin:0; }
  dt { color:var(--muted); }
  dd { margin:0; word-break:break-all; }
  table.diff td { font-family:ui-monospace, Menlo, Consolas, monospace; font-size:.9rem; white-space:pre-wrap; word-break:break-all; }
  table.diff tr.changed { background:var(--chg); }
  table.diff tr.changed td:first-child::before { content:"● "; color:var(--bad); }
  fieldset { border:1px solid var(--line); border-radius:6px; margin:1rem 0 0; padding:.75rem 1rem; display:grid; gap:.6rem; }
  legend { font-weight:600; }
  .muted { color:var(--muted); }
  .visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
</style>
</head>
<body>
<header>
  <h1>driftwarden — remediation log</h1>
  <div class="bar">
    <button type="button" id="refresh-toggle" class="secondary" aria-pressed="false">Pause auto-refresh</button>
    <button type="button" id="refresh-now" class="secondary">Refresh now</button>
  </div>
</header>
<main>
  <form class="filters" id="filters" aria-label="Filters">
    <label>Control <select name="control" id="f-control"><option value="">any</option></select></label>
    <label>Outcome <select name="outcome" id="f-outcome"><option value="">any</option></select></label>
    <label>Subscription <input name="subscription" id="f-subscription" size="36" placeholder="subscription id"></label>
    <label>Resource id prefix <input name="resource" id="f-resource" size="40" placeholder="/subscriptions/…/resourceGroups/…"></label>
    <label>Actor <input name="actor" id="f-actor" size="24" placeholder="user@example.org"></label>
    <label>Since (UTC) <input name="since" id="f-since" type="date"></label>
    <button type="submit" id="apply">Apply filters</button>
    <button type="button" id="reset" class="secondary">Reset</button>
  </form>
  <div id="status" role="status" aria-live="polite"></div>
  <table id="log" aria-describedby="log-caption">
    <caption id="log-caption" class="visually-hidden">Remediation records, newest first. Press Enter on a record's time to open it.</caption>
    <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Outcome</th><th scope="col">Control</th><th scope="col">Resource</th><th scope="col">Actor</th><th scope="col">Action</th></tr></thead>
    <tbody id="rows"></tbody>
  </table>
  <p class="bar"><button type="button" id="more" class="secondary" hidden>Load more</button><span id="count" class="muted"></span></p>
</main>

<dialog id="detail" aria-labelledby="d-title">
  <div class="bar spread">
    <h2 id="d-title">Remediation record</h2>
    <button type="button" id="d-close" class="secondary">Close</button>
  </div>
  <dl id="d-fields"></dl>
  <h2>Before / after</h2>
  <p class="muted" id="d-diff-note"></p>
  <table class="diff" aria-label="Before and after">
    <thead><tr><th scope="col">Property</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
    <tbody id="d-diff"></tbody>
  </table>
  <div class="bar actions">
    <button type="button" id="d-restore-open">Restore…</button>
    <button type="button" id="d-exception-open" class="secondary">Create exception…</button>
  </div>
  <form id="restore-form" hidden>
    <fieldset>
      <legend>Restore the recorded before-state</legend>
      <p class="muted">Creates an exception for this control and resource, then puts the resource back as it was before driftwarden reverted it.</p>
      <label>Business justification <textarea name="justification" id="r-justification" required minlength="10"></textarea></label>
      <label>Ticket <input name="ticket" id="r-ticket" required></label>
      <label>Exception expires (UTC date) <input name="expiresOn" id="r-expires" type="date" required></label>
      <div class="bar"><button type="submit" id="r-submit">Restore</button><button type="button" class="secondary" data-cancel>Cancel</button></div>
    </fieldset>
  </form>
  <form id="exception-form" hidden>
    <fieldset>
      <legend>Create an exception</legend>
      <label>Control <select name="control" id="e-control" required></select></label>
      <label>Scope (resource id, resource group or subscription) <input name="scope" id="e-scope" required></label>
      <label>Rule name (NSG controls, optional) <input name="ruleName" id="e-rule"></label>
      <label>Business justification <textarea name="justification" id="e-justification" required minlength="10"></textarea></label>
      <label>Ticket <input name="ticket" id="e-ticket" required></label>
      <label>Expires (UTC date) <input name="expiresOn" id="e-expires" type="date" required></label>
      <div class="bar"><button type="submit" id="e-submit">Create exception</button><button type="button" class="secondary" data-cancel>Cancel</button></div>
    </fieldset>
  </form>
</dialog>

<script nonce="__NONCE__">
(function () {
  'use strict';
  var OUTCOMES = ['remediated', 'remediation-failed', 'restored', 'exempted', 'audit-only', 'compliant', 'skipped', 'resource-gone'];
  var PAGE_SIZE = 100;
  var REFRESH_MS = 15000;
  var code = new URLSearchParams(location.search).get('code');
  var state = { items: [], ids: new Set(), token: null, paused: false, timer: null, current: null, loading: false };
  var $ = function (id) { return document.getElementById(id); };

  function apiUrl(path, params) {
    var url = new URL(path, location.href); // the page is /api/ui: relative paths resolve under /api/
    if (params) params.forEach(function (value, key) { url.searchParams.set(key, value); });
    if (code) url.searchParams.set('code', code);
    return url.toString();
  }
  function api(method, path, params, body) {
    var init = { method: method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(apiUrl(path, params), init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var message = data && data.error && data.error.message ? data.error.message : 'Request failed (HTTP ' + response.status + ').';
          throw new Error(message);
        }
        return data;
      });
    });
  }
  function say(message, isError) {
    var status = $('status');
    status.textContent = message;
    status.className = isError ? 'error' : '';
    status.setAttribute('role', isError ? 'alert' : 'status');
  }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function fmtTime(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
  function shortResource(id) {
    var parts = (id || '').split('/');
    var rg = parts.indexOf('resourceGroups') >= 0 ? parts[parts.indexOf('resourceGroups') + 1] : '';
    var tail = parts.slice(-1)[0] || id;
    var nsgRule = parts.indexOf('securityRules');
    if (nsgRule > 0) tail = parts[nsgRule - 1] + '/' + parts[nsgRule + 1];
    return (rg ? rg + ' / ' : '') + tail;
  }
  function filterParams() {
    var params = new URLSearchParams();
    ['control', 'outcome', 'subscription', 'resource', 'actor', 'since'].forEach(function (name) {
      var value = $('f-' + name).value.trim();
      if (value) params.set(name, value);
    });
    return params;
  }

  function renderRow(item) {
    var tr = el('tr');
    tr.dataset.id = item.id;
    var timeCell = el('td', null, 'time');
    var link = el('a', fmtTime(item.time));
    link.href = '#record=' + encodeURIComponent(item.id);
    link.setAttribute('aria-label', 'Open record from ' + fmtTime(item.time) + ', ' + item.outcome + ', ' + (item.controlId || 'no control'));
    timeCell.appendChild(link);
    tr.appendChild(timeCell);
    var outcome = el('td', null, 'outcome');
    outcome.appendChild(el('span', item.outcome, 'badge o-' + item.outcome));
    tr.appendChild(outcome);
    tr.appendChild(el('td', item.controlId || '—', 'control'));
    var res = el('td', shortResource(item.resourceId), 'res');
    res.title = item.resourceId;
    tr.appendChild(res);
    tr.appendChild(el('td', item.actor || '—'));
    tr.appendChild(el('td', item.action));
    tr.addEventListener('click', function (event) {
      if (event.target.tagName !== 'A') openRecord(item.id);
    });
    return tr;
  }
  function renderCount() {
    $('count').textContent = state.items.length + ' record' + (state.items.length === 1 ? '' : 's') + ' shown' + (state.token ? ' (more available)' : '');
    $('more').hidden = !state.token;
  }

  function load(reset) {
    if (state.loading) return Promise.resolve();
    state.loading = true;
    var params = filterParams();
    params.set('limit', String(PAGE_SIZE));
    if (!reset && state.token) params.set('continuationToken', state.token);
    say(reset ? 'Loading…' : 'Loading more…');
    return api('GET', 'remediations', params).then(function (page) {
      if (reset) { state.items = []; state.ids = new Set(); $('rows').textContent = ''; }
      var fragment = document.createDocumentFragment();
      page.items.forEach(function (item) {
        if (state.ids.has(item.id)) return;
        state.ids.add(item.id); state.items.push(item); fragment.appendChild(renderRow(item));
      });
      $('rows').appendChild(fragment);
      state.token = page.continuationToken || null;
      renderCount();
      say(state.items.length ? 'Showing ' + state.items.length + ' records, newest first.' : 'No records match these filters.');
    }).catch(function (error) { say(error.message, true); })
      .finally(function () { state.loading = false; });
  }

  /** Auto-refresh: fetch the newest page and prepend what is new, keeping what was loaded below. */
  function refresh(quiet) {
    if (state.loading) return Promise.resolve();
    var params = filterParams();
    params.set('limit', String(PAGE_SIZE));
    return api('GET', 'remediations', params).then(function (page) {
      var fresh = page.items.filter(function (item) { return !state.ids.has(item.id); });
      if (!state.items.length) state.token = page.continuationToken || null;
      var fragment = document.createDocumentFragment();
      fresh.forEach(function (item) { state.ids.add(item.id); fragment.appendChild(renderRow(item)); });
      state.items = fresh.concat(state.items);
      $('rows').insertBefore(fragment, $('rows').firstChild);
      renderCount();
      if (fresh.length && !quiet) say(fresh.length + ' new record' + (fresh.length === 1 ? '' : 's') + '.');
    }).catch(function (error) { say(error.message, true); });
  }
  function schedule() {
    clearInterval(state.timer);
    if (!state.paused) state.timer = setInterval(function () { if (!document.hidden) refresh(false); }, REFRESH_MS);
  }

  function flatten(value, prefix, out) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      var keys = Object.keys(value);
      if (!keys.length && prefix) out[prefix] = '{}';
      keys.forEach(function (key) { flatten(value[key], prefix ? prefix + '.' + key : key, out); });
    } else if (prefix) {
      out[prefix] = value === undefined ? undefined : JSON.stringify(value, null, 1);
    } else if (value !== null && value !== undefined) {
      out['(value)'] = JSON.stringify(value, null, 1);
    }
    return out;
  }
  function renderDiff(before, after) {
    var a = flatten(before, '', {});
    var b = flatten(after, '', {});
    var keys = Array.from(new Set(Object.keys(a).concat(Object.keys(b)))).sort();
    var body = $('d-diff');
    body.textContent = '';
    var changed = 0;
    keys.forEach(function (key) {
      var tr = el('tr');
      var isChanged = a[key] !== b[key];
      if (isChanged) { tr.className = 'changed'; changed++; }
      var name = el('td', key);
      if (isChanged) name.appendChild(el('span', ' (changed)', 'visually-hidden'));
      tr.appendChild(name);
      tr.appendChild(el('td', a[key] === undefined ? '—' : a[key]));
      tr.appendChild(el('td', b[key] === undefined ? '—' : b[key]));
      body.appendChild(tr);
    });
    $('d-diff-note').textContent = keys.length ? changed + ' of ' + keys.length + ' properties changed (highlighted).' : 'No state recorded.';
  }
  function field(list, name, value) {
    list.appendChild(el('dt', name));
    list.appendChild(el('dd', value === null || value === undefined || value === '' ? '—' : value));
  }
  function showRecord(item) {
    state.current = item;
    var list = $('d-fields');
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
    field(list, 'Trigger', item.trigger + (item.eventId ? ' (event ' + item.eventId + ')' : ''));
    renderDiff(item.before, item.after);
    $('d-restore-open').hidden = !item.restorable;
    $('restore-form').hidden = true;
    $('exception-form').hidden = true;
    var dialog = $('detail');
    if (!dialog.open) dialog.showModal();
    $('d-close').focus();
  }
  function openRecord(id) {
    if (location.hash !== '#record=' + encodeURIComponent(id)) { location.hash = 'record=' + encodeURIComponent(id); return; }
    var known = state.items.find(function (item) { return item.id === id; });
    if (known) { showRecord(known); return; }
    api('GET', 'remediations/' + encodeURIComponent(id)).then(showRecord).catch(function (error) { say(error.message, true); });
  }
  function onHash() {
    var match = /^#record=(.+)$/.exec(location.hash);
    if (match) openRecord(decodeURIComponent(match[1]));
    else if ($('detail').open) $('detail').close();
  }
  function closeDetail() { $('detail').close(); }
  $('detail').addEventListener('close', function () {
    var id = state.current && state.current.id;
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    var row = id && document.querySelector('tr[data-id="' + CSS.escape(id) + '"] a');
    if (row) row.focus();
  });

  function isoDatePlusDays(days) { return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10); }
  function openForm(id, firstField) {
    $('restore-form').hidden = id !== 'restore-form';
    $('exception-form').hidden = id !== 'exception-form';
    $(firstField).focus();
  }
  $('d-restore-open').addEventListener('click', function () {
    $('r-expires').value = $('r-expires').value || isoDatePlusDays(30);
    openForm('restore-form', 'r-justification');
  });
  $('d-exception-open').addEventListener('click', function () {
    var item = state.current;
    $('e-control').value = item.controlId || '';
    $('e-scope').value = item.resourceId.split('/securityRules/')[0];
    $('e-rule').value = item.ruleName || '';
    $('e-expires').value = $('e-expires').value || isoDatePlusDays(30);
    openForm('exception-form', 'e-justification');
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-cancel]'), function (button) {
    button.addEventListener('click', function () { button.closest('form').hidden = true; $('d-restore-open').focus(); });
  });
  function submitting(form, busy) { Array.prototype.forEach.call(form.elements, function (e) { e.disabled = busy; }); }
  $('restore-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var form = event.target;
    var item = state.current;
    submitting(form, true);
    say('Restoring…');
    api('POST', 'remediations/' + encodeURIComponent(item.id) + '/restore', null, {
      justification: $('r-justification').value, ticket: $('r-ticket').value, expiresOn: $('r-expires').value,
    }).then(function (result) {
      form.reset(); form.hidden = true;
      closeDetail();
      say('Restored. Exception ' + result.exception.id + ' expires ' + fmtTime(result.exception.expiresOn) + '; record ' + result.record.id + ' written.');
      return refresh(true);
    }).catch(function (error) { say(error.message, true); })
      .finally(function () { submitting(form, false); });
  });
  $('exception-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var form = event.target;
    submitting(form, true);
    say('Creating exception…');
    var body = { control: $('e-control').value, scope: $('e-scope').value, justification: $('e-justification').value, ticket: $('e-ticket').value, expiresOn: $('e-expires').value };
    if ($('e-rule').value.trim()) body.ruleName = $('e-rule').value.trim();
    api('POST', 'exceptions', null, body).then(function (created) {
      form.reset(); form.hidden = true;
      say('Exception ' + created.id + ' created for ' + created.controlId + ', expires ' + fmtTime(created.expiresOn) + '.');
    }).catch(function (error) { say(error.message, true); })
      .finally(function () { submitting(form, false); });
  });

  $('d-close').addEventListener('click', closeDetail);
  $('filters').addEventListener('submit', function (event) { event.preventDefault(); load(true); });
  $('reset').addEventListener('click', function () { $('filters').reset(); load(true); });
  $('more').addEventListener('click', function () { load(false); });
  $('refresh-now').addEventListener('click', function () { refresh(false); });
  $('refresh-toggle').addEventListener('click', function () {
    state.paused = !state.paused;
    this.setAttribute('aria-pressed', String(state.paused));
    this.textContent = state.paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
    say(state.paused ? 'Auto-refresh paused.' : 'Auto-refresh every ' + REFRESH_MS / 1000 + ' s.');
    schedule();
  });
  window.addEventListener('hashchange', onHash);

  OUTCOMES.forEach(function (outcome) { $('f-outcome').appendChild(el('option', outcome)).value = outcome; });
  api('GET', 'controls').then(function (catalog) {
    catalog.items.forEach(function (control) {
      var label = control.id + ' (' + control.mode + ')';
      $('f-control').appendChild(el('option', label)).value = control.id;
      $('e-control').appendChild(el('option', control.id + ' — ' + control.title)).value = control.id;
    });
  }).catch(function () { /* the list still works without the catalog */ });
  load(true).then(onHash);
  schedule();
})();
</script>
</body>
</html>
`;
