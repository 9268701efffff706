// The world the browser tests run against: the standalone meshsim program
// (docs/simulator.md), driven through its standard input and output, and
// the real meshgate daemon attached to meshsim's virtual controller over
// its pty, with the web server on a free port.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Poll fn until it returns something truthy; its last error or value is
// in the timeout message.
export async function waitFor(what, fn, timeoutMs = 30000, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await sleep(everyMs);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-e2e-'));
}

// A line-oriented child process: every line kept (and copied to a log
// file), and waiters for a line matching a pattern.
class LineProcess {
  constructor(name, file, args, options, logPath) {
    this.name = name;
    this.lines = [];
    this.waiters = [];
    this.exited = null;
    this.log = fs.createWriteStream(logPath);
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    const onLine = (stream) => (line) => {
      this.log.write(`${new Date().toISOString()} ${stream} ${line}\n`);
      if (stream !== 'out') return;
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        const m = w.re.exec(line);
        if (m) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    };
    readline.createInterface({ input: this.child.stdout }).on('line', onLine('out'));
    readline.createInterface({ input: this.child.stderr }).on('line', onLine('err'));
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        this.log.write(`${new Date().toISOString()} exit ${code} ${signal}\n`);
        for (const w of this.waiters.splice(0)) {
          w.reject(new Error(`${this.name} exited (${code ?? signal}) while waiting for ${w.re}`));
        }
        resolve(this.exited);
      });
    });
  }

  // The first line from now on (or, with fromStart, already seen) matching re.
  waitLine(re, timeoutMs = 30000, { fromStart = false } = {}) {
    if (fromStart) {
      for (const line of this.lines) {
        const m = re.exec(line);
        if (m) return Promise.resolve(m);
      }
    }
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = {
        re,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.waiters.push(w);
    });
  }

  async stop(signal = 'SIGTERM', timeoutMs = 10000) {
    if (!this.exited) {
      this.child.kill(signal);
      const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, timeoutMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    await new Promise((resolve) => this.log.end(resolve));
    return this.exited;
  }
}

export class Meshsim extends LineProcess {
  static async start(binary, dir, logDir) {
    const linkDir = path.join(dir, 'links');
    const sim = new Meshsim('meshsim', binary, ['--link-dir', linkDir, '--log-level', 'warn'], {},
      path.join(logDir, 'meshsim.log'));
    sim.commandQueue = Promise.resolve();
    const ready = sim.waitLine(/^ready$/, 15000, { fromStart: true });
    const ctrl = await sim.waitLine(/^controller gateway: \S+ \(link (.+)\)$/, 15000, { fromStart: true });
    sim.gatewayLink = ctrl[1];
    await ready;
    return sim;
  }

  // One command, its one answer ("ok ..." or "error: ..."); lines that
  // can come at any time (device, controller, air, access) are skipped.
  command(line, timeoutMs = 10000) {
    const run = async () => {
      const answer = this.waitLine(/^(ok\b.*|error: .*)$/, timeoutMs);
      this.child.stdin.write(`${line}\n`);
      const m = await answer;
      if (m[1].startsWith('error:')) throw new Error(`meshsim ${line}: ${m[1]}`);
      return m[1];
    };
    const p = this.commandQueue.then(run, run);
    this.commandQueue = p.catch(() => {});
    return p;
  }

  // {onoff, lightness} of a simulated lamp.
  async lightState(device) {
    const answer = await this.command(`state ${device}`);
    const m = /onoff (\d+) lightness (\d+)/.exec(answer);
    if (!m) throw new Error(`meshsim state ${device}: unexpected answer "${answer}"`);
    return { onoff: Number(m[1]), lightness: Number(m[2]) };
  }

  async stop() {
    if (!this.exited) this.child.stdin.end('quit\n');
    const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGTERM'); }, 5000);
    await this.exitPromise;
    clearTimeout(timer);
    return super.stop();
  }
}

export class Meshgate extends LineProcess {
  static async start(binary, configPath, dir, logDir, { logName = 'meshgate.log', env = {} } = {}) {
    return new Meshgate('meshgate', binary, ['--config', configPath, '--no-mqtt'],
      { cwd: dir, env: { ...process.env, ...env } }, path.join(logDir, logName));
  }
}

// The configuration of the gateway under test (docs/config.md).
export function writeConfig(file, { link, dataDir, port, password, autoLamps }) {
  const nodes = autoLamps.map((l) => `  ${l.uuid}:\n    name: ${l.name}\n    groups: [stairway lights]\n    provision: auto\n`).join('');
  const yaml = `# Written by tests/e2e/harness.js for one test run.
mqtt: false
homeassistant: false
bearer:
  type: uart
  path: ${link}
mesh:
  data_dir: ${dataDir}
  heartbeat_period: 2
  liveness_factor: 3
web:
  host: 127.0.0.1
  port: ${port}
  password: ${password}
groups:
  stairway lights:
nodes:
${nodes}log:
  level: info
`;
  fs.writeFileSync(file, yaml, { mode: 0o600 });
}

export async function httpOk(url) {
  try {
    const res = await fetch(url);
    return res.ok;
  } catch (err) {
    return false;
  }
}
