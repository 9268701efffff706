// The Logs page: meshgate's log lines and the bridge events (provisioning,
// nodes coming and going, switch actions) as they arrive, newest first,
// with a level filter and a search, like zigbee2mqtt's Logs page. What
// came before the page was opened in this tab is kept (up to 2000).

import { h, clear } from './dom.js';

export const title = () => 'Logs';

const LEVELS = ['debug', 'info', 'warn', 'error'];
const SHOWN_MAX = 500;

function rank(level) {
  const i = LEVELS.indexOf(level === 'warning' ? 'warn' : level);
  return i < 0 ? 1 : i;
}

function timeText(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso || '';
  const d = new Date(t);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function entryEl(e) {
  return h('li', { class: ['log-entry', `level-${e.level}`, `kind-${e.kind}`], testid: 'log-entry',
                   'data-level': e.level, 'data-kind': e.kind },
    h('time', { datetime: e.time }, timeText(e.time)),
    h('span', { class: 'level' }, e.kind === 'log' ? e.level : e.kind),
    h('span', { class: 'module' }, e.module),
    h('span', { class: 'message' }, e.message));
}

export function mount(root, ctx) {
  const { store } = ctx;
  const level = h('select', { testid: 'log-level', 'aria-label': 'Lowest level shown' },
    LEVELS.map((l) => h('option', { value: l, selected: l === 'info' }, `${l} and above`)));
  const kinds = h('select', { testid: 'log-kind', 'aria-label': 'What to show' },
    h('option', { value: 'all' }, 'log lines and events'),
    h('option', { value: 'log' }, 'log lines only'),
    h('option', { value: 'event' }, 'events only'));
  const search = h('input', { type: 'search', placeholder: 'Search', testid: 'log-search',
                              'aria-label': 'Search the log' });
  const pause = h('button', { type: 'button', class: 'ghost', testid: 'log-pause', 'aria-pressed': 'false' }, 'Pause');
  const clearButton = h('button', { type: 'button', class: 'ghost', testid: 'log-clear' }, 'Clear');
  const list = h('ol', { class: 'log', testid: 'log-list', 'aria-live': 'off', reversed: true });
  const count = h('span', { class: 'muted', testid: 'log-count' });
  let paused = false;

  const shown = (e) => {
    if (kinds.value === 'log' && e.kind !== 'log') return false;
    if (kinds.value === 'event' && e.kind === 'log') return false;
    if (e.kind === 'log' && rank(e.level) < rank(level.value)) return false;
    const q = search.value.trim().toLowerCase();
    return !q || `${e.module} ${e.message}`.toLowerCase().includes(q);
  };

  const render = () => {
    clear(list);
    const entries = store.log.filter(shown).slice(-SHOWN_MAX).reverse();
    for (const e of entries) list.append(entryEl(e));
    count.textContent = `${entries.length} shown of ${store.log.length}`;
    if (!entries.length) list.append(h('li', { class: 'muted' }, 'Nothing yet.'));
  };

  for (const el of [level, kinds]) el.addEventListener('change', render);
  search.addEventListener('input', render);
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) render();
  });
  clearButton.addEventListener('click', () => {
    store.log.length = 0;
    render();
  });

  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Logs'), count, h('div', { class: 'grow' }),
    level, kinds, search, pause, clearButton), list);
  render();
  const off = store.on('log', (e) => {
    if (paused || !shown(e)) return;
    const first = list.firstElementChild;
    if (first && first.classList.contains('muted')) first.remove();
    list.prepend(entryEl(e));
    while (list.children.length > SHOWN_MAX) list.lastElementChild.remove();
    count.textContent = `${list.children.length} shown of ${store.log.length}`;
  });
  return off;
}
