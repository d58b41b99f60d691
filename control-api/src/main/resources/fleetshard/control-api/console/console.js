// FleetShard console (ADR 0022): a dependency-free single-page app over the control API's public endpoints.
// Every data call carries the token the operator pasted (kept in sessionStorage only); the roles are the API's own.
'use strict';

const TOKEN_KEY = 'fleetshard.console.token';
const POLL_MS = 2000;
const main = document.getElementById('main');
let page = null;        // {refresh(): Promise} of the page on screen
let lastMapVersion = null;

// ---- calls -------------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem, method, path) {
    super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
    this.status = status;
    this.problem = problem;
    this.method = method;
    this.path = path;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(method, path, body) {
  const headers = { 'Accept': 'application/json, application/problem+json' };
  const t = token();
  if (t) {
    headers['Authorization'] = 'Bearer ' + t;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { title: 'Control API unreachable', detail: String(e) }, method, path);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = { title: 'Not JSON', detail: text.slice(0, 300) };
  }
  if (!response.ok) {
    throw new ApiError(response.status, json, method, path);
  }
  return json;
}

// ---- messages ----------------------------------------------------------------------------------------------------

function showError(e, source) {
  const box = document.getElementById('error');
  box.dataset.source = source || 'action';
  box.replaceChildren();
  let headline;
  if (!(e instanceof ApiError)) {
    headline = 'Error: ' + e;
  } else if (e.status === 401) {
    headline = '401 Unauthorized: the control API did not accept the token. Paste a valid one (Change token).';
  } else if (e.status === 403) {
    headline = '403 Forbidden: your token\'s role may not call ' + e.method + ' ' + e.path + '.';
  } else if (e.status === 0) {
    headline = 'The control API did not answer ' + e.method + ' ' + e.path + '.';
  } else {
    headline = e.status + ' ' + ((e.problem && e.problem.title) || 'Error') + ' (' + e.method + ' ' + e.path + ')';
  }
  box.append(el('strong', {}, headline));
  if (e instanceof ApiError && e.problem && e.problem.detail) {
    box.append(el('span', { className: 'detail' }, e.problem.detail));
  }
  box.hidden = false;
  box.dataset.status = e instanceof ApiError ? String(e.status) : '';
}

function clearError() {
  const box = document.getElementById('error');
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.status;
}

function notice(text) {
  const box = document.getElementById('notice');
  box.textContent = text;
  box.hidden = false;
}

// ---- DOM helpers (text only: nothing from the API is parsed as HTML) -------------------------------------------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'dataset') {
      Object.assign(node.dataset, v);
    } else if (k.startsWith('on')) {
      node.addEventListener(k.slice(2), v);
    } else if (k === 'className' || k === 'id' || k === 'value' || k === 'type' || k === 'name'
        || k === 'placeholder' || k === 'required' || k === 'disabled' || k === 'selected' || k === 'title'
        || k === 'href' || k === 'open') {
      node[k] = v;
    } else {
      node.setAttribute(k, v);
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// a header ending in '#' heads a numeric, right-aligned column
function table(headers, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map(h => h.endsWith('#')
    ? el('th', { className: 'num' }, h.slice(0, -1)) : el('th', {}, h)))),
    el('tbody', {}, rows.length ? rows : [el('tr', {}, el('td', { colspan: String(headers.length), className: 'muted' }, 'none'))]));
}

function badge(text) {
  return el('span', { className: 'badge ' + String(text).replace(/[^a-z-]/g, '') }, text);
}

function bar(fraction, label) {
  const f = Math.max(0, Math.min(1, fraction || 0));
  const fill = el('span', {});
  fill.style.width = (f * 100).toFixed(1) + '%'; // CSSOM, not a style attribute: the CSP allows no inline styles
  return el('div', { className: 'bar', title: label || (Math.round(f * 1000) / 10 + '%') }, fill);
}

function ms(v) {
  if (v === null || v === undefined) return '—';
  if (v < 1000) return v + ' ms';
  if (v < 120000) return (v / 1000).toFixed(1) + ' s';
  return Math.round(v / 60000) + ' min';
}

