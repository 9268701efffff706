// The provisioning wizard (#/provision), in three steps:
//   1. scan: meshgate listens for unprovisioned device beacons for a
//      while (a countdown; the scan_closed event ends it) and lists what
//      it hears (device_discovered events);
//   2. set up the chosen device: its name, its groups, how it
//      authenticates;
//   3. watch it happen: provisioning_started, the device's capabilities,
//      the OOB exchange (type in what the device shows, or enter on the
//      device what meshgate shows), provisioning_complete, then the
//      configuration (node_configured) and the group memberships. A
//      failure shows its reason, with retry.
//
// The wizard's state outlives the page, so one can look at the nodes
// while a device is being provisioned and come back.

import { h, clear, field } from './dom.js';
import { oobInfoText } from './models.js';
import { busy, errorText, toast } from './ui.js';

export const title = () => 'Add a device';

const OUTPUT_ACTIONS = ['blink', 'beep', 'vibrate', 'numeric', 'alphanumeric'];
const INPUT_ACTIONS = ['push', 'twist', 'numeric', 'alphanumeric'];

const STEPS = [
  ['started', 'Link opened'],
  ['capabilities', 'Capabilities received'],
  ['auth', 'Authentication'],
  ['complete', 'Provisioned'],
  ['configured', 'Configured (keys, bindings, heartbeats)'],
  ['groups', 'Added to its groups'],
];

const sameUuid = (a, b) => String(a || '').replace(/-/g, '').toLowerCase()
  === String(b || '').replace(/-/g, '').toLowerCase();

const wiz = {
  step: 'scan',            // scan | setup | progress
  device: null,            // the discovered entry chosen
  form: { name: '', groups: new Set(), method: 'auto', staticOob: '' },
  run: null,               // the provisioning under way or done
};

function newRun() {
  return { status: {}, capabilities: null, oob: null, address: null, error: null, done: false,
           running: true, groupResults: [] };
}

function actionName(list, action, name) {
  if (typeof name === 'string') return name;
  if (typeof action === 'string') return action;
  return list[action] || `action ${action}`;
}

// ---- step 1: scan -------------------------------------------------------------

