// The Nodes page: every node of the network in one table, as
// zigbee2mqtt's Devices page lists devices, with what tells whether it is
// well (online, last heartbeat, hops, RSSI), a quick light control for
// each light, and rename / reconfigure / remove.

import { h, clear, timeEl } from './dom.js';
import { nodeSummary, featureList, lightsOf } from './models.js';
import { lightControl, busy, confirmDialog, promptDialog, toast } from './ui.js';

export const title = () => 'Nodes';

function statusBadge(node) {
  if (node.gateway) return h('span', { class: 'badge self', testid: 'node-status' }, 'gateway');
  const state = node.availability || 'unknown';
  return h('span', { class: ['badge', state], testid: 'node-status', 'data-state': state }, state);
}

function heartbeatCells(node) {
  const hb = node.heartbeat || {};
  const hops = typeof hb.hops === 'number'
    ? (hb.min_hops !== undefined && hb.max_hops !== undefined && hb.min_hops !== hb.max_hops
      ? `${hb.hops} (${hb.min_hops}–${hb.max_hops})` : String(hb.hops))
    : '—';
  const rssi = typeof hb.rssi === 'number' ? `${hb.rssi} dBm` : '—';
  return { hops, rssi };
}

async function rename(ctx, node) {
  const name = await promptDialog({ title: `Rename ${node.name}`, label: 'New name', value: node.name,
                                    hint: 'A / builds a tree: "kitchen/spots". This is also its MQTT topic.' });
  if (!name || name === node.name) return;
  const result = await busy(null, `rename ${node.name}`,
    () => ctx.rpc.call('node/rename', { node: node.address, name }));
  if (result) {
    toast(`${node.address} is now called ${result.name}`);
    ctx.store.refetchSoon('nodes');
  }
}

async function reconfigure(ctx, node, button) {
  toast(`Configuring ${node.name}: keys, bindings, publications, heartbeats…`);
  const result = await busy(button, `configure ${node.name}`,
    () => ctx.rpc.call('node/configure', { node: node.address }));
  if (result) toast(`${node.name} is configured`);
}

async function remove(ctx, node, button) {
  const ok = await confirmDialog({
    title: `Remove ${node.name}?`,
    message: `meshgate asks ${node.name} (${node.address}) to reset itself, forgets it, and gives every `
      + 'other node new keys, so that it cannot come back with the old ones. To use it again, '
      + 'provision it anew.',
    ok: 'Remove', danger: true });
  if (!ok) return;
  let result = await busy(button, `remove ${node.name}`,
    () => ctx.rpc.call('node/remove', { node: node.address }));
  if (!result) {
    const force = await confirmDialog({
      title: `${node.name} did not answer`,
      message: 'Remove it from the network anyway? If it is still powered it keeps working with the '
        + 'old keys until the key refresh reaches the other nodes.',
      ok: 'Remove anyway', danger: true });
    if (!force) return;
    result = await busy(button, `remove ${node.name}`,
      () => ctx.rpc.call('node/remove', { node: node.address, force: true }));
  }
  if (result) {
    toast(`${node.name} removed${result.reset ? '' : ' (it did not confirm its reset)'}`);
    ctx.store.refetchSoon('nodes');
  }
}

