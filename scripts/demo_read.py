"""Walks the emulated Drive and reads one file by path with Google's own
client (python3-googleapi), checking its bytes against the seed."""
import hashlib
import io
import os
import sys
import time
import urllib.request

import google.oauth2.credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.http import MediaIoBaseDownload

ROOT, TOKEN = os.environ["DRIVE_ROOT"], os.environ["DRIVE_TOKEN"]
doc = urllib.request.urlopen(ROOT + "discovery/v1/apis/drive/v3/rest").read()
svc = build_from_document(doc.decode(), credentials=google.oauth2.credentials.Credentials(TOKEN))
FIELDS = "nextPageToken,files(id,name,mimeType,size,md5Checksum)"


def children(folder_id):
    token = None
    while True:
        r = svc.files().list(q=f"'{folder_id}' in parents and trashed = false",
                             pageSize=1000, fields=FIELDS, pageToken=token).execute()
        yield from r["files"]
        token = r.get("nextPageToken")
        if not token:
            return


def walk(folder_id, prefix=""):
    for f in sorted(children(folder_id), key=lambda f: f["name"]):
        path = prefix + f["name"]
        if f["mimeType"] == "application/vnd.google-apps.folder":
            print(f"  {path}/")
            yield from walk(f["id"], path + "/")
        else:
            print(f"  {path}  {f.get('size', '-'):>6} bytes  {f['mimeType']}")
            yield path, f


print("My Drive:")
files = dict(walk("root"))
want, local = sys.argv[1], sys.argv[2]
start = time.monotonic()
buf = io.BytesIO()
dl = MediaIoBaseDownload(buf, svc.files().get_media(fileId=files[want]["id"]), chunksize=8192)
done = False
while not done:
    _, done = dl.next_chunk()
got = hashlib.md5(buf.getvalue()).hexdigest()
expected = hashlib.md5(open(local, "rb").read()).hexdigest()
print(f"read {want}: {len(buf.getvalue())} bytes in {time.monotonic() - start:.2f}s, "
      f"md5 {got} ({'matches' if got == expected == files[want]['md5Checksum'] else 'MISMATCH'})")
sys.exit(0 if got == expected else 1)
