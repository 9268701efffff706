// Small DOM helpers. Everything shown comes from the mesh (node and group
// names are typed by users), so text always goes in as text nodes, never
// as HTML: no innerHTML anywhere in the dashboard.

const SVG_NS = 'http://www.w3.org/2000/svg';

function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'testid') {
      el.dataset.testid = value;
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// h('button', {class: 'x', onclick: fn, testid: 'save'}, 'Save')
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A labelled form field: the label names the input for screen readers
// and for the tests (getByLabel).
let fieldSeq = 0;
export function field(labelText, input, hint) {
  if (!input.id) input.id = `f${++fieldSeq}`;
  const parts = [h('label', { for: input.id }, labelText), input];
  if (hint) {
    const hintEl = h('small', { class: 'muted', id: `${input.id}-hint` }, hint);
    input.setAttribute('aria-describedby', hintEl.id);
    parts.push(hintEl);
  }
  return h('div', { class: 'field' }, parts);
}

// "12 s ago", "3 min ago": heartbeat times are shown relative to now and
// refreshed by a timer (app.js) through data-since.
export function since(iso) {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleString();
}

export function timeEl(iso, testid) {
  return h('time', { datetime: iso || undefined, 'data-since': iso || '', testid,
                     title: iso ? new Date(iso).toLocaleString() : undefined }, since(iso));
}

export function refreshTimes(root = document) {
  for (const el of root.querySelectorAll('[data-since]')) {
    const iso = el.dataset.since;
    if (iso) el.textContent = since(iso);
  }
}
