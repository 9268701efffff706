// The JSON-RPC 2.0 client of meshgate's WebSocket API (/api,
// docs/websocket.md). The session cookie goes with the upgrade request on
// its own; the socket is same-origin, so the server's Origin check passes.
//
// The connection comes back by itself: after a drop it waits 1 s, then
// twice as long after each failed attempt up to 30 s, plus up to 30 %
// random jitter so that many open tabs do not knock on a restarted
// gateway at the same moment. Before each attempt it asks /api/session,
// since a WebSocket upgrade refused with 401 looks like any other failure
// from JavaScript; a session that ended is reported as 'unauthorized'
// instead of retrying forever.

export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const JITTER = 0.3;

export class RpcClient extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.state = 'closed';        // closed | connecting | open | waiting
    this.attempt = 0;
    this.retryTimer = null;
    this.retryAt = 0;
    this.stopped = true;
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  // Close for good (log out): no reconnection, pending calls fail.
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, 'logged out');
    }
    this.failPending('disconnected');
    this.setState('closed');
  }

  // Try again now rather than when the backoff says.
  retryNow() {
    if (this.stopped || this.state === 'open' || this.state === 'connecting') return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...detail } }));
  }

  connect() {
    if (this.stopped) return;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setState('open');
    });
    ws.addEventListener('message', (ev) => {
      if (this.ws === ws) this.onMessage(ev.data);
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending(ev.reason ? `connection closed: ${ev.reason}` : 'connection lost');
      if (this.stopped) {
        this.setState('closed');
        return;
      }
      this.dispatchEvent(new CustomEvent('dropped', { detail: { code: ev.code, reason: ev.reason } }));
      this.checkSessionThenRetry();
    });
  }

  async checkSessionThenRetry() {
    let authenticated = true;
    try {
      const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
      authenticated = res.status !== 401;
    } catch (err) {
      // The gateway is not reachable at all: keep trying.
    }
    if (this.stopped) return;
    if (!authenticated) {
      this.stopped = true;
      this.setState('closed');
      this.dispatchEvent(new CustomEvent('unauthorized'));
      return;
    }
    this.scheduleRetry();
  }

  scheduleRetry() {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delay = Math.round(base * (1 + Math.random() * JITTER));
    this.attempt++;
    this.retryAt = Date.now() + delay;
    this.setState('waiting', { retryAt: this.retryAt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  failPending(message) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new RpcError(-32001, message));
  }

  onMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      console.warn('meshgate: a message that is not JSON', err);
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) this.onOne(m);
  }

  onOne(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.method === 'string' && msg.id === undefined) {
      this.dispatchEvent(new CustomEvent('notification',
        { detail: { method: msg.method, params: msg.params || {} } }));
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new RpcError(msg.error.code, msg.error.message, msg.error.data));
    else p.resolve(msg.result);
  }

  // A request; resolves with its result, rejects with an RpcError (the
  // gateway's sentence is the message). Requests that wait for the mesh
  // (provision, entity/set...) answer when it has answered: no timeout
  // here, the gateway has its own.
  call(method, params = {}) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.state !== 'open') {
        reject(new RpcError(-32001, 'not connected to meshgate'));
        return;
      }
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      try {
        this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      } catch (err) {
        this.pending.delete(id);
        reject(new RpcError(-32001, 'not connected to meshgate'));
      }
    });
  }
}