function scanStep(ctx, rerender) {
  const { store } = ctx;
  const duration = h('select', { testid: 'scan-duration' },
    [30, 60, 120, 300].map((s) => h('option', { value: s, selected: s === 60 }, `${s} s`)));
  const countdown = h('span', { class: 'countdown', testid: 'scan-countdown', role: 'timer',
                                'aria-live': 'off' });
  const start = h('button', { type: 'button', testid: 'scan-start' }, 'Scan');
  const stop = h('button', { type: 'button', class: 'ghost', testid: 'scan-stop' }, 'Stop');

  start.addEventListener('click', () => busy(start, 'scan', async () => {
    const result = await ctx.rpc.call('scan', { action: 'start', duration: Number(duration.value) });
    store.discovered.clear();
    store.scan = { active: true, until: Date.now() + (result.duration || Number(duration.value)) * 1000 };
    rerender();
  }));
  stop.addEventListener('click', () => busy(stop, 'stop the scan', async () => {
    await ctx.rpc.call('scan', { action: 'stop' });
    store.scan = { active: false, until: 0 };
    rerender();
  }));

  const tick = () => {
    if (store.scan.active) {
      const left = Math.max(0, Math.ceil((store.scan.until - Date.now()) / 1000));
      countdown.textContent = left > 0 ? `Scanning: ${left} s left` : 'Scanning: closing…';
    } else {
      countdown.textContent = store.discovered.size ? 'Scan closed' : '';
    }
    start.hidden = store.scan.active;
    stop.hidden = !store.scan.active;
    duration.disabled = store.scan.active;
  };
  tick();

  const devices = [...store.discovered.values()].sort((a, b) => (b.rssi ?? -999) - (a.rssi ?? -999));
  const list = devices.length
    ? h('table', { class: 'responsive', testid: 'discovered-list' },
      h('caption', { class: 'visually-hidden' }, 'Devices heard'),
      h('thead', {}, h('tr', {}, ['Device', 'UUID', 'RSSI', 'OOB information', '']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, devices.map((d) => h('tr', { testid: 'discovered-device', 'data-uuid': d.uuid },
        h('td', { 'data-label': 'Device' }, d.name || h('span', { class: 'muted' }, 'unnamed')),
        h('td', { 'data-label': 'UUID', class: 'mono uuid' }, d.uuid),
        h('td', { 'data-label': 'RSSI' }, typeof d.rssi === 'number' ? `${d.rssi} dBm` : '—'),
        h('td', { 'data-label': 'OOB information' }, oobInfoText(d.oob_info_names || d.oob_info)),
        h('td', {}, h('button', { type: 'button', class: 'small', testid: 'device-select',
                                  'aria-label': `Set up ${d.name || d.uuid}`,
                                  onclick: () => choose(d, ctx, rerender) }, 'Set up'))))))
    : h('p', { class: 'muted', testid: 'discovered-empty' },
      store.scan.active ? 'Listening for devices… Put the device in pairing mode (power it on).'
        : 'Start a scan to find devices that are waiting to join the network.');

  return {
    el: h('section', { class: 'card', testid: 'wizard-scan' },
      h('h2', {}, '1. Find the device'),
      h('div', { class: 'row' }, field('Scan for', duration), start, stop, countdown),
      list),
    tick,
  };
}

function choose(device, ctx, rerender) {
  wiz.device = device;
  wiz.form = { name: '', groups: new Set(), method: 'auto', staticOob: '' };
  wiz.step = 'setup';
  wiz.run = null;
  rerender();
}

// ---- step 2: set up ---------------------------------------------------------------

function setupStep(ctx, rerender) {
  const d = wiz.device;
  const f = wiz.form;
  const name = h('input', { type: 'text', value: f.name, testid: 'prov-name', maxlength: 95,
                            placeholder: d.name || 'e.g. kitchen/ceiling', autocomplete: 'off' });
  name.addEventListener('input', () => { f.name = name.value; });
  const method = h('select', { testid: 'prov-method' },
    [['auto', 'Best the device offers'], ['none', 'No OOB (no authentication)'],
     ['static', 'Static OOB (a value from its label)'], ['output', 'Output OOB (it shows a value)'],
     ['input', 'Input OOB (you enter a value on it)']]
      .map(([v, t]) => h('option', { value: v, selected: f.method === v }, t)));
  const staticOob = h('input', { type: 'text', value: f.staticOob, testid: 'prov-static-oob',
                                 autocomplete: 'off', spellcheck: 'false', class: 'mono',
                                 placeholder: '32 or 64 hex digits' });
  const staticField = field('Static OOB value', staticOob, 'As printed on the device or its box.');
  staticField.hidden = f.method !== 'static';
  method.addEventListener('change', () => {
    f.method = method.value;
    staticField.hidden = f.method !== 'static';
  });
  staticOob.addEventListener('input', () => { f.staticOob = staticOob.value.trim(); });

  const groups = ctx.store.groups;
  const groupBoxes = groups.length
    ? h('fieldset', { class: 'groups', testid: 'prov-groups' }, h('legend', {}, 'Groups'),
      groups.map((g) => {
        const box = h('input', { type: 'checkbox', value: g.name, checked: f.groups.has(g.name),
                                 testid: 'prov-group', id: `prov-group-${g.address}` });
        box.addEventListener('change', () => (box.checked ? f.groups.add(g.name) : f.groups.delete(g.name)));
        return h('label', { class: 'check', for: box.id }, box, ` ${g.name}`);
      }))
    : h('p', { class: 'muted' }, 'No groups yet: add it to groups later on the Groups page.');

  const startButton = h('button', { type: 'submit', testid: 'prov-start' }, 'Provision');
  const form = h('form', { class: 'card', testid: 'wizard-setup',
                           onsubmit: (ev) => { ev.preventDefault(); startProvisioning(ctx, rerender); } },
    h('h2', {}, '2. Set it up'),
    dlDevice(d),
    field('Name', name, d.name ? `The configuration calls it "${d.name}"; leave empty to keep that.`
      : 'A / builds a tree: "kitchen/ceiling". Empty: named by its address.'),
    groupBoxes,
    field('Authentication', method,
      'meshgate picks the strongest method the device offers unless you choose one.'),
    staticField,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'ghost', testid: 'prov-back',
                    onclick: () => { wiz.step = 'scan'; rerender(); } }, 'Back'),
      startButton));
  return { el: form };
}

