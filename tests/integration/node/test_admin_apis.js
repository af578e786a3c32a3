// Service Usage, IAM, Resource Manager and Logging, driven through Google's own
// googleapis client with rootUrl pointed at the sandbox and a static bearer token.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const {startSandbox, enableAll, googleFor} = require('./sandbox.js');

let sb;
let api;
const P = 'node-proj';

test.before(async () => {
  sb = await startSandbox();
  api = googleFor(sb).api;
});
test.after(async () => { if (sb) await sb.stop(); });

function status(e) {
  return e.response ? e.response.status : e.status;
}

async function rejectsWith(promise, code, reason) {
  await assert.rejects(promise, (e) => {
    assert.equal(status(e), code);
    const body = e.response && e.response.data && e.response.data.error;
    assert.ok(body, 'error envelope present');
    assert.equal(body.code, code);
    if (reason) assert.equal(body.details[0].reason, reason);
    return true;
  });
}

test('serviceusage: disabled API, batchEnable LRO, services.get/list', async () => {
  const su = api('serviceusage', 'v1');
  const iam = api('iam', 'v1');
  await rejectsWith(iam.projects.serviceAccounts.list({name: `projects/${P}`}), 403,
                    'SERVICE_DISABLED');
  const ids = ['iam.googleapis.com', 'cloudresourcemanager.googleapis.com',
               'logging.googleapis.com'];
  const op = await su.services.batchEnable({parent: `projects/${P}`,
                                            requestBody: {serviceIds: ids}});
  assert.match(op.data.name, /^operations\//);
  let done = null;
  for (let i = 0; i < 200 && !done; i++) {
    const got = await su.operations.get({name: op.data.name});
    if (got.data.done) done = got.data;
    else await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(done, 'operation finished');
  assert.equal(done.response.services.length, 3);
  const one = await su.services.get({name: `projects/${P}/services/iam.googleapis.com`});
  assert.equal(one.data.state, 'ENABLED');
  const list = await su.services.list({parent: `projects/${P}`, filter: 'state:ENABLED'});
  assert.deepEqual(list.data.services.map((s) => s.config.name).sort(), ids.slice().sort());
  await rejectsWith(su.services.batchEnable({parent: `projects/${P}`,
                                             requestBody: {serviceIds: ['nope.googleapis.com']}}),
                    403);
  await enableAll(sb, P);
});

test('iam: service accounts and keys', async () => {
  const iam = api('iam', 'v1');
  const sa = await iam.projects.serviceAccounts.create({
    name: `projects/${P}`,
    requestBody: {accountId: 'node-runner', serviceAccount: {displayName: 'Node runner'}},
  });
  assert.equal(sa.data.email, `node-runner@${P}.iam.gserviceaccount.com`);
  assert.equal(sa.data.displayName, 'Node runner');
  await rejectsWith(iam.projects.serviceAccounts.create({
    name: `projects/${P}`, requestBody: {accountId: 'node-runner'}}), 409);
  await rejectsWith(iam.projects.serviceAccounts.create({
    name: `projects/${P}`, requestBody: {accountId: 'X'}}), 400);
  const name = `projects/${P}/serviceAccounts/${sa.data.email}`;
  const got = await iam.projects.serviceAccounts.get({name});
  assert.equal(got.data.uniqueId, sa.data.uniqueId);
  const byId = await iam.projects.serviceAccounts.get({
    name: `projects/-/serviceAccounts/${sa.data.uniqueId}`});
  assert.equal(byId.data.email, sa.data.email);
  const list = await iam.projects.serviceAccounts.list({name: `projects/${P}`});
  assert.equal(list.data.accounts.length, 1);

  const key = await iam.projects.serviceAccounts.keys.create({name, requestBody: {}});
  const file = JSON.parse(Buffer.from(key.data.privateKeyData, 'base64').toString('utf8'));
  assert.equal(file.type, 'service_account');
  assert.equal(file.client_email, sa.data.email);
  assert.equal(require('node:crypto').createPrivateKey(file.private_key).asymmetricKeyType, 'rsa');
  const keys = await iam.projects.serviceAccounts.keys.list({name});
  assert.equal(keys.data.keys.length, 1);
  assert.equal(keys.data.keys[0].privateKeyData, undefined);
  const k = await iam.projects.serviceAccounts.keys.get({
    name: key.data.name, publicKeyType: 'TYPE_RAW_PUBLIC_KEY'});
  assert.ok(k.data.publicKeyData);
  const pol = await iam.projects.serviceAccounts.getIamPolicy({
    resource: name, 'options.requestedPolicyVersion': 3});
  const set = await iam.projects.serviceAccounts.setIamPolicy({resource: name, requestBody: {
    policy: {etag: pol.data.etag, bindings: [{role: 'roles/iam.serviceAccountUser',
                                              members: ['user:dev@example.com']}]}}});
  assert.equal(set.data.bindings[0].role, 'roles/iam.serviceAccountUser');
  await rejectsWith(iam.projects.serviceAccounts.setIamPolicy({resource: name, requestBody: {
    policy: {etag: pol.data.etag, bindings: []}}}), 409);
  await iam.projects.serviceAccounts.keys.delete({name: key.data.name});
  await rejectsWith(iam.projects.serviceAccounts.keys.get({name: key.data.name}), 404);
  await iam.projects.serviceAccounts.delete({name});
  await rejectsWith(iam.projects.serviceAccounts.get({name}), 404);
});

test('iam: a minted key signs in through the JWT grant of google-auth-library', async () => {
  const iam = api('iam', 'v1');
  const sa = await iam.projects.serviceAccounts.create({
    name: `projects/${P}`, requestBody: {accountId: 'node-jwt-user'}});
  const name = `projects/${P}/serviceAccounts/${sa.data.email}`;
  const key = await iam.projects.serviceAccounts.keys.create({name, requestBody: {}});
  const file = JSON.parse(Buffer.from(key.data.privateKeyData, 'base64').toString('utf8'));
  const {JWT} = require('googleapis').google.auth;
  const jwt = new JWT({email: file.client_email, key: file.private_key,
                       keyId: file.private_key_id,
                       scopes: ['https://www.googleapis.com/auth/cloud-platform']});
  // google-auth-library posts to Google's token URL; send it to the sandbox instead.
  const tokenUrl = file.token_uri;
  const orig = jwt.transporter.request.bind(jwt.transporter);
  jwt.transporter.request = (opts) => {
    if (opts.url === 'https://oauth2.googleapis.com/token' ||
        opts.url === 'https://www.googleapis.com/oauth2/v4/token') opts.url = tokenUrl;
    return orig(opts);
  };
  // The library signs with no kid, exactly as it would against Google.
  const token = (await jwt.getAccessToken()).token;
  assert.match(token, /^ya29\./);
  const res = await fetch(`${sb.url}/v1/projects/${P}/serviceAccounts`,
                          {headers: {Authorization: 'Bearer ' + token}});
  assert.equal(res.status, 200);
});

test('cloudresourcemanager: IAM policy read-modify-write with etag and auditConfigs',
     async () => {
  const crm = api('cloudresourcemanager', 'v1');
  const proj = await crm.projects.get({projectId: P});
  assert.equal(proj.data.projectId, P);
  assert.equal(proj.data.lifecycleState, 'ACTIVE');
  const pol = await crm.projects.getIamPolicy({
    resource: P, requestBody: {options: {requestedPolicyVersion: 3}}});
  const policy = pol.data;
  policy.bindings.push({role: 'roles/logging.logWriter', members: ['user:dev@example.com']});
  policy.auditConfigs = [{service: 'allServices',
                          auditLogConfigs: [{logType: 'DATA_READ'}, {logType: 'ADMIN_READ'}]}];
  const set = await crm.projects.setIamPolicy({
    resource: P,
    requestBody: {policy, updateMask: 'bindings,etag,auditConfigs'},
  });
  assert.notEqual(set.data.etag, policy.etag);
  assert.equal(set.data.auditConfigs.length, 1);
  await rejectsWith(crm.projects.setIamPolicy({resource: P, requestBody: {policy}}), 409);
  const bad = {bindings: [{role: 'roles/viewer', members: ['nobody']}]};
  await rejectsWith(crm.projects.setIamPolicy({resource: P, requestBody: {policy: bad}}), 400);
  const v3 = api('cloudresourcemanager', 'v3');
  const p3 = await v3.projects.getIamPolicy({resource: `projects/${P}`, requestBody: {}});
  assert.equal(p3.data.etag, set.data.etag);
});

test('logging: audit entries, filters, paging, sinks', async () => {
  const logging = api('logging', 'v2');
  const filter = 'logName="projects/' + P + '/logs/cloudaudit.googleapis.com%2Factivity" ' +
    'AND protoPayload.serviceName="iam.googleapis.com"';
  const all = await logging.entries.list({requestBody: {
    resourceNames: [`projects/${P}`], filter, orderBy: 'timestamp asc', pageSize: 1000}});
  assert.ok(all.data.entries.length >= 5);
  const e = all.data.entries[0];
  assert.equal(e.protoPayload['@type'], 'type.googleapis.com/google.cloud.audit.AuditLog');
  assert.equal(e.protoPayload.authenticationInfo.principalEmail, 'operator@sandbox.local');
  let seen = 0;
  let pageToken;
  do {
    const page = await logging.entries.list({requestBody: {
      resourceNames: [`projects/${P}`], filter, orderBy: 'timestamp asc', pageSize: 2,
      pageToken}});
    for (const x of page.data.entries) assert.equal(x.insertId, all.data.entries[seen++].insertId);
    pageToken = page.data.nextPageToken;
  } while (pageToken);
  assert.equal(seen, all.data.entries.length);
  // Data Access is on (previous test): reads now land in data_access.
  await api('iam', 'v1').projects.serviceAccounts.list({name: `projects/${P}`});
  const da = await logging.entries.list({requestBody: {
    resourceNames: [`projects/${P}`],
    filter: `logName="projects/${P}/logs/cloudaudit.googleapis.com%2Fdata_access"`}});
  assert.ok(da.data.entries.length >= 1);
  await rejectsWith(logging.entries.list({requestBody: {
    resourceNames: [`projects/${P}`], filter: 'severity>='}}), 400);
  await logging.entries.write({requestBody: {
    logName: `projects/${P}/logs/node-test`, resource: {type: 'global'},
    entries: [{textPayload: 'from node', severity: 'INFO'}]}});
  const mine = await logging.entries.list({requestBody: {
    resourceNames: [`projects/${P}`], filter: `logName="projects/${P}/logs/node-test"`}});
  assert.equal(mine.data.entries[0].textPayload, 'from node');

  const sink = await logging.projects.sinks.create({
    parent: `projects/${P}`, uniqueWriterIdentity: true,
    requestBody: {name: 'node-sink', destination: 'storage.googleapis.com/node-bucket',
                  filter: 'logName:"cloudaudit.googleapis.com"'}});
  assert.match(sink.data.writerIdentity, /^serviceAccount:/);
  await rejectsWith(logging.projects.sinks.create({
    parent: `projects/${P}`, requestBody: {name: 'node-sink',
                                          destination: 'storage.googleapis.com/x'}}), 409);
  const got = await logging.projects.sinks.get({sinkName: `projects/${P}/sinks/node-sink`});
  assert.equal(got.data.destination, 'storage.googleapis.com/node-bucket');
  await logging.projects.sinks.delete({sinkName: `projects/${P}/sinks/node-sink`});
  await rejectsWith(logging.projects.sinks.get({sinkName: `projects/${P}/sinks/node-sink`}),
                    404);
});

test('oauth: authorized_user refresh grant through google-auth-library', async () => {
  const res = await fetch(`${sb.url}/sandbox/v1/authorizedUser`, {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({email: 'alice@example.com'})});
  assert.equal(res.status, 200);
  const creds = await res.json();
  assert.equal(creds.type, 'authorized_user');
  // googleapis depends on google-auth-library and re-exports most of it, not this class.
  const {UserRefreshClient} = require('google-auth-library');
  const client = new UserRefreshClient(creds.client_id, creds.client_secret, creds.refresh_token);
  const orig = client.transporter.request.bind(client.transporter);
  client.transporter.request = (opts) => {
    if (String(opts.url).startsWith('https://oauth2.googleapis.com/token')) {
      opts.url = `${sb.url}/token`;
    }
    return orig(opts);
  };
  const token = (await client.getAccessToken()).token;
  assert.match(token, /^ya29\./);
  const made = await fetch(`${sb.url}/v1/projects/${P}/serviceAccounts`, {
    method: 'POST',
    headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'},
    body: JSON.stringify({accountId: 'made-by-alice'})});
  assert.equal(made.status, 200);
  const logging = api('logging', 'v2');
  const who = await logging.entries.list({requestBody: {
    resourceNames: [`projects/${P}`],
    filter: 'protoPayload.authenticationInfo.principalEmail="alice@example.com"'}});
  assert.equal(who.data.entries.length, 1);
  assert.equal(who.data.entries[0].protoPayload.methodName,
               'google.iam.admin.v1.CreateServiceAccount');
});
