#!/usr/bin/env node
// Conformance check: drives gdmount-emulator with Google's official Node
// client (@googleapis/drive + google-auth-library) and asserts the documented
// Drive v3 behaviour (docs: shared reference drive-v3-protocol.md, sections
// 2, 4, 5, 6, 8 and 14.1).
//
//   DRIVE_ROOT=http://127.0.0.1:PORT/ DRIVE_TOKEN=TOKEN node drive_conformance.js
//
// Usually started through ../run_with_emulator.sh, which sets both variables.
// Exit codes: 0 all checks passed, 1 a check failed, 2 bad invocation,
// 77 skipped (node_modules not installed: run `npm ci` in this folder).
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const {Readable} = require('node:stream');

const SKIP = 77;

function loadClient() {
  try {
    return {
      drive: require('@googleapis/drive').drive,
      OAuth2Client: require('google-auth-library').OAuth2Client,
    };
  } catch (e) {
    // Skip only when a top-level dependency is absent (npm ci not run); a
    // missing transitive module is a broken install and fails the test.
    const top = /Cannot find module '(@googleapis\/drive|google-auth-library)'/;
    if (e && e.code === 'MODULE_NOT_FOUND' && top.test(e.message)) {
      console.log(`SKIP: the official Node client is not installed (${e.message.split('\n')[0]}).\n` +
                  `      Run \`npm ci\` in ${__dirname} (scripts/bootstrap does this).`);
      process.exit(SKIP);
    }
    throw e;
  }
}

const {drive, OAuth2Client} = loadClient();

const ROOT = process.env.DRIVE_ROOT;
const TOKEN = process.env.DRIVE_TOKEN;
if (!ROOT || !ROOT.endsWith('/') || !TOKEN) {
  console.error('usage: DRIVE_ROOT=http://127.0.0.1:PORT/ (trailing slash) DRIVE_TOKEN=TOKEN ' +
                'node drive_conformance.js');
  process.exit(2);
}
const url = new URL(ROOT);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  console.error(`refusing to run against a non-loopback DRIVE_ROOT: ${ROOT}`);
  process.exit(2);
}

const auth = new OAuth2Client();
// A static token from --static-token: valid for the emulator's lifetime, so
// the client never tries to refresh it.
auth.setCredentials({access_token: TOKEN, expiry_date: Date.now() + 3600e3});
const d = drive({version: 'v3', auth, rootUrl: ROOT});

// Per-call options. §14.1: the upload URL is built from the per-call rootUrl
// only, so every call passes it. `retry:false` where a retried request would
// hide the behaviour under test.
const opt = (extra = {}) => ({rootUrl: ROOT, ...extra});
const once = (extra = {}) => opt({retry: false, ...extra});

const md5 = (buf) => crypto.createHash('md5').update(buf).digest('hex');
const FOLDER = 'application/vnd.google-apps.folder';

// gaxios 7 returns fetch Headers; older ones a plain object.
function header(res, name) {
  const h = res.headers;
  if (h && typeof h.get === 'function') return h.get(name);
  return h ? h[name.toLowerCase()] : undefined;
}

function apiError(e) {
  const status = e && e.response ? e.response.status : undefined;
  let data = e && e.response ? e.response.data : undefined;
  if (typeof data === 'string') {
    try { data = JSON.parse(data); } catch (_) { /* keep the string */ }
  }
  return {status, data};
}

async function expectApiError(promise, status, reason) {
  let res;
  try {
    res = await promise;
  } catch (e) {
    const got = apiError(e);
    assert.equal(got.status, status,
                 `expected HTTP ${status}, got ${got.status}: ${JSON.stringify(got.data)}`);
    assert.ok(got.data && got.data.error && Array.isArray(got.data.error.errors),
              `error body without error.errors[]: ${JSON.stringify(got.data)}`);
    assert.equal(got.data.error.code, status, 'error.code must equal the HTTP status');
    assert.equal(got.data.error.errors[0].reason, reason,
                 `errors[0].reason: ${JSON.stringify(got.data.error.errors[0])}`);
    return got.data;
  }
  assert.fail(`expected HTTP ${status} ${reason}, got ${res.status}: ${JSON.stringify(res.data)}`);
}

function assertKeys(obj, keys, what) {
  assert.deepEqual(Object.keys(obj).sort(), [...keys].sort(), `${what}: fields= not honoured`);
}