function time(msSinceEpoch) {
  return msSinceEpoch ? new Date(msSinceEpoch).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

function num(v) {
  return v === null || v === undefined ? '—' : Number(v).toLocaleString('en');
}

function input(id, label, props) {
  return el('label', {}, label, el('input', Object.assign({ id, name: id }, props || {})));
}

function select(id, label, options, props) {
  return el('label', {}, label, el('select', Object.assign({ id, name: id }, props || {}),
    options.map(o => el('option', { value: o[0] }, o[1]))));
}

function form(id, submitLabel, fields, onsubmit) {
  return el('form', {
    id,
    onsubmit: async (ev) => {
      ev.preventDefault();
      clearError();
      try {
        await onsubmit(ev.target);
        await refresh();
      } catch (e) {
        showError(e);
      }
    },
  }, fields, el('button', { type: 'submit', id: id + '-submit' }, submitLabel));
}

function value(formNode, name) {
  return formNode.elements[name].value.trim();
}

async function shardIds() {
  const body = await api('GET', '/v1/shards');
  return body.shards.map(s => s.shardId);
}

// ---- token -------------------------------------------------------------------------------------------------------

function claims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - part.length % 4) % 4)));
  } catch (e) {
    return null;
  }
}

function showWho() {
  const who = document.getElementById('who');
  const t = token();
  const c = t ? claims(t) : null;
  if (!t) {
    who.textContent = 'no token';
  } else if (!c) {
    who.textContent = 'token (unreadable claims)';
  } else {
    who.textContent = (c.sub || '?') + ' · ' + (c.role || '?') + (c.tenant ? ' of ' + c.tenant : '')
      + (c.exp ? ' · expires ' + time(c.exp * 1000) : '');
  }
}

function tokenPage() {
  const area = el('textarea', { id: 'token-input', placeholder: 'eyJhbGciOi...', spellcheck: 'false' });
  return {
    node: el('section', {}, el('h2', {}, 'Sign in with a token'),
      el('p', { className: 'muted' }, 'Paste a control-API JWT (Authorization: Bearer). ./fleetshard dev prints an admin'
        + ' token; ./fleetshard token --role operator mints others. It is kept in this tab only (sessionStorage).'),
      el('form', {
        id: 'token-form',
        onsubmit: (ev) => {
          ev.preventDefault();
          const t = area.value.trim().replace(/^Bearer\s+/i, '');
          if (!t) return;
          sessionStorage.setItem(TOKEN_KEY, t);
          showWho();
          clearError();
          location.hash = '#/tenants';
        },
      }, el('label', { className: 'wide' }, 'Token', area), el('button', { type: 'submit', id: 'token-save' }, 'Use token'))),
    refresh: async () => {},
  };
}

// ---- pages -------------------------------------------------------------------------------------------------------