function dlDevice(d) {
  return h('dl', { class: 'props' },
    h('dt', {}, 'UUID'), h('dd', { class: 'mono', testid: 'prov-uuid' }, d.uuid),
    h('dt', {}, 'Signal'), h('dd', {}, typeof d.rssi === 'number' ? `${d.rssi} dBm` : '—'),
    h('dt', {}, 'OOB information'), h('dd', {}, oobInfoText(d.oob_info_names || d.oob_info)));
}

async function startProvisioning(ctx, rerender) {
  const d = wiz.device;
  const f = wiz.form;
  const params = { uuid: d.uuid };
  if (f.name.trim()) params.name = f.name.trim();
  if (f.method !== 'auto') params.method = f.method;
  if (f.method === 'static') params.static_oob = f.staticOob;
  wiz.step = 'progress';
  wiz.run = newRun();
  const run = wiz.run;
  rerender();
  try {
    const result = await ctx.rpc.call('provision', params);
    if (wiz.run !== run) return;
    run.address = result.address || run.address;
    run.status.complete = 'done';
    run.status.auth = run.status.auth === 'active' || !run.status.auth ? 'done' : run.status.auth;
  } catch (err) {
    if (wiz.run !== run) return;
    fail(run, errorText(err));
  }
  rerender();
}

function fail(run, message) {
  run.error = message;
  run.running = false;
  const active = STEPS.find(([key]) => !run.status[key] || run.status[key] === 'active');
  if (active) run.status[active[0]] = 'failed';
}

// Groups once the node is configured (its lights subscribe then).
async function joinGroups(ctx, run, rerender) {
  const groups = [...wiz.form.groups];
  if (!groups.length) {
    run.status.groups = 'skipped';
    finish(run);
    rerender();
    return;
  }
  run.status.groups = 'active';
  rerender();
  for (const group of groups) {
    try {
      await ctx.rpc.call('group/members/add', { group, member: run.address });
      run.groupResults.push({ group, ok: true });
    } catch (err) {
      run.groupResults.push({ group, ok: false, error: errorText(err) });
    }
  }
  const failed = run.groupResults.filter((r) => !r.ok);
  run.status.groups = failed.length ? 'failed' : 'done';
  if (failed.length) run.error = failed.map((r) => `${r.group}: ${r.error}`).join('; ');
  finish(run);
  rerender();
}

function finish(run) {
  run.running = false;
  run.done = true;
}

// Provisioning and configuration events of the device being set up.
function onEvent(ctx, { type, data }, rerender) {
  const run = wiz.run;
  if (type === 'provisioning_complete' && data.uuid) {
    for (const key of ctx.store.discovered.keys()) {
      if (sameUuid(key, data.uuid)) ctx.store.discovered.delete(key);
    }
  }
  if (!run || !wiz.device) return;
  const mine = data.uuid ? sameUuid(data.uuid, wiz.device.uuid)
    : data.address && run.address && data.address.toLowerCase() === run.address.toLowerCase();
  if (!mine) return;
  switch (type) {
    case 'provisioning_started':
      run.status.started = 'done';
      run.status.capabilities = 'active';
      break;
    case 'provisioning_capabilities':
      run.status.started = 'done';
      run.status.capabilities = 'done';
      run.capabilities = data;
      run.status.auth = 'active';
      break;
    case 'provisioning_oob_required':
    case 'provisioning_oob_show':
      run.status.auth = 'active';
      run.oob = { kind: type === 'provisioning_oob_show' ? 'show' : 'required', ...data, sent: false };
      break;
    case 'provisioning_complete':
      STEPS.slice(0, 3).forEach(([key]) => { if (run.status[key] !== 'done') run.status[key] = 'done'; });
      run.status.complete = 'done';
      run.status.configured = 'active';
      run.address = data.address;
      run.oob = null;
      break;
    case 'provisioning_failed':
      fail(run, data.error || 'provisioning failed');
      break;
    case 'node_configured':
      run.status.configured = 'done';
      joinGroups(ctx, run, rerender);
      break;
    case 'node_configure_failed':
      run.status.configured = 'failed';
      run.error = `configuration stopped at ${data.step || 'a step'}: ${data.error || 'no answer'}; `
        + 'it is retried by itself, or use Reconfigure on the Nodes page';
      finish(run);
      break;
    default:
      return;
  }
  rerender();
}

