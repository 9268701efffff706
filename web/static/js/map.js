// The network map (#/map) from the gateway's networkmap request.
// Heartbeats tell how many hops each node is from the gateway and the
// RSSI of the last hop, not the path they took, so the map is drawn as
// rings around the gateway: ring n holds the nodes n hops away, each
// linked to the gateway with what was measured. Nodes never heard from
// stand apart on the outside.

import { h, svg, clear } from './dom.js';
import { errorText } from './ui.js';

export const title = () => 'Map';

const SIZE = 640;
const CENTER = SIZE / 2;
const RING = 130;          /* px between rings, at most */

function rssiClass(rssi) {
  if (typeof rssi !== 'number') return 'rssi-unknown';
  if (rssi >= -70) return 'rssi-good';
  if (rssi >= -85) return 'rssi-fair';
  return 'rssi-poor';
}

function layout(map) {
  const gateway = map.nodes.find((n) => n.gateway);
  const links = new Map((map.links || []).map((l) => [l.source, l]));
  const rings = new Map();
  for (const n of map.nodes) {
    if (n.gateway) continue;
    const link = links.get(n.address);
    const ring = link && typeof link.hops === 'number' ? Math.max(1, link.hops) : 0;
    if (!rings.has(ring)) rings.set(ring, []);
    rings.get(ring).push(n);
  }
  const maxRing = Math.max(1, ...[...rings.keys()]);
  // The unheard ones get a ring of their own outside the others.
  const ringCount = maxRing + (rings.has(0) ? 1 : 0);
  const scale = Math.min(RING, (CENTER - 50) / ringCount);
  const pos = new Map();
  if (gateway) pos.set(gateway.address, { x: CENTER, y: CENTER });
  for (const [ring, nodes] of rings) {
    const r = (ring === 0 ? maxRing + 1 : ring) * scale;
    nodes.sort((a, b) => a.address.localeCompare(b.address));
    // Offset each ring a little so labels of neighbouring rings do not line up.
    const offset = ring * 0.7;
    nodes.forEach((n, i) => {
      const a = offset + (2 * Math.PI * i) / nodes.length;
      pos.set(n.address, { x: CENTER + r * Math.cos(a), y: CENTER + r * Math.sin(a) });
    });
  }
  return { gateway, links, pos, rings, scale, maxRing };
}

function draw(map) {
  const { gateway, pos, rings, scale, maxRing } = layout(map);
  const root = svg('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'map', role: 'img', testid: 'map-svg',
                            'aria-labelledby': 'map-title map-desc' },
    svg('title', { id: 'map-title' }, 'Network map'),
    svg('desc', { id: 'map-desc' },
      `${map.nodes.length} nodes; rings are hops from the gateway, line colours the RSSI of the last hop.`));
  const ringLayer = svg('g', { class: 'rings' });
  for (let r = 1; r <= maxRing; r++) {
    ringLayer.append(svg('circle', { cx: CENTER, cy: CENTER, r: r * scale, class: 'ring' }),
      svg('text', { x: CENTER + 4, y: CENTER - r * scale - 4, class: 'ring-label' }, `${r} hop${r > 1 ? 's' : ''}`));
  }
  root.append(ringLayer);
  const linkLayer = svg('g', { class: 'links' });
  for (const l of map.links || []) {
    const a = pos.get(l.source);
    const b = pos.get(l.target) || (gateway && pos.get(gateway.address));
    if (!a || !b) continue;
    const label = `${l.hops} hop${l.hops === 1 ? '' : 's'}${typeof l.rssi === 'number' ? `, ${l.rssi} dBm` : ''}`;
    const node = map.nodes.find((n) => n.address === l.source);
    linkLayer.append(svg('g', { class: ['link', rssiClass(l.rssi), node && node.availability === 'offline' ? 'offline' : ''],
                                testid: 'map-link', 'data-source': l.source, 'data-target': l.target },
      svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
      svg('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 5, class: 'link-label' }, label),
      svg('title', {}, `${node ? node.name : l.source} → gateway: ${label}` +
        (l.min_hops !== undefined ? ` (hops seen ${l.min_hops}–${l.max_hops})` : ''))));
  }
  root.append(linkLayer);
  const nodeLayer = svg('g', { class: 'nodes' });
  for (const n of map.nodes) {
    const p = pos.get(n.address);
    if (!p) continue;
    const state = n.gateway ? 'gateway' : n.availability || 'unknown';
    const unheard = !n.gateway && (rings.get(0) || []).includes(n);
    const g = svg('a', { href: `#/nodes/${encodeURIComponent(n.address)}`, class: ['map-node', state, unheard ? 'unheard' : ''],
                         testid: 'map-node', 'data-node': n.address, 'data-state': state,
                         'aria-label': `${n.name} (${n.address}), ${state}` },
      svg('circle', { cx: p.x, cy: p.y, r: n.gateway ? 16 : 10 }),
      svg('text', { x: p.x, y: p.y + (n.gateway ? 30 : 24), class: 'node-label' }, n.name),
      svg('title', {}, `${n.name} ${n.address}: ${state}${unheard ? ', no heartbeat yet' : ''}`));
    nodeLayer.append(g);
  }
  root.append(nodeLayer);
  return root;
}

export function mount(root, ctx) {
  let alive = true;
  const holder = h('div', { class: 'map-wrap' }, h('p', { class: 'muted' }, 'Loading…'));
  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' },
    h('li', { class: 'rssi-good' }, 'RSSI ≥ −70 dBm'), h('li', { class: 'rssi-fair' }, '−85 … −70 dBm'),
    h('li', { class: 'rssi-poor' }, '< −85 dBm'), h('li', { class: 'offline' }, 'offline (dashed)'));
  const load = async () => {
    try {
      const map = await ctx.rpc.call('networkmap');
      if (!alive) return;
      clear(holder).append(draw({ nodes: map.nodes || [], links: map.links || [] }));
    } catch (err) {
      if (alive) clear(holder).append(h('p', { class: 'error' }, `The map could not be loaded: ${errorText(err)}`));
    }
  };
  const refresh = h('button', { type: 'button', class: 'ghost', testid: 'map-refresh', onclick: load }, 'Refresh');
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Map'), h('div', { class: 'grow' }), refresh),
    h('p', { class: 'muted' }, 'Each node with the hops its heartbeats took to reach the gateway and the '
      + 'signal strength of their last hop. Heartbeats do not tell the path, so there is one line per node.'),
    holder, legend);
  if (ctx.rpc.state === 'open') load();
  // Availability and heartbeats move nodes around: redraw now and then, not on each one.
  let pending = null;
  const soon = () => {
    if (pending) return;
    pending = setTimeout(() => { pending = null; if (alive) load(); }, 3000);
  };
  const offs = [ctx.store.on('connected', load), ctx.store.on('nodes', soon), ctx.store.on('node', soon)];
  return () => {
    alive = false;
    clearTimeout(pending);
    offs.forEach((off) => off());
  };
}