function tenantsPage() {
  const list = el('div', { id: 'tenants-list' });
  const fleets = el('div', { id: 'fleets-list' });
  let selected = null;
  const shardOptions = el('select', { id: 'fleet-shard', name: 'fleet-shard' }, el('option', { value: '' }, 'placed by the ring'));
  const onboard = form('onboard-tenant', 'Onboard tenant', [
    input('tenant-id', 'Tenant id', { required: true, placeholder: 'acme' }),
    select('tenant-tier', 'Durability tier', [['standard', 'standard'], ['enhanced', 'enhanced'], ['platinum', 'platinum']]),
  ], async (f) => {
    const t = await api('POST', '/v1/tenants', { tenantId: value(f, 'tenant-id'), tier: value(f, 'tenant-tier') });
    notice('Tenant ' + t.tenantId + ' onboarded (' + t.tier + ', map v' + t.mapVersion + ').');
    selected = t.tenantId;
    document.getElementById('fleet-tenant').value = t.tenantId;
  });
  const addFleet = form('add-fleet', 'Add fleet', [
    input('fleet-tenant', 'Tenant', { required: true }),
    input('fleet-id', 'Fleet id', { required: true, placeholder: 'trucks' }),
    el('label', {}, 'Shard (pin)', shardOptions),
  ], async (f) => {
    const tenant = value(f, 'fleet-tenant');
    const body = { fleetId: value(f, 'fleet-id') };
    if (value(f, 'fleet-shard')) body.shardId = value(f, 'fleet-shard');
    const p = await api('POST', '/v1/tenants/' + encodeURIComponent(tenant) + '/fleets', body);
    notice('Fleet ' + p.tenantId + '/' + p.fleetId + ' is on ' + p.shardId + (p.pinned ? ' (pinned)' : ' (ring)')
      + ', map v' + p.mapVersion + '.');
    selected = tenant;
  });
  async function refresh() {
    if (shardOptions.options.length === 1) {
      try {
        (await shardIds()).forEach(s => shardOptions.append(el('option', { value: s }, s)));
      } catch (e) { /* an operator without the shard list still onboards by ring */ }
    }
    const body = await api('GET', '/v1/tenants');
    list.replaceChildren(table(['tenant', 'tier', 'fleets#', ''], body.tenants.map(t => el('tr', { dataset: { tenant: t.tenantId } },
      el('td', {}, t.tenantId), el('td', {}, t.tier), el('td', { className: 'num' }, t.fleetCount),
      el('td', {}, el('a', { className: 'link', onclick: () => { selected = t.tenantId; refresh().catch(showError); } }, 'fleets'))))));
    if (selected) {
      const f = await api('GET', '/v1/tenants/' + encodeURIComponent(selected) + '/fleets');
      fleets.replaceChildren(el('h3', {}, 'Fleets of ' + f.tenantId),
        table(['fleet', 'shard', 'placement', ''], f.fleets.map(x => el('tr', { dataset: { fleet: x.tenantId + '/' + x.fleetId } },
          el('td', {}, x.fleetId), el('td', {}, x.shardId || '—'), el('td', {}, x.pinned ? 'pinned' : 'ring'),
          el('td', {}, el('a', { className: 'link', href: '#/reshards?fleet=' + encodeURIComponent(x.tenantId + '/' + x.fleetId) },
            'move / pin…'))))));
    }
  }
  return {
    node: el('div', {},
      el('section', {}, el('h2', {}, 'Onboard a tenant'), onboard),
      el('section', {}, el('h2', {}, 'Add a fleet'),
        el('p', { className: 'muted' }, 'Without a shard the ring places the fleet; with one it is pinned there. To pin a'
          + ' fleet that has data, move it (Reshard jobs): a move copies its rows online and pins it to the target.'),
        addFleet),
      el('section', {}, el('h2', {}, 'Tenants'), list, fleets)),
    refresh,
  };
}

function shardsPage() {
  const summary = el('div', { id: 'map-summary' });
  const cards = el('div', { className: 'grid', id: 'shard-cards' });
  async function refresh() {
    const [map, body] = await Promise.all([api('GET', '/v1/shardmap'), api('GET', '/v1/shards')]);
    summary.replaceChildren(table(['map version#', 'tenants#', 'fleets#', 'shards#', 'nodes#', 'vnodes#', 'writer'], [el('tr', {},
      el('td', { className: 'num' }, map.version), el('td', { className: 'num' }, map.tenants), el('td', { className: 'num' }, map.fleets),
      el('td', { className: 'num' }, map.shards), el('td', { className: 'num' }, map.nodes), el('td', { className: 'num' }, map.vnodes),
      el('td', {}, map.writerFenced ? badge('fenced') : badge('ok')))]));
    cards.replaceChildren(...body.shards.map(s => el('section', { dataset: { shard: s.shardId } },
      el('h2', {}, s.shardId, ' ', badge(s.status), ' ', el('span', { className: 'muted' }, s.engine + ' · ' + s.vnodes
        + ' vnodes · epoch ' + s.epoch)),
      el('div', {}, 'ring share ' + ((s.ringShare || 0) * 100).toFixed(1) + '%', bar(s.ringShare)),
      table(['node', 'role', 'region', 'AZ', 'health', 'lag#'], s.nodes.map(n => el('tr', {},
        el('td', {}, n.nodeId), el('td', {}, n.role), el('td', {}, n.region), el('td', {}, n.az),
        el('td', { title: n.health.lastError || '' }, badge(n.health.status)),
        el('td', { className: 'num' }, n.role === 'primary' ? '' : ms(n.replicationLagMs)
          + (n.replicationLagBytes !== null && n.replicationLagBytes !== undefined ? ' · ' + num(n.replicationLagBytes) + ' B' : ''))))))));
  }
  return { node: el('div', {}, el('section', {}, el('h2', {}, 'Shard map'), summary), cards), refresh };
}

