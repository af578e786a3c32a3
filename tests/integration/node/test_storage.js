// Cloud KMS + Cloud Storage driven through Google's own @google-cloud/storage client
// (apiEndpoint pointed at the sandbox, a static bearer token): CMEK bucket, uploads of
// every kind the client makes (multipart, resumable), downloads with its hash
// validation, ranged reads, listing, and the errors it sees.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const {startSandbox, enableAll, call, TOKEN} = require('./sandbox.js');

const P = 'p1';
const RING = `projects/${P}/locations/us-central1/keyRings/ring1`;
const KEY = `${RING}/cryptoKeys/key1`;

let sb;
let storage;

function client(url) {
  const {Storage} = require('@google-cloud/storage');
  const {OAuth2Client} = require('google-auth-library');
  const auth = new OAuth2Client();
  auth.setCredentials({access_token: TOKEN, expiry_date: Date.now() + 3600 * 1000});
  const storage = new Storage({
    apiEndpoint: url,
    projectId: P,
    authClient: auth,
    useAuthWithCustomEndpoint: true,
    retryOptions: {autoRetry: false},
  });
  // The client's resumable path (7.22) does not pass useAuthWithCustomEndpoint on, so
  // its session requests would go out without a token; an interceptor adds it.
  storage.interceptors.push({request: (o) => {
    o.headers = {...o.headers, Authorization: 'Bearer ' + TOKEN};
    return o;
  }});
  return storage;
}

async function ok(p, body, method = 'POST') {
  const r = await call(sb, method, p, body);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

test.before(async () => {
  sb = await startSandbox();
  await enableAll(sb, P);
  storage = client(sb.url);
  await ok(`/v1/projects/${P}/locations/us-central1/keyRings?keyRingId=ring1`, {});
  await ok(`/v1/${RING}/cryptoKeys?cryptoKeyId=key1`, {purpose: 'ENCRYPT_DECRYPT'});
});
test.after(async () => { if (sb) await sb.stop(); });

test('service agent, CMEK bucket refused until the agent holds the key role', async () => {
  const [agent] = await storage.getServiceAccount();
  assert.match(agent.emailAddress, /^service-\d+@gs-project-accounts\.iam\.gserviceaccount\.com$/);
  await assert.rejects(
    storage.createBucket('node-cmek', {location: 'us-central1',
                                       encryption: {defaultKmsKeyName: KEY}}),
    (e) => e.code === 403 && /cryptoKeyEncrypterDecrypter/.test(e.message));
  const pol = await call(sb, 'GET', `/v1/${KEY}:getIamPolicy`);
  await ok(`/v1/${KEY}:setIamPolicy`, {policy: {etag: pol.json.etag, bindings: [
    {role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
     members: [`serviceAccount:${agent.emailAddress}`]}]}});
  const [bucket] = await storage.createBucket('node-cmek', {
    location: 'us-central1', encryption: {defaultKmsKeyName: KEY}, versioning: {enabled: true},
    lifecycle: {rule: [{action: {type: 'SetStorageClass', storageClass: 'NEARLINE'},
                        condition: {age: 30, matchesStorageClass: ['STANDARD']}}]}});
  const [meta] = await bucket.getMetadata();
  assert.equal(meta.encryption.defaultKmsKeyName, KEY);
  assert.equal(meta.versioning.enabled, true);
  assert.equal(meta.lifecycle.rule.length, 1);
  await assert.rejects(storage.createBucket('node-cmek'), (e) => e.code === 409);
});

test('bucket IAM: read-modify-write of the policy, stale etag refused', async () => {
  const bucket = storage.bucket('node-cmek');
  const [policy] = await bucket.iam.getPolicy();
  assert.ok(policy.etag);
  policy.bindings.push({role: 'roles/storage.objectCreator',
                        members: ['serviceAccount:writer@logging.example']});
  const [updated] = await bucket.iam.setPolicy(policy);
  assert.ok(updated.bindings.some((b) => b.role === 'roles/storage.objectCreator'));
  await assert.rejects(bucket.iam.setPolicy(policy), (e) => e.code === 412);
});

test('save (multipart), download with CRC32C/MD5 validation, ranged read', async () => {
  const file = storage.bucket('node-cmek').file('dir/small.csv');
  const data = Buffer.from('label,x\n1,2\n3,4\n');
  await file.save(data, {resumable: false, contentType: 'text/csv', validation: 'crc32c'});
  const [meta] = await file.getMetadata();
  assert.match(meta.kmsKeyName, new RegExp(`^${KEY}/cryptoKeyVersions/1$`));
  assert.equal(meta.size, String(data.length));
  assert.equal(meta.md5Hash, crypto.createHash('md5').update(data).digest('base64'));
  const [back] = await file.download({validation: 'crc32c'});
  assert.deepEqual(back, data);
  const [md5back] = await file.download({validation: 'md5'});
  assert.deepEqual(md5back, data);
  const [part] = await file.download({start: 8, end: 10});
  assert.equal(part.toString(), data.subarray(8, 11).toString());
});

test('resumable upload of a multi-chunk object', async () => {
  const file = storage.bucket('node-cmek').file('big/blob.bin');
  const data = crypto.randomBytes(3 * 256 * 1024 + 777);
  await file.save(data, {resumable: true, chunkSize: 256 * 1024, validation: 'crc32c'});
  const [back] = await file.download();
  assert.equal(Buffer.compare(back, data), 0);
  const [meta] = await file.getMetadata();
  assert.equal(meta.size, String(data.length));
  assert.match(meta.kmsKeyName, /cryptoKeyVersions\/1$/);
});

test('list with prefix and delimiter, generations, delete', async () => {
  const bucket = storage.bucket('node-cmek');
  const [files, , api] = await bucket.getFiles({prefix: '', delimiter: '/',
                                                autoPaginate: false});
  assert.equal(files.length, 0);
  assert.deepEqual(api.prefixes.sort(), ['big/', 'dir/']);
  const file = bucket.file('dir/small.csv');
  await file.save('second version', {resumable: false});
  const [all] = await bucket.getFiles({versions: true, prefix: 'dir/'});
  assert.equal(all.length, 2);
  await file.delete();
  const [exists] = await file.exists();
  assert.equal(exists, false);
  await assert.rejects(bucket.file('nope').download(), (e) => e.code === 404);
});

test('disabled key version: the client sees the read fail', async () => {
  const file = storage.bucket('node-cmek').file('big/blob.bin');
  await ok(`/v1/${KEY}/cryptoKeyVersions/1?updateMask=state`, {state: 'DISABLED'}, 'PATCH');
  await assert.rejects(file.download(), (e) => e.code === 400 && /DISABLED/.test(e.message));
  await ok(`/v1/${KEY}/cryptoKeyVersions/1?updateMask=state`, {state: 'ENABLED'}, 'PATCH');
  const [back] = await file.download();
  assert.ok(back.length > 0);
});
