"""Workloads for bench/peers, run as children of each contender's namespace.

Each is a python3 -c program that does its own untimed setup (stat, mkdir)
and prints `COUNT SECONDS [EXTRA...]`, so nsenter's and Python's start-up
are not measured. Arguments come on the command line.
"""

# SEQ paths...: cold or warm sequential read, one thread per file.
SEQ = r"""
import os, sys, time, threading
paths = sys.argv[1:]
for p in paths: os.stat(p)
total = [0]
def r(p):
    n = 0
    with open(p, 'rb', buffering=0) as f:
        while True:
            b = f.read(1 << 20)
            if not b: break
            n += len(b)
    total[0] += n
t = time.monotonic()
ts = [threading.Thread(target=r, args=(p,)) for p in paths]
for x in ts: x.start()
for x in ts: x.join()
print(total[0], time.monotonic() - t)
"""

# TTFB path: open and first 4 KiB, metadata looked up first (untimed).
TTFB = r"""
import os, sys, time
os.stat(sys.argv[1])
t = time.monotonic()
with open(sys.argv[1], 'rb', buffering=0) as f: n = len(f.read(4096))
print(n, time.monotonic() - t)
"""

# RANDOM path bs seconds seed: pread of bs at bs-aligned random offsets.
RANDOM = r"""
import os, random, sys, time
path, bs, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rnd = random.Random(int(sys.argv[4]))
size = os.stat(path).st_size
fd = os.open(path, os.O_RDONLY)
n = 0
t = time.monotonic()
while time.monotonic() - t < secs:
    off = rnd.randrange(size // bs) * bs
    if len(os.pread(fd, bs, off)) != bs: raise SystemExit('short read')
    n += 1
print(n, time.monotonic() - t)
"""

# SMALL dir workers cap: list the folder (timed) and read every file whole
# by WORKERS threads, stopping at CAP seconds; prints files read.
SMALL = r"""
import os, sys, time, threading
d, workers, cap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t = time.monotonic()
names = sorted(os.listdir(d))
lock = threading.Lock()
state = {'next': 0, 'done': 0}
def w():
    while time.monotonic() - t < cap:
        with lock:
            i = state['next']; state['next'] += 1
        if i >= len(names): return
        with open(os.path.join(d, names[i]), 'rb') as f:
            while f.read(1 << 16): pass
        with lock: state['done'] += 1
ts = [threading.Thread(target=w) for _ in range(workers)]
for x in ts: x.start()
for x in ts: x.join()
print(state['done'], time.monotonic() - t, len(names))
"""

# LIST tool dir: `ls -l` or `find`; prints the entries it saw.
LIST = r"""
import subprocess, sys, time
tool, d = sys.argv[1], sys.argv[2]
cmd = ['ls', '-l', d] if tool == 'ls' else ['find', d]
t = time.monotonic()
out = subprocess.run(cmd, check=True, capture_output=True).stdout
print(out.count(b'\n') - 1, time.monotonic() - t)
"""

# WRITE path MiB: sequential 1 MiB writes, timed until close() returns.
WRITE = r"""
import hashlib, os, sys, time
n = int(sys.argv[2])
block = os.urandom(1 << 20)
t = time.monotonic()
with open(sys.argv[1], 'wb') as f:
    for _ in range(n): f.write(block)
secs = time.monotonic() - t
h = hashlib.md5()
for _ in range(n): h.update(block)
print(n << 20, secs, h.hexdigest())
"""

# WRITESMALL dir count KiB: mkdir (untimed), then COUNT files of KiB each,
# timed until the last close(); prints a digest of the sorted name md5s.
WRITESMALL = r"""
import hashlib, os, sys, time
d, count, kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.mkdir(d)
blobs = [os.urandom(kib << 10) for _ in range(count)]
t = time.monotonic()
for i, b in enumerate(blobs):
    with open(os.path.join(d, '%06d.bin' % i), 'wb') as f: f.write(b)
secs = time.monotonic() - t
lines = sorted('%06d.bin %s' % (i, hashlib.md5(b).hexdigest())
               for i, b in enumerate(blobs))
print(count, secs, hashlib.md5('\n'.join(lines).encode()).hexdigest())
"""
