// What the dashboard knows of the gateway, kept fresh from the WebSocket
// API: the lists (info, nodes, groups) as the gateway last gave them, the
// states of entities as their notifications came, what a scan discovered,
// the log. Pages subscribe to topics with on() and are told when
// something they show changed:
//   'info', 'nodes', 'groups'   the list was fetched again
//   'node'   (node)             availability or heartbeat of one node
//   'state'  (entity, state)    an entity's state
//   'event'  ({type, data})     a bridge event (provisioning, scan...)
//   'log'    (entry)            a log line or an event for the log page
//   'connected'                 (re)connected and subscribed

const LOG_MAX = 2000;
const REFETCH_DELAY_MS = 150;   // notifications come in bursts: one fetch each

export function createStore(rpc) {
  const listeners = new Map();
  const refetchTimers = new Map();

  const store = {
    info: null,
    nodes: [],
    groups: [],
    states: new Map(),
    discovered: new Map(),
    scan: { active: false, until: 0 },
    log: [],
    everConnected: false,

    on(topic, fn) {
      if (!listeners.has(topic)) listeners.set(topic, new Set());
      listeners.get(topic).add(fn);
      return () => listeners.get(topic).delete(fn);
    },

    emit(topic, ...args) {
      for (const fn of [...(listeners.get(topic) || [])]) {
        try {
          fn(...args);
        } catch (err) {
          console.error(`meshgate: a ${topic} listener failed`, err);
        }
      }
    },

    reset() {
      this.info = null;
      this.nodes = [];
      this.groups = [];
      this.states.clear();
      this.discovered.clear();
      this.scan = { active: false, until: 0 };
      this.log = [];
      this.everConnected = false;
    },

    nodeByAddress(address) {
      const a = String(address).toLowerCase();
      return this.nodes.find((n) => n.address.toLowerCase() === a);
    },

    nodeByElement(address) {
      const a = parseInt(address, 16);
      return this.nodes.find((n) => {
        const first = parseInt(n.address, 16);
        return a >= first && a < first + Math.max(1, (n.elements || []).length);
      });
    },

    async fetch(what) {
      const method = { info: 'info', nodes: 'nodes', groups: 'groups' }[what];
      const result = await rpc.call(method);
      this[what] = what === 'info' ? result : Array.isArray(result) ? result : [];
      this.emit(what);
      return result;
    },

    refetchSoon(what) {
      if (refetchTimers.has(what)) return;
      refetchTimers.set(what, setTimeout(() => {
        refetchTimers.delete(what);
        this.fetch(what).catch((err) => console.warn(`meshgate: ${what} not fetched`, err));
      }, REFETCH_DELAY_MS));
    },

    async onConnected() {
      this.everConnected = true;
      try {
        await rpc.call('subscribe', {});
        await Promise.all([this.fetch('info'), this.fetch('nodes'), this.fetch('groups')]);
      } catch (err) {
        console.warn('meshgate: after connecting', err);
      }
      this.emit('connected');
    },

    addLog(entry) {
      this.log.push(entry);
      if (this.log.length > LOG_MAX) this.log.splice(0, this.log.length - LOG_MAX);
      this.emit('log', entry);
    },

    onNotification(method, params) {
      switch (method) {
        case 'event': return this.onEvent(params);
        case 'state':
          if (typeof params.entity === 'string') {
            this.states.set(params.entity, params.state || {});
            this.emit('state', params.entity, params.state || {});
          }
          return undefined;
        case 'availability': return this.onAvailability(params);
        case 'heartbeat': return this.onHeartbeat(params);
        case 'action':
          this.addLog({ time: new Date().toISOString(), level: 'info', module: 'action',
                        message: `${params.entity}: ${params.action}`, kind: 'action' });
          return undefined;
        case 'nodes_changed': return this.refetchSoon('nodes');
        case 'groups_changed': return this.refetchSoon('groups');
        case 'info_changed': return this.refetchSoon('info');
        case 'log':
          this.addLog({ time: params.time, level: params.level || 'info',
                        module: params.module || '', message: params.message || '', kind: 'log' });
          return undefined;
        default:
          return undefined;
      }
    },

    onEvent(params) {
      const type = params.type;
      const data = params.data || {};
      if (type === 'device_discovered' && data.uuid) {
        const before = this.discovered.get(data.uuid) || {};
        this.discovered.set(data.uuid, { ...before, ...data, seen: Date.now() });
      } else if (type === 'scan_closed') {
        this.scan = { active: false, until: 0 };
      } else if (type === 'node_online' || type === 'node_offline') {
        this.onAvailability({ node: data.address, name: data.name,
                              state: type === 'node_online' ? 'online' : 'offline' });
      }
      this.addLog({ time: new Date().toISOString(), level: type === 'error' || /failed/.test(type) ? 'warn' : 'info',
                    module: 'event', message: `${type} ${JSON.stringify(data)}`, kind: 'event' });
      this.emit('event', { type, data });
    },

    onAvailability(params) {
      const node = params.node && this.nodeByAddress(params.node);
      if (!node || !params.state || node.availability === params.state) return;
      node.availability = params.state;
      this.emit('node', node);
    },

    onHeartbeat(params) {
      const node = params.node && this.nodeByAddress(params.node);
      if (!node || !params.heartbeat) return;
      node.heartbeat = params.heartbeat;
      if (params.heartbeat.timestamp) node.last_seen = params.heartbeat.timestamp;
      this.emit('node', node);
    },
  };
  return store;
}
