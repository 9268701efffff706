// The Groups page: named group (or virtual) addresses, their members, and
// one light control per group (one radio message switches all of them).
// Groups from the configuration file can get members here but are renamed
// and removed in the file only; the gateway says so when asked.

import { h, clear, field } from './dom.js';
import { lightsOf } from './models.js';
import { lightControl, busy, confirmDialog, promptDialog, toast } from './ui.js';

export const title = () => 'Groups';

function memberName(ctx, m) {
  if (m.name) return m.name;
  const node = ctx.store.nodeByElement(m.address);
  return node ? `${node.name} (${m.address})` : m.address;
}

// Every light of the network, by entity name, for the "add member" list.
function allLights(ctx) {
  return ctx.store.nodes.flatMap((n) => lightsOf(n).map((l) => ({ ...l, node: n })));
}

function groupCard(ctx, g) {
  const members = g.members || [];
  const memberAddrs = new Set(members.map((m) => m.address.toLowerCase()));
  const candidates = allLights(ctx).filter((l) => !memberAddrs.has(String(l.address).toLowerCase()));
  const select = h('select', { testid: 'group-member-select', 'aria-label': `Light to add to ${g.name}` },
    h('option', { value: '' }, candidates.length ? 'Choose a light…' : 'No other lights'),
    candidates.map((l) => h('option', { value: l.name }, l.name)));
  const addButton = h('button', { type: 'submit', class: 'small', testid: 'group-member-add',
                                  disabled: !candidates.length }, 'Add');
  const addForm = h('form', { class: 'row', onsubmit: async (ev) => {
    ev.preventDefault();
    if (!select.value) return;
    const member = select.value;
    const result = await busy(addButton, `add ${member} to ${g.name}`,
      () => ctx.rpc.call('group/members/add', { group: g.name, member }));
    if (result) {
      toast(`${member} joined ${g.name}`);
      ctx.store.refetchSoon('groups');
    }
  } }, select, addButton);

  const memberList = members.length
    ? h('ul', { class: 'members', testid: 'group-members' }, members.map((m) => {
      const name = memberName(ctx, m);
      const remove = h('button', { type: 'button', class: 'small ghost', testid: 'group-member-remove',
                                   'aria-label': `Remove ${name} from ${g.name}` }, 'Remove');
      remove.addEventListener('click', async () => {
        const result = await busy(remove, `remove ${name} from ${g.name}`,
          () => ctx.rpc.call('group/members/remove', { group: g.name, member: m.name || m.address }));
        if (result) {
          toast(`${name} left ${g.name}`);
          ctx.store.refetchSoon('groups');
        }
      });
      return h('li', { testid: 'group-member', 'data-member': m.address, 'data-name': m.name || '' },
        h('span', {}, name), remove);
    }))
    : h('p', { class: 'muted', testid: 'group-members-empty' }, 'No members yet.');

  const fromFile = g.configured_in_file;
  const tools = fromFile
    ? [h('span', { class: 'badge', title: 'Renamed or removed in the configuration file only' }, 'from the configuration')]
    : [
      h('button', { type: 'button', class: 'small ghost', testid: 'group-rename',
                    onclick: () => renameGroup(ctx, g) }, 'Rename'),
      h('button', { type: 'button', class: 'small ghost danger', testid: 'group-remove',
                    onclick: (ev) => removeGroup(ctx, g, ev.currentTarget) }, 'Remove'),
    ];

  return h('section', { class: 'card group', testid: 'group-card', 'data-group': g.name,
                        'aria-label': `Group ${g.name}` },
    h('div', { class: 'group-head' },
      h('h2', {}, g.name),
      h('span', { class: 'mono muted', testid: 'group-address' }, g.address),
      g.label ? h('span', { class: 'mono muted uuid', title: 'Label UUID of this virtual address' }, g.label) : null,
      h('div', { class: 'grow' }), tools),
    lightControl(ctx, g.name, { brightness: true }),
    h('h3', {}, `Members (${members.length})`),
    memberList,
    addForm);
}