function reshardsPage(params) {
  const jobs = el('div', { id: 'reshard-jobs' });
  const target = el('select', { id: 'move-to', name: 'move-to', required: true });
  const move = form('move-fleet', 'Start move', [
    input('move-fleet-id', 'Fleet (tenant/fleet)', { required: true, placeholder: 'acme/trucks', value: params.get('fleet') || '' }),
    el('label', {}, 'To shard', target),
  ], async (f) => {
    const job = await api('POST', '/v1/reshards', { kind: 'move', fleet: value(f, 'move-fleet-id'), to: value(f, 'move-to') });
    notice('Reshard job ' + job.jobId + ' planned: ' + job.fleets.join(', ') + ' from ' + job.sourceShardId + ' to '
      + job.targetShardId + '.');
  });
  async function act(jobId, action) {
    clearError();
    try {
      await api('POST', '/v1/reshards/' + encodeURIComponent(jobId) + '/' + action);
      await refresh();
    } catch (e) {
      showError(e);
    }
  }
  async function refresh() {
    if (target.options.length === 0) {
      (await shardIds()).forEach(s => target.append(el('option', { value: s }, s)));
    }
    const body = await api('GET', '/v1/reshards');
    const list = body.reshards.slice().sort((a, b) => (b.createdAtMs || 0) - (a.createdAtMs || 0));
    jobs.replaceChildren(table(['job', 'kind', 'from → to', 'fleets', 'phase', 'copy', 'delta lag#', 'validation', 'freeze#', 'detail', ''],
      list.map(j => {
        const p = j.progress || {};
        const copy = p.copy || {};
        const val = p.validation || {};
        const finished = ['done', 'cancelled', 'failed'].includes(j.phase);
        return el('tr', { dataset: { job: j.jobId, phase: j.phase } },
          el('td', {}, j.jobId), el('td', {}, j.kind), el('td', {}, j.sourceShardId + ' → ' + j.targetShardId),
          el('td', {}, (j.fleets || []).join(', ')),
          el('td', {}, badge(j.phase), j.paused ? ' paused' : ''),
          // rowsTotal and etaMs are -1 while the copy's ranges are still being planned (ADR 0059)
          el('td', {}, copy.rowsTotal > 0 ? bar(copy.rowsCopied / copy.rowsTotal) : '',
            num(copy.rowsCopied) + ' / ' + (copy.rowsTotal >= 0 ? num(copy.rowsTotal) : '?')
            + (copy.etaMs > 0 ? ' · ETA ' + ms(copy.etaMs) : '')),
          el('td', { className: 'num' }, p.delta ? num(p.delta.lagRecords) : '—'),
          el('td', {}, val.result || (val.rowsTotal ? num(val.rowsValidated) + ' / ' + num(val.rowsTotal) : '—')),
          el('td', { className: 'num' }, p.writeFreezeMs !== undefined && p.writeFreezeMs !== null ? ms(p.writeFreezeMs) : '—'),
          el('td', {}, p.lastError ? el('span', { className: 'badge bad' }, p.lastError) : (j.detail || '')),
          el('td', {}, finished ? '' : [
            el('button', { type: 'button', className: 'secondary', onclick: () => act(j.jobId, j.paused ? 'resume' : 'pause') }, j.paused ? 'Resume' : 'Pause'),
            ' ',
            el('button', { type: 'button', className: 'secondary', onclick: () => act(j.jobId, 'cancel') }, 'Cancel')]));
      })));
  }
  return {
    node: el('div', {},
      el('section', {}, el('h2', {}, 'Move (and pin) a fleet'),
        el('p', { className: 'muted' }, 'Online move (ADR 0013): copy, delta sync, a short write freeze at cutover, validation,'
          + ' cleanup. The fleet ends pinned to the target. Splits and merges: ./fleetshard reshard split|merge.'),
        move),
      el('section', {}, el('h2', {}, 'Reshard jobs'), jobs)),
    refresh,
  };
}

