// meshgate's dashboard: the login, the connection to the WebSocket API,
// the shared state every page reads, and the hash router
// (#/nodes, #/nodes/0x0005, #/provision, #/groups, #/map, #/logs).
//
// The pages keep no data of their own that the gateway has: they render
// the store (filled by requests and kept fresh by notifications) and send
// requests. Lists are refetched when the gateway says they changed
// (nodes_changed, groups_changed, info_changed), so there is one source
// of truth and no guessing.

import { RpcClient } from './rpc.js';
import { h, clear, refreshTimes } from './dom.js';
import { createStore } from './store.js';
import * as ui from './ui.js';
import * as nodesPage from './nodes.js';
import * as nodePage from './node.js';
import * as provisionPage from './provision.js';
import * as groupsPage from './groups.js';
import * as mapPage from './map.js';
import * as logsPage from './logs.js';

const PAGES = {
  nodes: nodesPage,
  node: nodePage,
  provision: provisionPage,
  groups: groupsPage,
  map: mapPage,
  logs: logsPage,
};

const $ = (id) => document.getElementById(id);

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`;
const rpc = new RpcClient(wsUrl);
const store = createStore(rpc);
const ctx = { rpc, store, ui, navigate };

let current = null;       // { name, unmount }
let loggedIn = false;

// ---- login ----------------------------------------------------------------

async function sessionActive() {
  try {
    const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return false;
    const body = await res.json().catch(() => ({}));
    return body.authenticated === true;
  } catch (err) {
    return false;
  }
}

function showLogin(message) {
  loggedIn = false;
  rpc.stop();
  unmountPage();
  $('page').hidden = true;
  $('nav').hidden = true;
  $('session-tools').hidden = true;
  $('banner').hidden = true;
  $('footer').textContent = '';
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  const pw = $('login-password');
  pw.value = '';
  pw.focus();
}

function showApp() {
  loggedIn = true;
  $('login').hidden = true;
  $('nav').hidden = false;
  $('session-tools').hidden = false;
  $('page').hidden = false;
  rpc.start();
  route();
}

async function onLoginSubmit(ev) {
  ev.preventDefault();
  const button = ev.target.querySelector('button[type=submit]');
  const err = $('login-error');
  const pw = $('login-password');
  button.disabled = true;
  err.hidden = true;
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: pw.value }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.ok) {
      pw.value = '';
      showApp();
      return;
    }
    err.textContent = body.error || `login failed (HTTP ${res.status})`;
    err.hidden = false;
    pw.select();
  } catch (e) {
    err.textContent = 'meshgate cannot be reached';
    err.hidden = false;
  } finally {
    button.disabled = false;
  }
}

async function logout() {
  rpc.stop();
  try {
    await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
  } catch (err) {
    // The session is gone from this page either way.
  }
  store.reset();
  showLogin();
}

// ---- connection -----------------------------------------------------------

let bannerTimer = null;

function renderConnection(detail) {
  const status = $('conn-status');
  const banner = $('banner');
  status.dataset.state = detail.state;
  status.textContent = { open: 'connected', connecting: 'connecting…', waiting: 'offline',
                         closed: 'offline' }[detail.state];
  clearInterval(bannerTimer);
  bannerTimer = null;
  if (detail.state === 'open' || detail.state === 'closed' || !loggedIn) {
    banner.hidden = true;
    return;
  }
  const draw = () => {
    clear(banner);
    if (rpc.state === 'waiting') {
      const s = Math.max(0, Math.ceil((rpc.retryAt - Date.now()) / 1000));
      banner.append(`The connection to meshgate was lost. Trying again in ${s} s. `,
        h('button', { type: 'button', class: 'link', onclick: () => rpc.retryNow(),
                      testid: 'reconnect-now' }, 'Try now'));
    } else {
      banner.append('Connecting to meshgate…');
    }
  };
  // The first connection after login is not worth a banner.
  if (detail.state === 'connecting' && rpc.attempt === 0 && !store.everConnected) return;
  banner.hidden = false;
  draw();
  bannerTimer = setInterval(draw, 1000);
}

rpc.addEventListener('state', (ev) => {
  renderConnection(ev.detail);
  if (ev.detail.state === 'open') store.onConnected();
});
rpc.addEventListener('unauthorized', () => showLogin('Your session ended; please log in again.'));
rpc.addEventListener('notification', (ev) => store.onNotification(ev.detail.method, ev.detail.params));

store.on('info', renderFooter);

function renderFooter() {
  const info = store.info;
  const footer = $('footer');
  clear(footer);
  if (!info) return;
  const net = info.network || {};
  footer.append(
    `meshgate ${info.version || ''}`,
    net.address ? ` · gateway ${net.address}` : '',
    typeof net.nodes === 'number' ? ` · ${net.nodes} nodes` : '',
    typeof net.groups === 'number' ? ` · ${net.groups} groups` : '',
    typeof net.iv_index === 'number' ? ` · IV index ${net.iv_index}` : '',
    info.bearer ? ` · ${info.bearer}` : '');
}

// ---- router ---------------------------------------------------------------

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function unmountPage() {
  if (current && current.unmount) current.unmount();
  current = null;
}

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'nodes' && parts[1]) return { name: 'node', nav: 'nodes', arg: parts[1] };
  if (PAGES[parts[0]] && parts[0] !== 'node') return { name: parts[0], nav: parts[0] };
  return { name: 'nodes', nav: 'nodes' };
}

function route() {
  if (!loggedIn) return;
  const { name, nav, arg } = parseHash();
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.page === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  unmountPage();
  const page = $('page');
  clear(page);
  page.dataset.page = name;
  const unmount = PAGES[name].mount(page, ctx, arg);
  current = { name, unmount };
  document.title = `${PAGES[name].title ? PAGES[name].title(arg) : name} · meshgate`;
}

window.addEventListener('hashchange', route);

// ---- start ----------------------------------------------------------------

$('login-form').addEventListener('submit', onLoginSubmit);
$('logout').addEventListener('click', logout);
setInterval(() => refreshTimes(), 5000);

(async () => {
  if (await sessionActive()) showApp();
  else showLogin();
})();
