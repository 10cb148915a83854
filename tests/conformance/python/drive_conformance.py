#!/usr/bin/python3
"""Conformance check: drives gdmount-emulator with Google's official Python
client (Debian's python3-googleapi, google-api-python-client 1.7.12) and
asserts the documented Drive v3 behaviour (shared reference
drive-v3-protocol.md, sections 4.2, 4.3, 5.3, 10 and 14.2).

    DRIVE_ROOT=http://127.0.0.1:PORT/ DRIVE_TOKEN=TOKEN /usr/bin/python3 drive_conformance.py

Usually started through ../run_with_emulator.sh, which sets both variables.
Must run with Debian's /usr/bin/python3 (a pyenv python3 on PATH does not see
Debian's dist-packages). Exit codes: 0 all checks passed, 1 a check failed,
2 bad invocation, 77 skipped (python3-googleapi not importable).
"""

import hashlib
import io
import json
import os
import socket
import sys
import traceback
import urllib.parse
import urllib.request

SKIP = 77

try:
    import httplib2
    import google.oauth2.credentials
    import google_auth_httplib2
    from googleapiclient.discovery import build_from_document
    from googleapiclient.errors import HttpError
    from googleapiclient.http import MediaIoBaseDownload, MediaIoBaseUpload
    import googleapiclient
except ImportError as e:
    print("SKIP: %s cannot import the official Python client (%s).\n"
          "      Install Debian's packages: apt-get install python3-googleapi "
          "python3-google-auth-httplib2, and run this with /usr/bin/python3."
          % (sys.executable, e))
    sys.exit(SKIP)

ROOT = os.environ.get("DRIVE_ROOT", "")
TOKEN = os.environ.get("DRIVE_TOKEN", "")
if not ROOT.endswith("/") or not TOKEN:
    print("usage: DRIVE_ROOT=http://127.0.0.1:PORT/ (trailing slash) DRIVE_TOKEN=TOKEN "
          "/usr/bin/python3 drive_conformance.py", file=sys.stderr)
    sys.exit(2)
if urllib.parse.urlsplit(ROOT).hostname not in ("127.0.0.1", "localhost", "::1"):
    print("refusing to run against a non-loopback DRIVE_ROOT: %s" % ROOT, file=sys.stderr)
    sys.exit(2)

# googleapiclient.http.build_http() takes its timeout from here (default
# 60 s): keep any hang well inside the test's time budget.
socket.setdefaulttimeout(15)

KIB = 1024
CHUNK = 256 * KIB
NATIVE_DOC = "application/vnd.google-apps.document"