function orchestrationsPage() {
  const list = el('div', { id: 'orchestrations' });
  async function refresh() {
    const body = await api('GET', '/v1/orchestrations');
    const items = body.orchestrations || [];
    list.replaceChildren(
      body.failoverEnabled === false ? el('p', { className: 'muted' }, 'Failover is not enabled on this control API.') : '',
      body.loaded === false ? el('p', { className: 'muted' }, 'Still reading the orchestration log…') : '',
      items.length ? '' : el('p', { className: 'muted' }, 'No failover, switchover, failback or rejoin so far.'),
      ...items.map(o => el('section', { dataset: { orchestration: o.orchestrationId } },
        el('h2', {}, o.kind + ' of ' + o.shardId + ' ', badge(o.state), ' ',
          el('span', { className: 'muted' }, o.orchestrationId + ' · ' + (o.fromNodeId || '?') + ' → ' + (o.toNodeId || '?')
            + ' · ' + (o.trigger || '') + ' · started ' + time(o.startedAtMs) + (o.durationMs !== undefined ? ' · ' + ms(o.durationMs) : ''))),
        el('ol', { className: 'steps' }, (o.steps || []).map(s => el('li', {},
          el('strong', {}, s.step), ' ', s.ok === false ? badge('failed') : s.endedAtMs ? badge('ok') : badge('running'),
          ' ', el('span', { className: 'muted' }, time(s.startedAtMs) + (s.durationMs !== undefined ? ' · ' + ms(s.durationMs) : '')),
          s.detail ? el('div', {}, s.detail) : ''))),
        o.nextStep ? el('div', { className: 'muted' }, 'next: ' + o.nextStep) : '')));
  }
  return { node: el('div', {}, el('section', {}, el('h2', {}, 'Orchestrations (failovers, switchovers, failbacks)'),
    el('p', { className: 'muted' }, 'Newest first. Start one with ./fleetshard failover|switchover|failback (runbooks in docs/runbooks/).')), list), refresh };
}

function lagPage() {
  const list = el('div', { id: 'lag' });
  async function refresh() {
    const shards = (await api('GET', '/v1/shards')).shards;
    const views = await Promise.all(shards.map(s => api('GET', '/v1/shards/' + encodeURIComponent(s.shardId) + '/standby')));
    const rows = [];
    views.forEach((v, i) => {
      const a = v.archive;
      const archive = a === null ? 'no archive attached' : a.error ? a.error
        : a.latestManifestSeq === null || a.latestManifestSeq === undefined ? 'no manifest yet'
        : 'manifest #' + num(a.latestManifestSeq) + ' · complete through ' + time(a.lastCommitTsMs)
          + (a.behindBytes !== undefined && a.behindBytes !== null ? ' · ' + num(a.behindBytes) + ' B behind the primary' : '');
      const replicas = shards[i].nodes.filter(n => n.role !== 'primary' && n.role !== 'standby')
        .map(n => n.nodeId + ' ' + ms(n.replicationLagMs)).join(', ');
      if (!v.standbys.length) {
        rows.push(el('tr', { dataset: { shard: v.shardId } }, el('td', {}, v.shardId), el('td', {}, archive), el('td', {}, replicas || '—'),
          el('td', { colspan: '4', className: 'muted' }, 'no warm standby')));
      }
      v.standbys.forEach(s => rows.push(el('tr', { dataset: { shard: v.shardId } }, el('td', {}, v.shardId), el('td', {}, archive),
        el('td', {}, replicas || '—'), el('td', {}, s.nodeId + ' (' + s.region + ')'),
        s.error ? el('td', { colspan: '3' }, el('span', { className: 'badge bad' }, s.error)) : [
          el('td', { className: 'num' }, ms(s.appliedLagMs)),
          el('td', { className: 'num' }, num(s.manifestsBehind)),
          el('td', { className: 'num' }, ms(s.archiveLagMs))])));
    });
    list.replaceChildren(table(['shard', 'archive (newest manifest)', 'replica lag', 'warm standby', 'applied lag#', 'manifests behind#', 'behind the archive#'], rows));
  }
  return { node: el('section', {}, el('h2', {}, 'Archive and standby lag per shard'),
    el('p', { className: 'muted' }, 'From the health monitor\'s last round (GET /v1/shards/{id}/standby). Applied lag is now minus'
      + ' the time before which the standby holds every change of the primary (capture\'s watermarks, ADR 0048): on an'
      + ' idle shard within about capture\'s heartbeat plus the archiver\'s watermark interval (~15 s by default);'
      + ' it grows when capture, the archiver, S3 or the applier is stuck.'
      + ' Runbook: docs/runbooks/standby-lagging.md.'), list), refresh };
}

