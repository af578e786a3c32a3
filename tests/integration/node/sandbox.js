// Test harness shared by the Node.js fidelity suites: starts a real sealtrain-sandbox
// on a kernel-chosen loopback port and gives Google's clients a base URL to use.
'use strict';
const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const TOKEN = 'sandbox-test-token';

// Tests must never leave loopback: any name lookup (every non-IP URL does one) fails
// here, so a client that ignores rootUrl errors out instead of calling Google.
const dns = require('node:dns');
const realLookup = dns.lookup;
dns.lookup = function guardedLookup(host, opts, cb) {
  const done = typeof opts === 'function' ? opts : cb;
  if (host === '127.0.0.1' || host === 'localhost') return realLookup.call(dns, host, opts, cb);
  process.nextTick(done, new Error('test harness: non-loopback host ' + host + ' blocked'));
  return undefined;
};

async function startSandbox(extraArgs = []) {
  const bin = process.env.ST_SANDBOX;
  if (!bin) throw new Error('ST_SANDBOX is not set (run through make check)');
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'sealtrain-node-'));
  const logPath = state + '.log';
  const log = fs.openSync(logPath, 'a');
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--state', state, ...extraArgs],
                      {stdio: ['ignore', 'pipe', log]});
  fs.closeSync(log);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sandbox did not start; see ' + logPath)),
                             20000);
    const rl = readline.createInterface({input: child.stdout});
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) resolve(m[1]); else reject(new Error('unexpected first line: ' + line));
    });
    child.once('exit', (code) => reject(new Error('sandbox exited with ' + code)));
  });
  return {
    url,
    state,
    logPath,
    // SIGTERM must end the sandbox with status 0 (under ASan a leak in the sandbox
    // makes this fail); the log is kept and named when it does not.
    async stop() {
      let code = child.exitCode;
      if (code === null) {
        const done = new Promise((r) => child.once('exit', (c) => r(c)));
        child.kill('SIGTERM');
        code = await done;
      }
      fs.rmSync(state, {recursive: true, force: true});
      if (code !== 0) throw new Error(`sandbox exited with ${code}; see ${logPath}`);
      fs.rmSync(logPath, {force: true});
    },
  };
}

async function call(sb, method, p, body) {
  const res = await fetch(sb.url + p, {
    method,
    headers: {'Authorization': 'Bearer ' + TOKEN, 'Content-Type': 'application/json'},
    body: body ? JSON.stringify(body) : undefined,
  });
  return {status: res.status, json: await res.json()};
}

// batchEnable of every service the sandbox lists, waiting for each operation.
async function enableAll(sb, project) {
  const list = await call(sb, 'GET', `/v1/projects/${project}/services?pageSize=200`);
  const ids = list.json.services.map((s) => s.config.name);
  for (let i = 0; i < ids.length; i += 20) {
    const op = await call(sb, 'POST', `/v1/projects/${project}/services:batchEnable`,
                          {serviceIds: ids.slice(i, i + 20)});
    for (let t = 0; t < 500; t++) {
      const got = await call(sb, 'GET', '/v1/' + op.json.name);
      if (got.json.done) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

// googleapis clients whose requests go to the sandbox with a static token:
// api('iam', 'v1') is google.iam({version: 'v1'}) with rootUrl set on the API
// (googleapis rewrites URLs only for a per-API rootUrl, not a global one).
function googleFor(sb) {
  const {google} = require('googleapis');
  const auth = new google.auth.OAuth2();
  auth.setCredentials({access_token: TOKEN});
  google.options({auth, retry: false});
  const api = (name, version) => google[name]({version, rootUrl: sb.url + '/'});
  return {google, api};
}

module.exports = {startSandbox, enableAll, googleFor, call, TOKEN};