# Loopback only: never through a proxy from the environment (httplib2 reads
# the same variables).
for _var in ("no_proxy", "NO_PROXY"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1,localhost,::1"]))
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CheckFailed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def eq(got, want, what):
    if got != want:
        raise CheckFailed("%s: expected %r, got %r" % (what, want, got))


def md5(data):
    return hashlib.md5(data).hexdigest()


def admin(path, body=None):
    """The emulator's introspection endpoints (/__emulator/...)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(ROOT + "__emulator/" + path, data=data,
                                 method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with _direct.open(req, timeout=10) as r:
        eq(r.status, 200, "admin %s status" % path)
        return json.loads(r.read())


def method_counts():
    return admin("stats").get("methods", {})


def delta(before, after, method):
    return after.get(method, 0) - before.get(method, 0)


def set_faults(*specs):
    cfg = admin("faults", {"faults": list(specs)})
    eq(len(cfg["faults"]), len(specs), "installed fault rules")
    return cfg


def error_reason(err):
    """errors[0].reason of an HttpError's JSON body (§10.1)."""
    body = json.loads(err.content.decode("utf-8"))
    check("error" in body and body["error"].get("errors"),
          "error body without error.errors[]: %r" % body)
    eq(body["error"]["code"], err.resp.status, "error.code")
    return body["error"]["errors"][0]["reason"]


def build_service():
    # §14.2 (b)-style: the discovery document the emulator serves, with its
    # own rootUrl, handed to build_from_document (never plain build()).
    url = ROOT + "discovery/v1/apis/drive/v3/rest"
    with _direct.open(url, timeout=10) as r:
        eq(r.status, 200, "GET %s" % url)
        doc = json.loads(r.read())
    eq(doc.get("rootUrl"), ROOT, "served discovery rootUrl")
    eq(doc.get("servicePath"), "drive/v3/", "servicePath")
    # The client builds its own transport (googleapiclient.http.build_http:
    # 60 s timeout, 308 not treated as a redirect, §5.3).
    creds = google.oauth2.credentials.Credentials(token=TOKEN)
    service = build_from_document(doc, credentials=creds)
    check(isinstance(service._http, google_auth_httplib2.AuthorizedHttp),
          "the service does not use the credentials' authorized transport")
    return service


svc = None
state = {}
passed = []
failed = []


def step(name):
    """Runs the decorated check at once; a failure is reported and the later
    checks still run (one that needs an earlier result fails as well)."""
    def run(fn):
        n = len(passed) + len(failed) + 1
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed.append(name)
            print("not ok %d - %s" % (n, name))
            if isinstance(e, CheckFailed):
                print("  %s" % e)
            elif isinstance(e, HttpError):
                print("  unexpected HTTP %s from %s: %s"
                      % (e.resp.status, e.uri, e.content[:2000]))
            else:
                traceback.print_exc(file=sys.stdout)
            try:
                set_faults()  # never leave a fault armed for the next check
            except Exception:  # noqa: BLE001 - the failure above is what matters
                pass
            sys.stdout.flush()
            return fn
        passed.append(name)
        print("ok %d - %s" % (n, name))
        sys.stdout.flush()
        return fn
    return run


def upload_media(data, mimetype="application/octet-stream"):
    return MediaIoBaseUpload(io.BytesIO(data), mimetype=mimetype, chunksize=CHUNK,
                             resumable=True)


def fetch_media(file_id):
    buf = io.BytesIO()
    dl = MediaIoBaseDownload(buf, svc.files().get_media(fileId=file_id), chunksize=CHUNK)
    done = False
    calls = 0
    while not done:
        _, done = dl.next_chunk()
        calls += 1
        check(calls < 1000, "download does not terminate")
    return buf.getvalue(), calls


def main():
    global svc
    svc = build_service()
    print("# google-api-python-client %s, httplib2 %s, %s"
          % (googleapiclient.__version__, httplib2.__version__, sys.executable))
    set_faults()  # start clean

    folder = svc.files().create(
        body={"name": "conf-python-" + os.urandom(4).hex(),
              "mimeType": "application/vnd.google-apps.folder"},
        fields="id").execute()["id"]

    @step("resumable chunked upload: 308 per 256 KiB chunk, then 200 with md5/size")
    def _():
        data = os.urandom(5 * CHUNK + 12345)  # ~1.3 MiB: 6 chunks
        before = method_counts()
        req = svc.files().create(body={"name": "resumable.bin", "parents": [folder]},
                                 media_body=upload_media(data),
                                 fields="id,name,size,md5Checksum,parents")
        progress = []
        resp = None
        while resp is None:
            status, resp = req.next_chunk()
            if resp is None:
                progress.append(status.resumable_progress)
            check(len(progress) < 100, "upload does not terminate")
        eq(progress, [CHUNK * k for k in range(1, 6)], "progress after each 308")
        eq(resp["size"], str(len(data)), "size (int64 string)")
        eq(resp["md5Checksum"], md5(data), "md5Checksum")
        eq(resp["parents"], [folder], "parents")
        after = method_counts()
        eq(delta(before, after, "files.create"), 1, "initiation requests")
        eq(delta(before, after, "upload.chunk"), 6, "chunk PUTs")
        state["big"] = (resp["id"], data)

    # num_retries stays 0: with it > 0, 1.7.12 re-sends a failed chunk from a
    # _StreamSlice that the first attempt already consumed (Content-Length
    # without a body) and hangs until its socket timeout. The documented way
    # (§5.3 step 4) is what the next next_chunk() call does: status query, then
    # resume from the persisted offset.
    def interrupted_upload(fault):
        data = os.urandom(5 * CHUNK + 4321)  # 6 chunks
        before = method_counts()
        set_faults(fault)
        req = svc.files().create(body={"name": "interrupted.bin", "parents": [folder]},
                                 media_body=upload_media(data),
                                 fields="id,size,md5Checksum")
        raised = []
        progress = []  # offset after each next_chunk() that returned a 308
        resp = None
        calls = 0
        while resp is None:
            calls += 1
            check(calls < 50, "upload does not terminate")
            try:
                status, resp = req.next_chunk()
                if resp is None:
                    progress.append(status.resumable_progress)
            except HttpError as e:
                raised.append(e.resp.status)
            except (OSError, httplib2.HttpLib2Error) as e:  # connection reset
                raised.append(e)
        set_faults()  # uninstall
        after = method_counts()
        eq(resp["md5Checksum"], md5(data), "md5Checksum after resume")
        eq(resp["size"], str(len(data)), "size after resume")
        got = bytes(fetch_media(resp["id"])[0])
        check(got == data, "downloaded bytes differ from the resumed upload")
        return raised, delta(before, after, "upload.chunk"), progress

    @step("503 on the 2nd chunk: next_chunk raises, the same request resumes "
          "(status query, then re-send)")
    def _():
        fired_before = admin("stats")["faults_injected"].get("503", 0)
        raised, chunks, progress = interrupted_upload("503:nth=2:method=upload.chunk")
        eq(admin("stats")["faults_injected"].get("503", 0) - fired_before, 1,
           "503 faults fired")
        eq(raised, [503], "errors seen by the caller")
        # The refused chunk was not kept: the status query answers Range
        # bytes=0-262143 and the client re-sends chunk 2.
        eq(progress, [CHUNK * k for k in range(1, 6)], "progress after each 308")
        # 6 chunk PUTs + the refused one + the status query after it.
        eq(chunks, 8, "upload.chunk requests")

    @step("connection reset on the 2nd chunk: resumed, extra chunk request counted")
    def _():
        fired_before = admin("stats")["faults_injected"].get("reset", 0)
        raised, chunks, progress = interrupted_upload("reset:nth=2:method=upload.chunk")
        eq(admin("stats")["faults_injected"].get("reset", 0) - fired_before, 1,
           "reset faults fired")
        # The emulator stored chunk 2, then reset the connection instead of
        # answering. next_chunk raises the reset; the next call queries the
        # status (308, Range bytes=0-524287: the chunk was kept) and goes on
        # with chunk 3 (§5.3 step 4): one extra upload.chunk request.
        if len(raised) == 1 and isinstance(raised[0], TimeoutError):
            raise CheckFailed(
                "the client timed out instead of seeing a connection reset: the "
                "emulator closed the connection without an RST (a FIN, so httplib2 "
                "re-sent the already consumed chunk body and waited for an answer); "
                "upload.chunk requests: %d" % chunks)
        eq([type(e).__name__ for e in raised if isinstance(e, ConnectionError)],
           [type(e).__name__ for e in raised], "connection errors seen by the caller")
        eq(len(raised), 1, "errors seen by the caller (%r)" % raised)
        eq(progress, [CHUNK, 3 * CHUNK, 4 * CHUNK, 5 * CHUNK],
           "progress after each 308 (chunk 2 kept despite the lost answer)")
        eq(chunks, 7, "upload.chunk requests (6 + the status query after the reset)")

    @step("MediaIoBaseDownload chunksize=256 KiB of a multi-chunk file: bytes exact")
    def _():
        file_id, data = state["big"]
        before = method_counts()
        got, calls = fetch_media(file_id)
        after = method_counts()
        check(got == data, "downloaded %d bytes, differ from the %d uploaded"
              % (len(got), len(data)))
        # The client asks for chunksize+1 bytes per request (§14.2).
        eq(calls, -(-len(data) // (CHUNK + 1)), "download requests")
        eq(delta(before, after, "files.get.media"), calls, "files.get.media requests")
        req = svc.files().get_media(fileId=file_id)
        resp, body = req.http.request(req.uri, "GET",
                                      headers={"range": "bytes=%d-" % (len(data) - 10)})
        eq(resp.status, 206, "open-ended range status")
        eq(resp["content-range"], "bytes %d-%d/%d" % (len(data) - 10, len(data) - 1, len(data)),
           "Content-Range")
        eq(body, data[-10:], "open-ended range bytes")

    @step("0-byte file: the client's 416 trap; raw Range request → 416 bytes */0")
    def _():
        empty = svc.files().create(body={"name": "empty.bin", "parents": [folder]},
                                   media_body=MediaIoBaseUpload(io.BytesIO(b""),
                                                                mimetype="text/plain"),
                                   fields="id,size,md5Checksum").execute()
        eq(empty["size"], "0", "size of the empty file")
        eq(empty["md5Checksum"], md5(b""), "md5 of the empty file")
        # MediaIoBaseDownload always sends a Range, which an empty file cannot
        # satisfy (§4.2): 1.7.12 surfaces that as an HttpError.
        try:
            fetch_media(empty["id"])
            raise CheckFailed("MediaIoBaseDownload of a 0-byte file did not get a 416")
        except HttpError as e:
            eq(e.resp.status, 416, "status seen by MediaIoBaseDownload")
        req = svc.files().get_media(fileId=empty["id"])
        resp, body = req.http.request(req.uri, "GET", headers={"range": "bytes=0-%d" % CHUNK})
        eq(resp.status, 416, "raw ranged GET of a 0-byte file")
        eq(resp.get("content-range"), "bytes */0", "416 Content-Range")
        err = json.loads(body.decode("utf-8"))
        eq(err["error"]["errors"][0]["reason"], "requestedRangeNotSatisfiable", "416 reason")
        resp, body = req.http.request(req.uri, "GET")
        eq(resp.status, 200, "GET without Range of a 0-byte file")
        eq(body, b"", "body of a 0-byte file")

    @step("export: Google Doc imported from text/plain exports as text/plain")
    def _():
        text = "Conformance export check.\nSecond line: ünïcödé.\n"
        doc = svc.files().create(
            body={"name": "doc", "mimeType": NATIVE_DOC, "parents": [folder]},
            media_body=MediaIoBaseUpload(io.BytesIO(text.encode()), mimetype="text/plain"),
            fields="id,mimeType,md5Checksum").execute()
        eq(doc["mimeType"], NATIVE_DOC, "imported mimeType")
        check("md5Checksum" not in doc, "native files have no md5Checksum (§7)")
        out = svc.files().export(fileId=doc["id"], mimeType="text/plain").execute()
        check(isinstance(out, bytes), "export returned %r, not bytes" % type(out))
        # Drive's text export may start with a BOM and use CRLF: compare the text.
        got = out.decode("utf-8-sig").replace("\r\n", "\n")
        eq(got.rstrip("\n"), text.rstrip("\n"), "exported text")
        try:
            svc.files().get_media(fileId=doc["id"]).execute()
            raise CheckFailed("alt=media on a Google Doc did not fail")
        except HttpError as e:
            eq(e.resp.status, 403, "alt=media on a native file")
            eq(error_reason(e), "fileNotDownloadable", "reason (§4.2)")
        state["doc"] = doc["id"]

    @step("export of a non-native file → 403 fileNotExportable")
    def _():
        file_id, _data = state["big"]
        try:
            svc.files().export(fileId=file_id, mimeType="text/plain").execute()
            raise CheckFailed("export of a binary file did not fail")
        except HttpError as e:
            eq(e.resp.status, 403, "export of a non-native file")
            eq(error_reason(e), "fileNotExportable", "reason (§4.3)")

    @step("resumable update: PATCH initiation without metadata, new content")
    def _():
        file_id, old = state["big"]
        meta = svc.files().get(fileId=file_id, fields="version,md5Checksum,name").execute()
        data = os.urandom(2 * CHUNK + 999)  # 3 chunks
        before = method_counts()
        req = svc.files().update(fileId=file_id, media_body=upload_media(data),
                                 fields="id,name,size,md5Checksum,version")
        eq(req.method, "PATCH", "resumable update initiation method (§5.3)")
        check(req.body is None, "update without metadata must send no body")
        resp = None
        n = 0
        while resp is None:
            _, resp = req.next_chunk()
            n += 1
            check(n < 100, "upload does not terminate")
        after = method_counts()
        eq(delta(before, after, "files.update"), 1, "PATCH initiations")
        eq(delta(before, after, "upload.chunk"), 3, "chunk PUTs")
        eq(resp["id"], file_id, "updated file id")
        eq(resp["name"], meta["name"], "name kept")
        eq(resp["md5Checksum"], md5(data), "md5Checksum after update")
        eq(resp["size"], str(len(data)), "size after update")
        check(int(resp["version"]) > int(meta["version"]), "version must increase (§6.1)")
        got, _calls = fetch_media(file_id)
        check(got == data, "downloaded bytes differ from the update")
        check(got != old, "content did not change")

    if failed:
        print("python conformance: %d of %d checks FAILED: %s"
              % (len(failed), len(passed) + len(failed), "; ".join(failed)))
        sys.exit(1)
    print("python conformance: all %d checks passed" % len(passed))


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        print("FAIL - setup\n  %s" % e, file=sys.stderr)
        sys.exit(1)
    except HttpError as e:
        print("FAIL - setup\n  unexpected HTTP %s from %s: %s"
              % (e.resp.status, e.uri, e.content[:2000]), file=sys.stderr)
        sys.exit(1)
