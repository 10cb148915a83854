"""Reads the demo dataset through the mount by path, the way a training
script would, and checks every byte against the seed's md5s."""
import csv
import hashlib
import os
import sys
import time

mnt, sums = sys.argv[1], sys.argv[2]
expected = {}
for line in open(sums):
    digest, path = line.split(maxsplit=1)
    expected[path.strip()] = digest

root = os.path.join(mnt, "datasets", "pets")
print("drive/ contains:", ", ".join(sorted(os.listdir(mnt))))
start = time.monotonic()
rows = list(csv.reader(open(os.path.join(root, "index.csv"))))
ok = 0
for rel, label in rows:
    data = open(os.path.join(root, rel), "rb").read()
    assert hashlib.md5(data).hexdigest() == expected["datasets/pets/" + rel], rel
    ok += 1
small = time.monotonic() - start
print(f"read {ok} images listed in index.csv ({len(set(l for _, l in rows))} labels) "
      f"in {small:.2f} s, all md5s match")

start = time.monotonic()
h = hashlib.md5()
size = 0
with open(os.path.join(root, "features.bin"), "rb") as f:
    while chunk := f.read(1 << 20):
        h.update(chunk)
        size += len(chunk)
took = time.monotonic() - start
assert h.hexdigest() == expected["datasets/pets/features.bin"]
print(f"read features.bin: {size >> 20} MiB in {took:.2f} s "
      f"({size / took / (1 << 20):.0f} MiB/s), md5 matches")
print("docs/:", os.listdir(os.path.join(mnt, "docs")))

# Write back, as a training run saves its results: close() returns at disk
# speed; fsync() returns once the file is on Drive.
os.makedirs(os.path.join(mnt, "results"), exist_ok=True)
summary = f"images={ok} features_mib={size >> 20}\n".encode()
path = os.path.join(mnt, "results", "summary.txt")
with open(path, "wb") as f:
    f.write(summary)
    f.flush()
    start = time.monotonic()
    os.fsync(f.fileno())
    synced = time.monotonic() - start
assert open(path, "rb").read() == summary
print(f"wrote results/summary.txt ({len(summary)} bytes); fsync returned "
      f"after {synced:.2f} s with it on Drive")
