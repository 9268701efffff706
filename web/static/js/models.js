// What the mesh's model IDs mean to a user: names for the tables and
// which elements are lights the dashboard can switch. The node list gives
// each element's SIG model IDs as four hex digits ("1000") and vendor
// models as eight ("05f10001").

export const MODEL_NAMES = {
  '0000': 'Configuration Server', '0001': 'Configuration Client',
  '0002': 'Health Server', '0003': 'Health Client',
  '0004': 'Remote Provisioning Server', '0005': 'Remote Provisioning Client',
  '1000': 'Generic OnOff Server', '1001': 'Generic OnOff Client',
  '1002': 'Generic Level Server', '1003': 'Generic Level Client',
  '1004': 'Generic Default Transition Time Server', '1005': 'Generic Default Transition Time Client',
  '1006': 'Generic Power OnOff Server', '1007': 'Generic Power OnOff Setup Server',
  '1008': 'Generic Power OnOff Client', '1009': 'Generic Power Level Server',
  '100a': 'Generic Power Level Setup Server', '100b': 'Generic Power Level Client',
  '100c': 'Generic Battery Server', '100d': 'Generic Battery Client',
  '100e': 'Generic Location Server', '100f': 'Generic Location Setup Server',
  '1010': 'Generic Location Client', '1011': 'Generic Admin Property Server',
  '1012': 'Generic Manufacturer Property Server', '1013': 'Generic User Property Server',
  '1014': 'Generic Client Property Server', '1015': 'Generic Property Client',
  '1100': 'Sensor Server', '1101': 'Sensor Setup Server', '1102': 'Sensor Client',
  '1200': 'Time Server', '1201': 'Time Setup Server', '1202': 'Time Client',
  '1203': 'Scene Server', '1204': 'Scene Setup Server', '1205': 'Scene Client',
  '1206': 'Scheduler Server', '1207': 'Scheduler Setup Server', '1208': 'Scheduler Client',
  '1300': 'Light Lightness Server', '1301': 'Light Lightness Setup Server',
  '1302': 'Light Lightness Client', '1303': 'Light CTL Server', '1304': 'Light CTL Setup Server',
  '1305': 'Light CTL Client', '1306': 'Light CTL Temperature Server',
  '1307': 'Light HSL Server', '1308': 'Light HSL Setup Server', '1309': 'Light HSL Client',
  '130a': 'Light HSL Hue Server', '130b': 'Light HSL Saturation Server',
  '130c': 'Light xyL Server', '130d': 'Light xyL Setup Server', '130e': 'Light xyL Client',
  '130f': 'Light LC Server', '1310': 'Light LC Setup Server', '1311': 'Light LC Client',
};

// Short words for the node table: what a node is, not every model it has.
const MODEL_SHORT = {
  '1000': 'on/off', '1001': 'switch', '1002': 'level', '1100': 'sensor',
  '1300': 'dimmable', '1303': 'white (CTL)', '1307': 'colour (HSL)', '130f': 'light control',
};

function normalise(id) {
  const s = String(id).toLowerCase().replace(/^0x/, '');
  return s.length <= 4 ? s.padStart(4, '0') : s.padStart(8, '0');
}

export function modelName(id) {
  const key = normalise(id);
  if (MODEL_NAMES[key]) return MODEL_NAMES[key];
  if (key.length === 8) return `vendor model ${key.slice(4)} of company 0x${key.slice(0, 4)}`;
  return `model 0x${key}`;
}

export function modelLabel(id) {
  const key = normalise(id);
  return `0x${key} ${modelName(key)}`;
}

// The short summary of a node's elements: "dimmable, on/off, level".
export function nodeSummary(node) {
  const words = [];
  for (const el of node.elements || []) {
    for (const m of el.models || []) {
      const w = MODEL_SHORT[normalise(m)];
      if (w && !words.includes(w)) words.push(w);
    }
  }
  return words.join(', ');
}

// A light: an element with an OnOff, Lightness, CTL or HSL server.
export function lightCaps(models) {
  const set = new Set((models || []).map(normalise));
  const brightness = set.has('1300') || set.has('1303') || set.has('1307');
  if (!brightness && !set.has('1000')) return null;
  return { onoff: true, brightness };
}

// The lights of a node: [{name, address, index, caps}], by entity name.
export function lightsOf(node) {
  if (!node || node.gateway) return [];
  return (node.elements || [])
    .map((el) => ({ name: el.name, address: el.address, index: el.index, caps: lightCaps(el.models) }))
    .filter((l) => l.caps && l.name);
}

export function featureList(features) {
  if (!features) return [];
  const names = { relay: 'relay', proxy: 'proxy', friend: 'friend', low_power: 'low power' };
  return Object.entries(names)
    .filter(([key]) => features[key] === 'on')
    .map(([, word]) => word);
}

// "ON, 100 %" from a zigbee2mqtt-style state.
export function stateText(state) {
  if (!state || !state.state) return 'unknown';
  if (state.state !== 'ON') return 'OFF';
  if (typeof state.brightness === 'number') return `ON, ${Math.round((state.brightness * 100) / 255)} %`;
  return 'ON';
}

// Bits of the OOB Information field of an unprovisioned device beacon
// (Mesh Protocol 3.9.2, Table 3.54).
const OOB_INFO_BITS = [
  [0, 'other'], [1, 'electronic / URI'], [2, '2D machine-readable code'], [3, 'bar code'],
  [4, 'NFC'], [5, 'number'], [6, 'string'], [7, 'certificate-based provisioning'],
  [8, 'provisioning records'], [11, 'on box'], [12, 'inside box'], [13, 'on piece of paper'],
  [14, 'inside manual'], [15, 'on device'],
];

const OOB_INFO_NAMES = {
  other: 'other', uri: 'electronic / URI', '2d_code': '2D machine-readable code', bar_code: 'bar code',
  nfc: 'NFC', number: 'number', string: 'string', certificate: 'certificate-based provisioning',
  records: 'provisioning records', on_box: 'on box', inside_box: 'inside box',
  on_paper: 'on piece of paper', inside_manual: 'inside manual', on_device: 'on device',
};

// From the beacon's OOB Information: a number, or the gateway's names.
export function oobInfoText(value) {
  if (Array.isArray(value)) return value.map((n) => OOB_INFO_NAMES[n] || n).join(', ') || 'none';
  if (typeof value !== 'number' || value === 0) return 'none';
  const words = OOB_INFO_BITS.filter(([bit]) => value & (1 << bit)).map(([, w]) => w);
  return words.join(', ') || `0x${value.toString(16).padStart(4, '0')}`;
}