function nodeRow(ctx, node) {
  const { hops, rssi } = heartbeatCells(node);
  const features = featureList(node.features);
  const lights = lightsOf(node);
  const actions = node.gateway ? [] : [
    h('button', { type: 'button', class: 'small ghost', testid: 'node-rename',
                  onclick: () => rename(ctx, node), 'aria-label': `Rename ${node.name}` }, 'Rename'),
    h('button', { type: 'button', class: 'small ghost', testid: 'node-configure',
                  onclick: (ev) => reconfigure(ctx, node, ev.currentTarget),
                  'aria-label': `Configure ${node.name} again` }, 'Reconfigure'),
    h('button', { type: 'button', class: 'small ghost danger', testid: 'node-remove',
                  onclick: (ev) => remove(ctx, node, ev.currentTarget),
                  'aria-label': `Remove ${node.name}` }, 'Remove'),
  ];
  return h('tr', { testid: 'node-row', 'data-node': node.address, 'data-name': node.name },
    h('td', { 'data-label': 'Name' },
      h('a', { href: `#/nodes/${encodeURIComponent(node.address)}`, testid: 'node-name' }, node.name),
      node.configured === false && !node.gateway
        ? h('span', { class: 'badge warn', title: 'The configuration did not finish' }, 'not configured') : null),
    h('td', { 'data-label': 'Address', class: 'mono', testid: 'node-address' }, node.address),
    h('td', { 'data-label': 'UUID', class: 'mono uuid', testid: 'node-uuid' }, node.uuid || ''),
    h('td', { 'data-label': 'Models', testid: 'node-models' }, nodeSummary(node) || '—'),
    h('td', { 'data-label': 'Features', testid: 'node-features' }, features.join(', ') || '—'),
    h('td', { 'data-label': 'Status' }, statusBadge(node)),
    h('td', { 'data-label': 'Last heartbeat' },
      node.gateway ? '—' : timeEl(node.heartbeat && node.heartbeat.timestamp ? node.heartbeat.timestamp
        : node.last_seen, 'node-last-seen')),
    h('td', { 'data-label': 'Hops', testid: 'node-hops' }, node.gateway ? '—' : hops),
    h('td', { 'data-label': 'RSSI', testid: 'node-rssi' }, node.gateway ? '—' : rssi),
    h('td', { 'data-label': 'Light', class: 'lights' },
      lights.length ? lights.map((l) => h('div', { class: 'light-row' },
        lights.length > 1 ? h('span', { class: 'muted' }, l.name) : null,
        lightControl(ctx, l.name, l.caps))) : '—'),
    h('td', { 'data-label': 'Actions' }, h('div', { class: 'actions' }, actions)));
}

export function mount(root, ctx) {
  const { store } = ctx;
  const tbody = h('tbody', {});
  const empty = h('p', { class: 'muted', testid: 'nodes-empty', hidden: true },
    'No nodes yet. ', h('a', { href: '#/provision' }, 'Add a device'), '.');
  const filter = h('input', { type: 'search', placeholder: 'Filter by name, address or UUID',
                              'aria-label': 'Filter nodes', testid: 'nodes-filter' });
  const counts = h('span', { class: 'muted', testid: 'nodes-counts' });

  const matches = (node) => {
    const q = filter.value.trim().toLowerCase();
    return !q || [node.name, node.address, node.uuid].some((s) => String(s || '').toLowerCase().includes(q));
  };

  const render = () => {
    clear(tbody);
    const nodes = store.nodes.filter(matches);
    for (const node of nodes) tbody.append(nodeRow(ctx, node));
    empty.hidden = store.nodes.some((n) => !n.gateway);
    const others = store.nodes.filter((n) => !n.gateway);
    const online = others.filter((n) => n.availability !== 'offline').length;
    counts.textContent = `${others.length} nodes, ${online} online, ${others.length - online} offline`;
  };

  const updateRow = (node) => {
    for (const row of tbody.querySelectorAll('tr[data-node]')) {
      if (row.dataset.node !== node.address) continue;
      // Keep the row (a slider may be in use): replace the cells that changed.
      const fresh = nodeRow(ctx, node);
      for (const key of ['node-status', 'node-last-seen', 'node-hops', 'node-rssi']) {
        const old = row.querySelector(`[data-testid=${key}]`);
        const now = fresh.querySelector(`[data-testid=${key}]`);
        if (old && now) old.replaceWith(now);
      }
      row.dataset.state = node.availability || '';
    }
    const others = store.nodes.filter((n) => !n.gateway);
    const online = others.filter((n) => n.availability !== 'offline').length;
    counts.textContent = `${others.length} nodes, ${online} online, ${others.length - online} offline`;
  };

  filter.addEventListener('input', render);
  root.append(
    h('div', { class: 'page-head' },
      h('h1', {}, 'Nodes'), counts,
      h('div', { class: 'grow' }),
      filter,
      h('a', { class: 'button', href: '#/provision', testid: 'nodes-add' }, 'Add device')),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'nodes responsive', testid: 'nodes-table' },
        h('caption', { class: 'visually-hidden' }, 'Nodes of the mesh network'),
        h('thead', {}, h('tr', {},
          ['Name', 'Address', 'UUID', 'Models', 'Features', 'Status', 'Last heartbeat', 'Hops', 'RSSI',
           'Light', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody)),
    empty);
  render();
  const offs = [store.on('nodes', render), store.on('node', updateRow)];
  return () => offs.forEach((off) => off());
}
