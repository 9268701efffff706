// The page of one node (#/nodes/0x0005): what the gateway's node/info
// request tells (composition, per model its app key bindings, publication
// and subscriptions, heartbeat settings, features, keys by index, health
// faults, liveness) and the node's lights. Key material never reaches the
// browser: node/info gives key indexes only.

import { h, clear, timeEl } from './dom.js';
import { modelName, lightsOf } from './models.js';
import { lightControl, busy, errorText, toast } from './ui.js';

export const title = (address) => `Node ${address}`;

const hex4 = (n) => (typeof n === 'number' ? `0x${n.toString(16).padStart(4, '0')}` : '—');

function dl(pairs) {
  return h('dl', { class: 'props' },
    pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

function featureText(f) {
  if (!f || f.supported === null || f.supported === undefined) return 'unknown';
  if (!f.supported) return 'not supported';
  return f.enabled ? 'on' : 'off';
}

function transmitText(t) {
  return t ? `${t.count} × ${t.interval_ms} ms` : 'the node\'s own';
}

function addressText(a) {
  if (!a) return '—';
  return a.name ? `${a.name} (${a.address})` : a.address;
}

function publishText(p) {
  if (!p) return 'none';
  const parts = [addressText(p)];
  if (typeof p.ttl === 'number') parts.push(`TTL ${p.ttl}`);
  if (p.period_ms) parts.push(`every ${p.period_ms / 1000} s`);
  if (typeof p.app_key_index === 'number') parts.push(`app key ${p.app_key_index}`);
  if (p.retransmit && p.retransmit.count) parts.push(`${p.retransmit.count} retransmissions`);
  return parts.join(', ');
}

function modelsTable(models) {
  return h('table', { class: 'models responsive', testid: 'node-models-table' },
    h('thead', {}, h('tr', {}, ['Model', 'App keys', 'Publishes to', 'Subscribed to']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, (models || []).map((m) => h('tr', { 'data-model': m.id },
      h('td', { 'data-label': 'Model' }, h('span', { class: 'mono' }, m.id), ' ',
        m.name || (m.vendor ? 'vendor model' : modelName(String(m.id).replace(/^0x/, ''))) ),
      h('td', { 'data-label': 'App keys' }, (m.app_keys || []).join(', ') || '—'),
      h('td', { 'data-label': 'Publishes to' }, publishText(m.publish)),
      h('td', { 'data-label': 'Subscribed to' },
        (m.subscribe || []).map(addressText).join(', ') || '—')))));
}

function heartbeatSection(hb) {
  if (!hb) return null;
  const pub = hb.publication;
  return h('section', { class: 'card', testid: 'node-heartbeat-settings' },
    h('h2', {}, 'Heartbeats'),
    dl([
      ['Publication', pub ? `to ${pub.destination} every ${pub.period_s} s, TTL ${pub.ttl}`
        + (pub.features && pub.features.length ? `, also on ${pub.features.join(', ')} changes` : '')
        : 'none'],
      ['Subscription', (hb.subscription || []).map((s) => `${s.source} → ${s.destination}`).join(', ') || 'none'],
    ]));
}

function livenessSection(lv) {
  if (!lv) return null;
  const hb = lv.heartbeat || {};
  return h('section', { class: 'card', testid: 'node-liveness' },
    h('h2', {}, 'Liveness'),
    dl([
      ['State', h('span', { class: ['badge', lv.online ? 'online' : 'offline'], testid: 'node-detail-status' },
        lv.online ? 'online' : 'offline')],
      ['Heartbeat period', lv.heartbeat_period_s ? `${lv.heartbeat_period_s} s` : 'unknown'],
      ['Last seen', timeEl(lv.last_seen)],
      ['Hops', typeof hb.hops === 'number' ? `${hb.hops} (min ${hb.min_hops}, max ${hb.max_hops})` : '—'],
      ['RSSI', typeof hb.rssi === 'number' ? `${hb.rssi} dBm` : '—'],
      ['Heartbeats received', typeof hb.count === 'number' ? String(hb.count) : '—'],
    ]));
}

function healthSection(health) {
  const faults = (health || []).flatMap((e) => (e.faults || []).map((f) => ({ ...f, element: e.element })));
  return h('section', { class: 'card', testid: 'node-health' },
    h('h2', {}, 'Health'),
    !health || !health.length ? h('p', { class: 'muted' }, 'No health status received yet.')
      : faults.length ? h('ul', { class: 'faults' }, faults.map((f) =>
        h('li', { class: 'error' }, `${f.element}: ${f.name} (0x${f.code.toString(16).padStart(2, '0')})`)))
        : h('p', {}, 'No faults.'));
}

function render(root, ctx, info) {
  const node = ctx.store.nodeByAddress(info.address) || { name: info.name, address: info.address,
                                                           elements: [] };
  const lights = lightsOf(node);
  const f = info.features || {};
  root.append(
    h('div', { class: 'page-head' },
      h('h1', { testid: 'node-detail-name' }, info.name),
      h('span', { class: 'mono muted' }, info.address),
      info.configured === false ? h('span', { class: 'badge warn' }, 'not configured') : null),
    lights.length ? h('section', { class: 'card' }, h('h2', {}, 'Lights'),
      lights.map((l) => h('div', { class: 'light-row' }, h('span', {}, l.name),
        lightControl(ctx, l.name, l.caps)))) : null,
    h('div', { class: 'grid' },
      h('section', { class: 'card', testid: 'node-about' },
        h('h2', {}, 'Device'),
        dl([
          ['UUID', h('span', { class: 'mono' }, info.uuid)],
          ['Company / product / version', info.composition
            ? `${hex4(info.cid)} / ${hex4(info.pid)} / ${hex4(info.vid)}` : 'composition not read yet'],
          ['Replay protection list', info.crpl ?? '—'],
          ['Relay', featureText(f.relay)], ['Proxy', featureText(f.proxy)],
          ['Friend', featureText(f.friend)], ['Low power', featureText(f.low_power)],
          ['Default TTL', info.default_ttl ?? 'unknown'],
          ['Network transmit', transmitText(info.network_transmit)],
          ['Relay retransmit', transmitText(info.relay_retransmit)],
          ['Network keys', (info.net_keys || []).map((k) => `#${k.index}`).join(', ') || '—'],
          ['Application keys', (info.app_keys || []).map((k) => `#${k.index}`).join(', ') || '—'],
          ['Key refresh phase', info.key_refresh_phase ?? '—'],
        ])),
      livenessSection(info.liveness),
      heartbeatSection(info.heartbeat),
      healthSection(info.health)),
    h('h2', {}, 'Elements'),
    ...(info.elements || []).map((el) => h('section', { class: 'card element', testid: 'node-element',
                                                     'data-element': el.address },
      h('h3', {}, `Element ${el.index}`, ' ', h('span', { class: 'mono muted' }, el.address),
        el.name ? ` · ${el.name}` : ''),
      modelsTable(el.models))));
}

export function mount(root, ctx, address) {
  let alive = true;
  const load = async () => {
    let info;
    try {
      info = await ctx.rpc.call('node/info', { node: address });
    } catch (err) {
      if (!alive) return;
      clear(root);
      root.append(h('p', { class: 'error', testid: 'node-detail-error' },
        `Node ${address}: ${errorText(err)}`), h('a', { href: '#/nodes' }, 'Back to the nodes'));
      return;
    }
    if (!alive) return;
    clear(root);
    root.append(h('a', { href: '#/nodes', class: 'back' }, '← Nodes'));
    render(root, ctx, info);
    root.append(h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'ghost', testid: 'node-refresh-state',
                    onclick: (ev) => refreshLights(ev.currentTarget, ctx, info) }, 'Read the lights\' state'),
      h('button', { type: 'button', class: 'ghost', testid: 'node-reload', onclick: load }, 'Reload')));
  };
  root.append(h('p', { class: 'muted' }, 'Loading…'));
  if (ctx.rpc.state === 'open') load();
  const offs = [ctx.store.on('connected', load), ctx.store.on('nodes', () => { if (alive) load(); })];
  return () => {
    alive = false;
    offs.forEach((off) => off());
  };
}

async function refreshLights(button, ctx, info) {
  const node = ctx.store.nodeByAddress(info.address);
  for (const l of lightsOf(node)) {
    const state = await busy(button, `read ${l.name}`, () => ctx.rpc.call('entity/get', { entity: l.name }));
    if (state) {
      ctx.store.states.set(l.name, state);
      ctx.store.emit('state', l.name, state);
    }
  }
  toast('State read');
}