function auditPage() {
  const list = el('div', { id: 'audit' });
  const filters = { actor: '', from: '', limit: '100' };
  const filter = form('audit-filter', 'Filter', [
    input('audit-actor', 'Actor', { placeholder: 'anyone' }),
    input('audit-from', 'From (ISO time)', { placeholder: '2026-12-05T00:00:00Z' }),
    input('audit-limit', 'Limit', { value: '100', size: '5' }),
  ], async (f) => {
    filters.actor = value(f, 'audit-actor');
    filters.from = value(f, 'audit-from');
    filters.limit = value(f, 'audit-limit') || '100';
  });
  async function refresh() {
    const q = new URLSearchParams();
    Object.entries(filters).forEach(([k, v]) => { if (v) q.set(k, v); });
    const body = await api('GET', '/v1/audit?' + q);
    const events = body.events.slice().reverse();
    list.replaceChildren(body.truncated ? el('p', { className: 'muted' }, 'Truncated: raise the limit or narrow the filter.') : '',
      table(['time', 'actor', 'role', 'action', 'status#', 'request', 'change'], events.map(e => el('tr', {},
        el('td', {}, e.time), el('td', {}, e.actor), el('td', {}, e.role), el('td', {}, e.action + (e.path !== e.action.split(' ')[1] ? ' (' + e.path + ')' : '')),
        el('td', { className: 'num' }, e.status), el('td', { className: 'muted' }, e.requestId),
        el('td', {}, el('details', {}, el('summary', {}, 'before / after'),
          el('pre', {}, 'before: ' + JSON.stringify(e.before, null, 1) + '\nafter: ' + JSON.stringify(e.after, null, 1))))))));
  }
  return { node: el('div', {}, el('section', {}, el('h2', {}, 'Audit log'),
    el('p', { className: 'muted' }, 'Every change made through the control API, newest first (GET /v1/audit, admin only).'), filter), list), refresh };
}

const PAGES = { tenants: tenantsPage, shards: shardsPage, reshards: reshardsPage, orchestrations: orchestrationsPage,
  lag: lagPage, audit: auditPage, token: tokenPage };

// ---- routing and polling -----------------------------------------------------------------------------------------

async function refresh() {
  if (!page || !token()) return;
  try {
    await page.refresh();
    // an action's error stays until the next action; a polling error clears once the data loads again
    if (document.getElementById('error').dataset.source === 'poll') clearError();
  } catch (e) {
    showError(e, 'poll');
  }
}

async function pollMapVersion() {
  if (!token()) return;
  const tag = document.getElementById('map-version');
  try {
    const map = await api('GET', '/v1/shardmap');
    if (lastMapVersion !== null && map.version !== lastMapVersion) {
      tag.classList.add('changed');
      setTimeout(() => tag.classList.remove('changed'), 1500);
    }
    lastMapVersion = map.version;
    tag.textContent = 'map v' + map.version + (map.writerFenced ? ' (writer fenced)' : '');
  } catch (e) {
    tag.textContent = 'map v? (' + (e.status || 'unreachable') + ')';
  }
}

function route() {
  const hash = location.hash || '#/tenants';
  const [path, query] = hash.slice(2).split('?');
  const name = token() ? (PAGES[path] ? path : 'tenants') : 'token';
  document.getElementById('notice').hidden = true;
  clearError();
  document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('active', a.dataset.page === name));
  page = PAGES[name](new URLSearchParams(query || ''));
  main.replaceChildren(page.node);
  main.dataset.page = name;
  const loading = refresh().then(() => { main.dataset.loaded = name; });
  pollMapVersion();
  return loading;
}

document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showWho();
  location.hash = '#/token';
  route();
});
window.addEventListener('hashchange', route);
setInterval(() => {
  if (document.activeElement && ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName)) {
    pollMapVersion(); // do not redraw under the operator's cursor
    return;
  }
  refresh();
  pollMapVersion();
}, POLL_MS);
showWho();
route();