async function renameGroup(ctx, g) {
  const name = await promptDialog({ title: `Rename ${g.name}`, label: 'New name', value: g.name });
  if (!name || name === g.name) return;
  const result = await busy(null, `rename ${g.name}`,
    () => ctx.rpc.call('group/rename', { name: g.name, new_name: name }));
  if (result) ctx.store.refetchSoon('groups');
}

async function removeGroup(ctx, g, button) {
  const ok = await confirmDialog({ title: `Remove the group ${g.name}?`,
    message: 'Its members leave the group first; the lights themselves stay.', ok: 'Remove', danger: true });
  if (!ok) return;
  const result = await busy(button, `remove ${g.name}`, () => ctx.rpc.call('group/remove', { name: g.name }));
  if (result) {
    toast(`${g.name} removed`);
    ctx.store.refetchSoon('groups');
  }
}

function addGroupForm(ctx) {
  const name = h('input', { type: 'text', required: true, testid: 'group-add-name', maxlength: 95,
                            autocomplete: 'off', placeholder: 'e.g. living room' });
  const kind = h('select', { testid: 'group-add-kind' },
    h('option', { value: 'auto' }, 'a free group address'),
    h('option', { value: 'address' }, 'this group address'),
    h('option', { value: 'virtual' }, 'a virtual address (new Label UUID)'),
    h('option', { value: 'label' }, 'a virtual address with this Label UUID'));
  const value = h('input', { type: 'text', testid: 'group-add-address', class: 'mono', autocomplete: 'off' });
  const valueField = field('Address or Label UUID', value);
  valueField.hidden = true;
  kind.addEventListener('change', () => {
    valueField.hidden = kind.value === 'auto' || kind.value === 'virtual';
    value.placeholder = kind.value === 'address' ? '0xc001' : '32 hex digits';
  });
  const submit = h('button', { type: 'submit', testid: 'group-add-submit' }, 'Add group');
  return h('form', { class: 'card add-group', testid: 'group-add',
                     onsubmit: async (ev) => {
                       ev.preventDefault();
                       const params = { name: name.value.trim() };
                       if (kind.value === 'address') params.address = value.value.trim();
                       if (kind.value === 'virtual') params.virtual = 'auto';
                       if (kind.value === 'label') params.virtual = value.value.trim();
                       const result = await busy(submit, 'add the group', () => ctx.rpc.call('group/add', params));
                       if (result) {
                         toast(`Group ${result.name} is ${result.address}`);
                         name.value = '';
                         value.value = '';
                         ctx.store.refetchSoon('groups');
                       }
                     } },
    h('h2', {}, 'New group'),
    h('div', { class: 'row' }, field('Name', name), field('Address', kind), valueField, submit));
}

export function mount(root, ctx) {
  const list = h('div', { class: 'groups-list', testid: 'groups-list' });
  const render = () => {
    clear(list);
    if (!ctx.store.groups.length) list.append(h('p', { class: 'muted', testid: 'groups-empty' }, 'No groups yet.'));
    for (const g of ctx.store.groups) list.append(groupCard(ctx, g));
    // The group's state is what the gateway keeps from its members'
    // statuses: reading it costs no radio message.
    for (const g of ctx.store.groups) {
      if (ctx.store.states.has(g.name)) continue;
      ctx.rpc.call('entity/get', { entity: g.name }).then((state) => {
        if (state && typeof state === 'object' && !ctx.store.states.has(g.name)) {
          ctx.store.states.set(g.name, state);
          ctx.store.emit('state', g.name, state);
        }
      }).catch(() => {});
    }
  };
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Groups')), addGroupForm(ctx), list);
  render();
  const offs = [ctx.store.on('groups', render), ctx.store.on('nodes', render)];
  return () => offs.forEach((off) => off());
}