// ---- step 3: progress --------------------------------------------------------------

function capabilitiesView(caps) {
  if (!caps) return null;
  const rows = [];
  const add = (k, v) => { if (v !== undefined && v !== null && v !== '') rows.push(h('dt', {}, k), h('dd', {}, String(v))); };
  const list = (v) => (Array.isArray(v) ? v.join(', ') : v);
  const oob = (o) => (o && o.size ? `${list(o.actions || [])}, up to ${o.size}` : 'no');
  add('Elements', caps.elements);
  add('Algorithms', list(caps.algorithms));
  if (typeof caps.public_key_oob === 'boolean') add('Public key out of band', caps.public_key_oob ? 'available' : 'no');
  if (typeof caps.static_oob === 'boolean') {
    add('Static OOB', caps.static_oob ? (caps.oob_required ? 'available, required' : 'available') : 'no');
  }
  if ('output_oob' in caps) add('Output OOB', oob(caps.output_oob));
  if ('input_oob' in caps) add('Input OOB', oob(caps.input_oob));
  const chosen = [caps.method, caps.action, caps.size ? `${caps.size} ${caps.action === 'alphanumeric' ? 'characters' : 'digits'}` : null,
                  caps.algorithm, caps.public_key ? `public key ${caps.public_key}` : null].filter(Boolean);
  add('meshgate chose', chosen.join(', '));
  return h('section', { class: 'caps' }, h('h3', {}, 'What the device offers'),
    h('dl', { class: 'props', testid: 'prov-capabilities' }, rows));
}

function oobView(ctx, run, rerender) {
  const o = run.oob;
  if (!o) return null;
  if (o.kind === 'show') {
    const action = actionName(INPUT_ACTIONS, o.action, o.action_name);
    const how = {
      push: `Push the button on the device ${o.value} times.`,
      twist: `Twist the knob on the device ${o.value} times.`,
    }[action] || `Enter ${o.value} on the device.`;
    return h('div', { class: 'oob card', testid: 'oob-show', role: 'status' },
      h('p', {}, 'The device asks for a value:'),
      h('p', { class: 'oob-value', testid: 'oob-show-value' }, String(o.value)),
      h('p', {}, how));
  }
  if (o.method === 'static') {
    return h('p', { class: 'muted', testid: 'oob-static' }, 'Using the static OOB value.');
  }
  const action = actionName(OUTPUT_ACTIONS, o.action, o.action_name);
  const what = {
    blink: 'Count how many times the device blinks',
    beep: 'Count how many times the device beeps',
    vibrate: 'Count how many times the device vibrates',
    numeric: 'Read the number the device shows',
    alphanumeric: 'Read the text the device shows',
  }[action] || 'Read the value the device shows';
  const input = h('input', { type: 'text', testid: 'oob-input', autocomplete: 'one-time-code',
                             inputmode: o.alphanumeric || action === 'alphanumeric' ? 'text' : 'numeric',
                             maxlength: o.size || 8, required: true, class: 'mono' });
  const submit = h('button', { type: 'submit', testid: 'oob-submit' }, 'Send');
  const form = h('form', { class: 'oob card', testid: 'oob-form',
                           onsubmit: (ev) => {
                             ev.preventDefault();
                             busy(submit, 'OOB value', async () => {
                               await ctx.rpc.call('oob', { value: input.value.trim() });
                               o.sent = true;
                               rerender();
                             });
                           } },
    field(`${what} and type it in`, input, o.size ? `Up to ${o.size} ${action === 'alphanumeric' ? 'characters' : 'digits'}.` : undefined),
    submit);
  if (o.sent) return h('p', { class: 'muted', testid: 'oob-sent' }, 'Value sent; checking it…');
  setTimeout(() => input.focus(), 0);
  return form;
}