const results = [];
async function step(name, fn) {
  try {
    await fn();
    results.push(name);
    console.log(`ok ${results.length} - ${name}`);
  } catch (e) {
    const got = apiError(e);
    console.error(`FAIL - ${name}`);
    if (e instanceof assert.AssertionError) {
      console.error(`  ${e.message}`);
    } else if (got.status !== undefined) {
      console.error(`  unexpected HTTP ${got.status} from ${e.config && e.config.method} ` +
                    `${e.config && e.config.url}: ${JSON.stringify(got.data)}`);
    } else {
      console.error(`  ${e && e.stack ? e.stack : e}`);
    }
    process.exit(1);
  }
}

async function mkdir(name, parent) {
  const res = await d.files.create(
      {requestBody: {name, mimeType: FOLDER, ...(parent ? {parents: [parent]} : {})},
       fields: 'id,name,mimeType,parents'},
      opt());
  assert.equal(res.status, 200);
  assert.equal(res.data.mimeType, FOLDER);
  return res.data.id;
}

async function download(fileId, extra = {}) {
  return d.files.get({fileId, alt: 'media'}, opt({responseType: 'arraybuffer', ...extra}));
}

async function main() {
  const s = {};  // ids shared between steps

  await step('changes.getStartPageToken before any mutation', async () => {
    const r = await d.changes.getStartPageToken({}, opt());
    assert.equal(r.status, 200);
    assert.equal(r.data.kind, 'drive#startPageToken');
    assert.equal(typeof r.data.startPageToken, 'string');
    assert.ok(r.data.startPageToken.length > 0, 'empty startPageToken');
    s.startToken = r.data.startPageToken;
  });

  await step('create two folders (metadata-only create)', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    s.dirA = await mkdir(`conf-node-${tag}-A`);
    s.dirB = await mkdir(`conf-node-${tag}-B`);
    assert.notEqual(s.dirA, s.dirB);
  });

  await step('multipart upload (requestBody + media), bytes verified via alt=media', async () => {
    s.mpBytes = crypto.randomBytes(70 * 1024 + 13);
    const r = await d.files.create(
        {requestBody: {name: 'multipart.bin', parents: [s.dirA]},
         media: {mimeType: 'application/octet-stream', body: Readable.from([s.mpBytes])},
         fields: 'id,name,mimeType,size,md5Checksum,parents'},
        opt());
    assert.equal(r.status, 200);
    assert.equal(r.data.name, 'multipart.bin');
    assert.equal(r.data.mimeType, 'application/octet-stream');
    assert.equal(r.data.size, String(s.mpBytes.length), 'size must be an int64 string');
    assert.equal(r.data.md5Checksum, md5(s.mpBytes));
    assert.deepEqual(r.data.parents, [s.dirA]);
    s.mpId = r.data.id;

    const g = await download(s.mpId);
    assert.equal(g.status, 200);
    assert.ok(Buffer.from(g.data).equals(s.mpBytes), 'downloaded bytes differ from the upload');
    assert.match(String(header(g, 'content-type')), /^application\/octet-stream/);
  });

  await step('uploadType=media create (media only)', async () => {
    const body = Buffer.from('raw media upload\n', 'utf8');
    const r = await d.files.create(
        {media: {mimeType: 'text/plain', body}, fields: 'id,mimeType,size,md5Checksum'},
        opt());
    assert.equal(r.status, 200);
    assert.equal(r.data.mimeType, 'text/plain');
    assert.equal(r.data.size, String(body.length));
    assert.equal(r.data.md5Checksum, md5(body));
    s.mediaId = r.data.id;
    const g = await download(s.mediaId);
    assert.ok(Buffer.from(g.data).equals(body), 'downloaded bytes differ from the upload');
  });

  await step('files.get: default fields, explicit fields, fields=*', async () => {
    const def = await d.files.get({fileId: s.mpId}, opt());
    assert.equal(def.status, 200);
    assertKeys(def.data, ['kind', 'id', 'name', 'mimeType'], 'default files.get');
    assert.equal(def.data.kind, 'drive#file');

    const sel = await d.files.get({fileId: s.mpId, fields: 'id,name,size,md5Checksum,parents'}, opt());
    assertKeys(sel.data, ['id', 'name', 'size', 'md5Checksum', 'parents'], 'files.get fields=');
    assert.equal(sel.data.size, String(s.mpBytes.length));

    const sub = await d.files.get({fileId: s.mpId, fields: 'capabilities(canEdit,canDownload)'}, opt());
    assertKeys(sub.data, ['capabilities'], 'files.get sub-selection');
    assertKeys(sub.data.capabilities, ['canEdit', 'canDownload'], 'capabilities sub-selection');

    const all = await d.files.get({fileId: s.mpId, fields: '*'}, opt());
    for (const k of ['kind', 'id', 'name', 'mimeType', 'parents', 'size', 'md5Checksum',
                     'version', 'modifiedTime', 'createdTime', 'capabilities']) {
      assert.ok(k in all.data, `fields=* lacks ${k}`);
    }
    assert.equal(all.data.md5Checksum, md5(s.mpBytes));

    const folder = await d.files.get({fileId: s.dirA, fields: 'id,mimeType,md5Checksum,size'}, opt());
    assert.equal(folder.data.md5Checksum, undefined, 'folders have no md5Checksum (§2, §7)');
    assert.equal(folder.data.size, undefined, 'folders have no size (§7)');
  });

  await step('files.list paging (pageSize=2) sees every file exactly once', async () => {
    const dir = await mkdir(`conf-node-paging-${crypto.randomBytes(4).toString('hex')}`);
    const want = new Map();
    for (let i = 0; i < 7; i++) {
      const r = await d.files.create(
          {requestBody: {name: `page-${i}.txt`, parents: [dir]},
           media: {mimeType: 'text/plain', body: Readable.from([`file ${i}\n`])},
           fields: 'id,name'},
          opt());
      want.set(r.data.id, r.data.name);
    }
    const seen = new Map();
    let pageToken;
    let pages = 0;
    for (;;) {
      const r = await d.files.list(
          {q: `'${dir}' in parents and trashed = false`, pageSize: 2, pageToken,
           fields: 'nextPageToken,files(id,name)'},
          opt());
      assert.equal(r.status, 200);
      pages++;
      assert.ok(pages <= 20, 'paging does not terminate');
      assert.ok(Array.isArray(r.data.files), `files[] missing: ${JSON.stringify(r.data)}`);
      assert.ok(r.data.files.length <= 2, `page of ${r.data.files.length} > pageSize 2`);
      for (const f of r.data.files) {
        assertKeys(f, ['id', 'name'], 'files(id,name)');
        assert.ok(!seen.has(f.id), `file ${f.id} (${f.name}) returned twice`);
        seen.set(f.id, f.name);
      }
      const extra = Object.keys(r.data).filter((k) => k !== 'files' && k !== 'nextPageToken');
      assert.deepEqual(extra, [], 'fields=nextPageToken,files(id,name) not honoured');
      if (r.data.nextPageToken === undefined) break;
      assert.equal(typeof r.data.nextPageToken, 'string');
      pageToken = r.data.nextPageToken;
    }
    assert.ok(pages >= 4, `7 files at pageSize=2 need at least 4 pages, got ${pages}`);
    assert.deepEqual([...seen.entries()].sort(), [...want.entries()].sort(),
                     'listing does not match the created files');
  });

  await step('move with addParents/removeParents', async () => {
    const r = await d.files.update(
        {fileId: s.mpId, addParents: s.dirB, removeParents: s.dirA,
         requestBody: {name: 'moved.bin'}, fields: 'id,name,parents'},
        once());
    assert.equal(r.status, 200);
    assert.deepEqual(r.data.parents, [s.dirB]);
    assert.equal(r.data.name, 'moved.bin');
    const g = await d.files.get({fileId: s.mpId, fields: 'parents'}, opt());
    assert.deepEqual(g.data.parents, [s.dirB]);
    const inA = await d.files.list({q: `'${s.dirA}' in parents`, pageSize: 10,
                                    fields: 'nextPageToken,files(id)'}, opt());
    assert.ok(!inA.data.files.some((f) => f.id === s.mpId), 'still listed in the old folder');
    const inB = await d.files.list({q: `'${s.dirB}' in parents`, pageSize: 10,
                                    fields: 'nextPageToken,files(id)'}, opt());
    assert.ok(inB.data.files.some((f) => f.id === s.mpId), 'not listed in the new folder');
  });

  await step('update media (PATCH /upload ... uploadType=media) changes md5/size/version', async () => {
    const before = await d.files.get({fileId: s.mediaId,
                                      fields: 'md5Checksum,version,headRevisionId'}, opt());
    const body = crypto.randomBytes(5000);
    const r = await d.files.update(
        {fileId: s.mediaId, media: {mimeType: 'application/octet-stream', body},
         fields: 'id,size,md5Checksum,version,headRevisionId'},
        once());
    assert.equal(r.status, 200);
    assert.equal(r.data.md5Checksum, md5(body));
    assert.notEqual(r.data.md5Checksum, before.data.md5Checksum);
    assert.equal(r.data.size, String(body.length));
    assert.ok(BigInt(r.data.version) > BigInt(before.data.version), 'version must increase (§6.1)');
    assert.notEqual(r.data.headRevisionId, before.data.headRevisionId,
                    'a content upload creates a new head revision (§6.1)');
    const g = await download(s.mediaId);
    assert.ok(Buffer.from(g.data).equals(body), 'downloaded bytes differ from the update');
  });

  await step('Range download: 206 + Content-Range', async () => {
    const total = s.mpBytes.length;
    const r = await download(s.mpId, {headers: {Range: 'bytes=100-1099'}});
    assert.equal(r.status, 206);
    assert.equal(header(r, 'content-range'), `bytes 100-1099/${total}`);
    assert.ok(Buffer.from(r.data).equals(s.mpBytes.subarray(100, 1100)), 'range bytes differ');

    const tail = await download(s.mpId, {headers: {Range: 'bytes=-10'}});
    assert.equal(tail.status, 206);
    assert.equal(header(tail, 'content-range'), `bytes ${total - 10}-${total - 1}/${total}`);
    assert.ok(Buffer.from(tail.data).equals(s.mpBytes.subarray(total - 10)), 'suffix bytes differ');

    const past = await download(s.mpId, {headers: {Range: `bytes=${total - 5}-${total + 1000}`}});
    assert.equal(past.status, 206);
    assert.equal(header(past, 'content-range'), `bytes ${total - 5}-${total - 1}/${total}`,
                 'an end past EOF is clamped (§4.2)');
    assert.ok(Buffer.from(past.data).equals(s.mpBytes.subarray(total - 5)));
  });

  await step('delete → 204, then get → 404 notFound', async () => {
    const r = await d.files.delete({fileId: s.mediaId}, once());
    assert.equal(r.status, 204);
    assert.ok(r.data === '' || r.data === undefined || r.data === null ||
              (r.data instanceof ArrayBuffer && r.data.byteLength === 0),
              `204 with a body: ${JSON.stringify(r.data)}`);
    await expectApiError(d.files.get({fileId: s.mediaId, fields: 'id'}, once()), 404, 'notFound');
  });

  await step('changes.list reports the created, updated and deleted files', async () => {
    const last = new Map();  // fileId → latest change
    let pageToken = s.startToken;
    let pages = 0;
    let newStart;
    for (;;) {
      const r = await d.changes.list(
          {pageToken, pageSize: 5,
           fields: 'nextPageToken,newStartPageToken,' +
                   'changes(changeType,fileId,removed,time,file(id,name,parents,md5Checksum))'},
          opt());
      assert.equal(r.status, 200);
      assert.ok(++pages <= 100, 'changes paging does not terminate');
      const c = r.data.changes || [];
      assert.ok(c.length <= 5, `page of ${c.length} > pageSize 5`);
      for (const ch of c) {
        assert.equal(ch.changeType, 'file');
        if (ch.removed) {
          assert.equal(ch.file, undefined, 'a removed change carries no file (§8)');
        } else {
          assert.equal(ch.file.id, ch.fileId);
        }
        last.set(ch.fileId, ch);
      }
      const hasNext = r.data.nextPageToken !== undefined;
      const hasNew = r.data.newStartPageToken !== undefined;
      assert.ok(hasNext !== hasNew,
                `exactly one of nextPageToken/newStartPageToken expected: ${JSON.stringify(r.data)}`);
      if (hasNew) {
        newStart = r.data.newStartPageToken;
        break;
      }
      pageToken = r.data.nextPageToken;
    }
    assert.ok(pages >= 2, 'expected several pages at pageSize=5');
    for (const id of [s.dirA, s.dirB, s.mpId]) {
      assert.ok(last.has(id), `no change for ${id}`);
      assert.notEqual(last.get(id).removed, true, `${id} reported removed`);
    }
    const moved = last.get(s.mpId);
    assert.deepEqual(moved.file.parents, [s.dirB], 'latest change must carry the moved state');
    assert.equal(moved.file.name, 'moved.bin');
    assert.ok(last.has(s.mediaId), 'no change for the deleted file');
    assert.equal(last.get(s.mediaId).removed, true, 'deleted file must be removed=true');

    // The new start token is current: nothing has changed since.
    const again = await d.changes.list({pageToken: newStart, pageSize: 100,
                                        fields: 'nextPageToken,newStartPageToken,changes(fileId)'},
                                       opt());
    assert.deepEqual(again.data.changes, [], 'changes after newStartPageToken');
    assert.equal(typeof again.data.newStartPageToken, 'string');
  });

  console.log(`node conformance: all ${results.length} checks passed`);
}

main().catch((e) => {
  console.error(`FAIL - unexpected error: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
