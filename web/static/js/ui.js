// Shared pieces of the pages: messages (toasts), the modal dialog for
// confirmations and names, and the light control used on the node list,
// the node page and the groups.

import { h, clear, field } from './dom.js';
import { stateText } from './models.js';

const TOAST_MS = 6000;

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: ['toast', kind], role: kind === 'error' ? 'alert' : undefined,
                        testid: kind === 'error' ? 'toast-error' : 'toast' },
    h('span', {}, message),
    h('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss',
                  onclick: () => el.remove() }, '×'));
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? TOAST_MS * 2 : TOAST_MS);
}

export function errorText(err) {
  if (!err) return 'unknown error';
  return err.message || String(err);
}

// Run a request from a button: the button is disabled meanwhile, a
// failure becomes an error toast. Resolves to the result, or undefined.
export async function busy(button, what, fn) {
  if (button) button.disabled = true;
  if (button) button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } catch (err) {
    toast(`${what}: ${errorText(err)}`, 'error');
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

// ---- the dialog -------------------------------------------------------------

function openDialog(build) {
  const dialog = document.getElementById('dialog');
  return new Promise((resolve) => {
    clear(dialog);
    let settled = false;
    const done = (value) => {
      if (settled) return;
      settled = true;
      dialog.close();
      resolve(value);
    };
    dialog.onclose = () => done(null);
    dialog.oncancel = () => done(null);
    dialog.append(build(done));
    dialog.showModal();
    const first = dialog.querySelector('input, select, [autofocus]') || dialog.querySelector('button');
    if (first) first.focus();
  });
}

// Resolves true when confirmed.
export function confirmDialog({ title, message, ok = 'OK', danger = false }) {
  return openDialog((done) => {
    const form = h('form', { method: 'dialog', class: 'dialog-body', 'aria-labelledby': 'dialog-title',
                             onsubmit: (ev) => { ev.preventDefault(); done(true); } },
      h('h2', { id: 'dialog-title' }, title),
      h('p', {}, message),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'ghost', testid: 'confirm-cancel',
                      onclick: () => done(false) }, 'Cancel'),
        h('button', { type: 'submit', class: danger ? 'danger' : '', testid: 'confirm-ok',
                      autofocus: true }, ok)));
    return form;
  }).then((v) => v === true);
}

// Resolves to the text entered, or null when cancelled.
export function promptDialog({ title, label, value = '', ok = 'Save', hint }) {
  return openDialog((done) => {
    const input = h('input', { type: 'text', value, required: true, testid: 'prompt-input',
                               autocomplete: 'off', maxlength: 95 });
    const form = h('form', { class: 'dialog-body', 'aria-labelledby': 'dialog-title',
                             onsubmit: (ev) => { ev.preventDefault(); done(input.value.trim() || null); } },
      h('h2', { id: 'dialog-title' }, title),
      field(label, input, hint),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'ghost', testid: 'prompt-cancel',
                      onclick: () => done(null) }, 'Cancel'),
        h('button', { type: 'submit', testid: 'prompt-ok' }, ok)));
    setTimeout(() => input.select(), 0);
    return form;
  });
}

// ---- light control ------------------------------------------------------------

let stateListening = false;

function updateLight(el, state) {
  const text = el.querySelector('[data-testid=light-state]');
  text.textContent = stateText(state);
  el.dataset.on = state && state.state === 'ON' ? 'true' : 'false';
  const range = el.querySelector('input[type=range]');
  // Not while the user holds the slider.
  if (range && document.activeElement !== range && state && typeof state.brightness === 'number') {
    range.value = state.state === 'ON' ? state.brightness : 0;
  }
}

function listenStates(store) {
  if (stateListening) return;
  stateListening = true;
  store.on('state', (entity, state) => {
    for (const el of document.querySelectorAll('.light[data-entity]')) {
      if (el.dataset.entity === entity) updateLight(el, state);
    }
  });
}

// On / Off buttons and a brightness slider for a light or a group.
export function lightControl(ctx, entity, caps = { brightness: true }) {
  listenStates(ctx.store);
  const set = async (button, params, what) =>
    busy(button, `${entity}: ${what}`, () => ctx.rpc.call('entity/set', { entity, ...params }));
  const onButton = h('button', { type: 'button', class: 'small', testid: 'light-on',
                                 'aria-label': `Switch ${entity} on` }, 'On');
  const offButton = h('button', { type: 'button', class: 'small ghost', testid: 'light-off',
                                  'aria-label': `Switch ${entity} off` }, 'Off');
  onButton.addEventListener('click', () => set(onButton, { state: 'ON' }, 'on'));
  offButton.addEventListener('click', () => set(offButton, { state: 'OFF' }, 'off'));
  const parts = [h('span', { class: 'light-state', testid: 'light-state', 'aria-live': 'polite' }, 'unknown'),
                 onButton, offButton];
  if (caps.brightness) {
    const range = h('input', { type: 'range', min: 0, max: 255, step: 1, value: 0,
                               testid: 'light-brightness', 'aria-label': `Brightness of ${entity}` });
    range.addEventListener('change', () => {
      const v = Number(range.value);
      set(range, v > 0 ? { brightness: v } : { state: 'OFF' }, 'brightness');
    });
    parts.push(range);
  }
  const el = h('div', { class: 'light', 'data-entity': entity, testid: 'light-control' }, parts);
  updateLight(el, ctx.store.states.get(entity));
  return el;
}