function progressStep(ctx, rerender) {
  const run = wiz.run;
  const d = wiz.device;
  const steps = h('ol', { class: 'steps', testid: 'prov-steps' },
    STEPS.map(([key, label]) => {
      const status = run.status[key] || 'pending';
      return h('li', { testid: 'prov-step', 'data-step': key, 'data-status': status,
                       'aria-current': status === 'active' ? 'step' : undefined },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        label,
        key === 'complete' && run.address ? h('span', { class: 'mono' }, ` ${run.address}`) : null,
        status === 'skipped' ? h('span', { class: 'muted' }, ' (none chosen)') : null,
        h('span', { class: 'visually-hidden' }, `: ${status}`));
    }));
  const parts = [h('h2', {}, `3. Provisioning ${wiz.form.name || d.name || d.uuid}`), steps,
                 capabilitiesView(run.capabilities)];
  if (run.running) parts.push(oobView(ctx, run, rerender));
  if (run.error) {
    parts.push(h('div', { class: 'error-box', role: 'alert', testid: 'prov-error' },
      h('p', {}, run.error),
      h('div', { class: 'actions' },
        !run.done ? h('button', { type: 'button', testid: 'prov-retry',
                                  onclick: () => startProvisioning(ctx, rerender) }, 'Retry') : null,
        h('button', { type: 'button', class: 'ghost', testid: 'prov-clear',
                      onclick: () => { run.error = null; if (!run.done) wiz.step = 'setup'; rerender(); } },
          'Clear'))));
  }
  if (run.done) {
    parts.push(h('div', { class: 'done', testid: 'prov-done', role: 'status' },
      h('p', {}, `${wiz.form.name || d.name || 'The device'} is in the network`,
        run.address ? ` as ${run.address}` : '', '.'),
      h('div', { class: 'actions' },
        run.address ? h('a', { class: 'button ghost', href: `#/nodes/${run.address}`,
                               testid: 'prov-open-node' }, 'Open its page') : null,
        h('button', { type: 'button', testid: 'prov-another',
                      onclick: () => { wiz.step = 'scan'; wiz.run = null; wiz.device = null; rerender(); } },
          'Add another device'))));
  } else if (run.running && !run.status.complete) {
    parts.push(h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'ghost', testid: 'prov-cancel-view',
                    onclick: () => { wiz.step = 'scan'; rerender(); } }, 'Back to the scan')));
  }
  return { el: h('section', { class: 'card', testid: 'wizard-progress' }, parts) };
}

// ---- the page -------------------------------------------------------------------------

// Events are followed from the first visit on, whether the wizard is shown
// or not; render is the shown page's, or nothing.
let render = () => {};
let following = false;

function follow(ctx) {
  if (following) return;
  following = true;
  ctx.store.on('event', (ev) => {
    if (ev.type === 'device_discovered' || ev.type === 'scan_closed') {
      if (wiz.step === 'scan') render();
      return;
    }
    onEvent(ctx, ev, () => render());
  });
}

export function mount(root, ctx) {
  let tick = null;
  const draw = () => {
    clear(root);
    tick = null;
    root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Add a device')));
    let step;
    // Steps rerender through render: after a request answers, the page
    // shown may be another one.
    const rerender = () => render();
    if (wiz.step === 'progress' && wiz.run) step = progressStep(ctx, rerender);
    else if (wiz.step === 'setup' && wiz.device) step = setupStep(ctx, rerender);
    else step = scanStep(ctx, rerender);
    tick = step.tick || null;
    root.append(step.el);
    if (wiz.run && wiz.step !== 'progress') {
      root.append(h('p', {}, h('button', { type: 'button', class: 'link', testid: 'prov-show-progress',
                                           onclick: () => { wiz.step = 'progress'; draw(); } },
        'Show the provisioning under way')));
    }
  };
  follow(ctx);
  render = draw;
  draw();
  const timer = setInterval(() => tick && tick(), 1000);
  const off = ctx.store.on('groups', () => { if (wiz.step === 'setup') draw(); });
  return () => {
    clearInterval(timer);
    off();
    render = () => {};
  };
}
