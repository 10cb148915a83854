#!/usr/bin/env python3
"""Soak and crash-loop test: a seeded mixed workload through a real gdmount
mount while the emulator injects faults, checked against a model.

Workers, for --duration seconds:
  big readers     random ranges of a large file, compared byte for byte
  small readers   whole small files, compared byte for byte
  a lister        walks the read-only dataset, compares the names
  owners          each owns a folder under w/ and creates, overwrites,
                  appends, truncates, renames (also over a file), moves into
                  subfolders, unlinks, makes and removes folders, reads back
                  and lists, keeping a model of what every close() accepted
Meanwhile the emulator answers a share of requests with 5xx, 403/429 rate
limits, connection resets, truncated bodies and revoked tokens (--faults).

With --crashes N the daemon is killed with SIGKILL N times at random
points. Before each kill the workers finish the operation they are in (so
the model knows what close() accepted) while uploads are still in flight;
the mount is then restarted on the same state and the journal resumes.

Pass: zero wrong bytes, zero failed operations, the daemon alive until
unmounted (outside the kills), its RSS flat after warm-up, and after the
final unmount the emulator holds exactly the model under w/ (every md5, no
file missing or extra, no duplicate names). Prints the figures as one JSON
line; exit 0 on pass, 1 on failure, 77 when FUSE is unavailable.

usage: soak.py --gdmount BIN --emulator BIN [--duration S] [--crashes N]
               [--seed N] [--faults SPEC,...] [--keep]
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

TOKEN = "soak-static-token"
DEFAULT_FAULTS = ("503:rate=0.02,500:rate=0.01,403:rate=0.01,429:rate=0.01,"
                  "reset:rate=0.02,truncate:rate=0.02,401:rate=0.01")
SIZES = [0, 1, 100, 4096, 65536, 300000, 1500000]
# Files an owner keeps at most: past it, a create becomes an unlink, so the
# tree stops growing and a long run's RSS measures leaks, not a bigger tree
# (the daemon's folder views and inodes grow with the files it has seen).
MAX_FILES_PER_OWNER = 400
MiB = 1 << 20


class Failure(Exception):
    pass


def md5(b):
    return hashlib.md5(b).hexdigest()


# --- the emulator, seen from outside ----------------------------------------
class Emulator:
    def __init__(self, binary, work, generate):
        self.log = open(os.path.join(work, "emulator.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--static-token", TOKEN,
             "--token-lifetime", "300", "--generate", generate],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        prefix = "gdmount-emulator listening on "
        if not line.startswith(prefix):
            raise Failure("emulator did not start: " + line)
        self.url = line[len(prefix):].strip()

    def call(self, path, method="GET", body=None, raw=False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, method=method, data=data,
            headers={"Authorization": "Bearer " + TOKEN,
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            out = r.read()
        return out if raw else (json.loads(out) if out else None)

    def children(self, folder_id):
        out, token = [], ""
        while True:
            q = urllib.parse.quote("'%s' in parents and trashed = false" %
                                   folder_id)
            page = self.call("/drive/v3/files?pageSize=1000&q=" + q +
                             "&fields=nextPageToken,files(id,name,mimeType,"
                             "md5Checksum)" +
                             ("&pageToken=" + token if token else ""))
            out += page["files"]
            token = page.get("nextPageToken")
            if not token:
                return out

    def tree(self, folder_id, prefix=""):
        """{relpath: md5 or None for folders}, and duplicate names."""
        files, dups = {}, []
        seen = set()
        for f in self.children(folder_id):
            path = prefix + f["name"]
            if path in seen:
                dups.append(path)
            seen.add(path)
            if f["mimeType"] == "application/vnd.google-apps.folder":
                files[path] = None
                sub, subdups = self.tree(f["id"], path + "/")
                files.update(sub)
                dups += subdups
            else:
                files[path] = f.get("md5Checksum")
        return files, dups

    def find(self, folder_id, name):
        for f in self.children(folder_id):
            if f["name"] == name:
                return f["id"]
        return None

    def set_faults(self, specs, seed):
        self.call("/__emulator/faults", "POST", {"faults": specs})

    def faults(self):
        return self.call("/__emulator/faults")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- gdmount ----------------------------------------------------------------
def mounted(point):
    with open("/proc/self/mountinfo") as f:
        for line in f:
            p = line.split()[4].replace("\\040", " ")
            if p == point:
                return True
    return False


class Daemon:
    def __init__(self, binary, emu, work):
        self.bin, self.emu, self.work = binary, emu, work
        self.mnt = os.path.join(work, "mnt")
        os.makedirs(self.mnt, exist_ok=True)
        self.env = dict(os.environ,
                        HOME=work,
                        XDG_CONFIG_HOME=os.path.join(work, "config"),
                        XDG_STATE_HOME=os.path.join(work, "state"),
                        XDG_CACHE_HOME=os.path.join(work, "cache"),
                        XDG_RUNTIME_DIR=os.path.join(work, "run"))
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
        self.proc = None
        self.log_path = os.path.join(work, "gdmount.log")
        self.sign_in()

    def sign_in(self):
        p = subprocess.Popen([self.bin, "--endpoint", self.emu.url, "auth",
                              "--headless"], env=self.env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        url = None
        for line in p.stdout:
            if line.startswith("http"):
                url = line.strip()
                break

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        try:
            urllib.request.build_opener(NoRedirect).open(url)
            raise Failure("the authorization page did not redirect")
        except urllib.error.HTTPError as e:
            location = e.headers["Location"]
        p.stdin.write(location + "\n")
        p.stdin.close()
        p.stdout.read()
        if p.wait() != 0:
            raise Failure("sign-in failed")

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.bin, "--endpoint", self.emu.url, "mount", self.mnt, "-f",
             "--upload-chunk-size", "1048576", "--multipart-threshold",
             "262144"], env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while not mounted(self.mnt):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Failure("gdmount did not mount; see " + self.log_path)
            time.sleep(0.05)  # polling for the mount, not synchronizing work

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        # The connection is gone; detach the dead mount point.
        subprocess.run(["fusermount3", "-u", "-z", self.mnt],
                       stderr=subprocess.DEVNULL)

    def unmount(self, timeout=600):
        if self.proc is None:
            return None
        if mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", self.mnt])
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        if mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", "-z", self.mnt])
        self.proc = None
        return rc

    def rss_mib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024.0
        except (OSError, AttributeError):
            pass
        return None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


# --- the workload -----------------------------------------------------------
class Gate:
    """Lets the controller stop every worker between two operations."""

    def __init__(self, workers):
        self.cv = threading.Condition()
        self.workers = workers
        self.paused = 0
        self.want_pause = False
        self.stop = False

    def checkpoint(self):
        with self.cv:
            if not self.want_pause:
                return not self.stop
            self.paused += 1
            self.cv.notify_all()
            while self.want_pause:
                self.cv.wait()
            self.paused -= 1
            return not self.stop

    def pause_all(self, alive):
        with self.cv:
            self.want_pause = True
            while self.paused < alive():
                self.cv.wait(timeout=1)

    def resume_all(self):
        with self.cv:
            self.want_pause = False
            self.cv.notify_all()

    def stop_all(self, threads, timeout):
        """Ends every worker after its current operation; waits for them."""
        with self.cv:
            self.stop = True
            self.want_pause = False
            self.cv.notify_all()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}
        self.bytes_verified = 0
        self.failures = []

    def op(self, kind, verified=0):
        with self.lock:
            self.ops[kind] = self.ops.get(kind, 0) + 1
            self.bytes_verified += verified

    def fail(self, what):
        with self.lock:
            self.failures.append(what)


class Owner:
    """Owns w/NAME: every change there goes through it, so its model (what
    each close() accepted) is exact."""

    def __init__(self, root, name, rng, stats):
        self.dir = os.path.join(root, "w", name)
        self.rel = "w/" + name
        self.rng, self.stats = rng, stats
        self.files = {}  # relpath (inside self.dir) -> bytes
        self.dirs = set()

    def data(self):
        return self.rng.randbytes(self.rng.choice(SIZES))

    def path(self, rel):
        return os.path.join(self.dir, rel)

    def pick_file(self):
        return self.rng.choice(sorted(self.files)) if self.files else None

    def write(self, rel, data, mode="wb"):
        with open(self.path(rel), mode) as f:
            f.write(data)

    def step(self):
        r = self.rng
        op = r.choice(["create", "create", "overwrite", "append", "truncate",
                       "rename", "move", "unlink", "mkdir", "rmdir", "read",
                       "read", "list"])
        f = self.pick_file()
        if op == "create" and len(self.files) >= MAX_FILES_PER_OWNER:
            op = "unlink"
        if op == "create" or (f is None and op not in ("mkdir", "list")):
            where = r.choice([""] + sorted(self.dirs))
            rel = os.path.join(where, "f%04d.bin" % r.randrange(10000))
            if rel in self.files:
                return
            data = self.data()
            self.write(rel, data)
            self.files[rel] = data
            self.stats.op("create")
        elif op == "overwrite":
            data = self.data()
            self.write(f, data)
            self.files[f] = data
            self.stats.op(op)
        elif op == "append":
            data = r.randbytes(r.choice([1, 1000, 70000]))
            self.write(f, data, "ab")
            self.files[f] += data
            self.stats.op(op)
        elif op == "truncate":
            n = r.randrange(len(self.files[f]) + 2)
            os.truncate(self.path(f), n)
            old = self.files[f]
            self.files[f] = old[:n] + b"\0" * max(0, n - len(old))
            self.stats.op(op)
        elif op in ("rename", "move"):
            where = os.path.dirname(f) if op == "rename" else \
                r.choice([""] + sorted(self.dirs))
            # Sometimes over an existing file in that folder.
            others = [x for x in self.files if os.path.dirname(x) == where
                      and x != f]
            to = r.choice(others) if others and r.random() < 0.3 else \
                os.path.join(where, "r%04d.bin" % r.randrange(10000))
            if to == f or to in self.dirs:
                return
            os.rename(self.path(f), self.path(to))
            self.files[to] = self.files.pop(f)
            self.stats.op(op)
        elif op == "unlink":
            os.unlink(self.path(f))
            del self.files[f]
            self.stats.op(op)
        elif op == "mkdir":
            d = "d%02d" % r.randrange(20)
            if d in self.dirs:
                return
            os.mkdir(self.path(d))
            self.dirs.add(d)
            self.stats.op(op)
        elif op == "rmdir":
            empty = [d for d in self.dirs
                     if not any(x.startswith(d + "/") for x in self.files)]
            if not empty:
                return
            d = r.choice(sorted(empty))
            os.rmdir(self.path(d))
            self.dirs.discard(d)
            self.stats.op(op)
        elif op == "read":
            with open(self.path(f), "rb") as fh:
                got = fh.read()
            if got != self.files[f]:
                raise Failure("%s/%s: read %d bytes (md5 %s), closed %d (%s)"
                              % (self.rel, f, len(got), md5(got),
                                 len(self.files[f]), md5(self.files[f])))
            self.stats.op("read-back", len(got))
        elif op == "list":
            where = r.choice([""] + sorted(self.dirs))
            got = sorted(os.listdir(self.path(where)))
            want = sorted({x[len(where) + 1 if where else 0:].split("/")[0]
                           for x in list(self.files) + list(self.dirs)
                           if (os.path.dirname(x) == where)})
            if got != want:
                raise Failure("%s/%s lists %s, model %s" %
                              (self.rel, where, got[:10], want[:10]))
            self.stats.op("list")

    def expected(self):
        out = {self.rel: None}
        for d in self.dirs:
            out[self.rel + "/" + d] = None
        for f, data in self.files.items():
            out[self.rel + "/" + f] = md5(data)
        return out


def slope(points):
    """Least-squares slope of [(x, y)], 0 for fewer than two distinct x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def run_worker(gate, stats, fn, name):
    try:
        while gate.checkpoint():
            fn()
    except Failure as e:
        stats.fail("%s: %s" % (name, e))
    except OSError as e:
        stats.fail("%s: %s" % (name, e))
    finally:
        with gate.cv:
            gate.workers -= 1
            gate.cv.notify_all()


def _stop(signum, frame):
    raise Failure("stopped by signal %d" % signum)


def main():
    signal.signal(signal.SIGTERM, _stop)
    ap = argparse.ArgumentParser()
    ap.add_argument("--gdmount", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--duration", type=float, default=120)
    ap.add_argument("--crashes", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--owners", type=int, default=3)
    ap.add_argument("--faults", default=DEFAULT_FAULTS)
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    if not os.path.exists("/dev/fuse") or shutil.which("fusermount3") is None:
        print("soak: no /dev/fuse or fusermount3: skipped")
        return 77
    work = tempfile.mkdtemp(prefix="gdmount-soak-")
    emu = daemon = gate = None
    threads = []
    stats = Stats()
    result = {"seed": args.seed, "duration_s": args.duration,
              "crashes_planned": args.crashes}
    try:
        emu = Emulator(args.emulator, work,
                       "data/big.bin=48M,data/small/=200x20K")
        # The dataset's bytes, fetched before any fault is on.
        data_id = emu.find("root", "data")
        big_id = emu.find(data_id, "big.bin")
        big = emu.call("/drive/v3/files/%s?alt=media" % big_id, raw=True)
        small_id = emu.find(data_id, "small")
        small = {f["name"]: emu.call("/drive/v3/files/%s?alt=media" %
                                     f["id"], raw=True)
                 for f in emu.children(small_id)}
        daemon = Daemon(args.gdmount, emu, work)
        daemon.start()
        os.makedirs(os.path.join(daemon.mnt, "w"))
        emu.set_faults(args.faults.split(",") if args.faults else [],
                       args.seed)

        rng = random.Random(args.seed)
        owners = []
        for i in range(args.owners):
            o = Owner(daemon.mnt, "o%d" % i, random.Random(rng.random()),
                      stats)
            os.makedirs(o.dir)
            owners.append(o)
        mnt = daemon.mnt

        def big_reader(r=random.Random(rng.random())):
            off = r.randrange(len(big))
            n = r.choice([1, 4096, 131072, MiB])
            with open(os.path.join(mnt, "data", "big.bin"), "rb") as f:
                got = os.pread(f.fileno(), n, off)
            if got != big[off:off + n]:
                raise Failure("big.bin at %d: %d bytes differ from Drive's" %
                              (off, n))
            stats.op("read-big", len(got))

        def small_reader(r=random.Random(rng.random())):
            name = r.choice(sorted(small))
            with open(os.path.join(mnt, "data", "small", name), "rb") as f:
                got = f.read()
            if got != small[name]:
                raise Failure("small/%s differs from Drive's" % name)
            stats.op("read-small", len(got))

        def lister():
            got = sorted(os.listdir(os.path.join(mnt, "data", "small")))
            if got != sorted(small):
                raise Failure("data/small lists %d names, Drive has %d" %
                              (len(got), len(small)))
            stats.op("list-dataset")

        fns = [(big_reader, "big reader 1"), (big_reader, "big reader 2"),
               (small_reader, "small reader"), (lister, "lister")]
        fns += [(o.step, "owner " + o.rel) for o in owners]
        gate = Gate(len(fns))
        # Daemon threads: one stuck in a call to a dead mount cannot keep
        # the process alive after the cleanup below.
        threads = [threading.Thread(target=run_worker,
                                    args=(gate, stats, fn, name), daemon=True)
                   for fn, name in fns]
        start = time.monotonic()
        for t in threads:
            t.start()
        crash_at = sorted(rng.uniform(0.1, 0.9) * args.duration
                          for _ in range(args.crashes))
        rss = []  # (seconds, MiB) of the daemon running now
        crashes = 0
        while time.monotonic() - start < args.duration and stats.failures \
                == [] and gate.workers == len(fns):
            time.sleep(0.5)  # the run's clock, not synchronization
            now = time.monotonic() - start
            m = daemon.rss_mib()
            if m is not None:
                rss.append((now, m))
            if daemon.proc.poll() is not None:
                stats.fail("the daemon died (exit %s)" %
                           daemon.proc.returncode)
                break
            if crash_at and now >= crash_at[0]:
                crash_at.pop(0)
                gate.pause_all(lambda: gate.workers)
                daemon.kill()
                crashes += 1
                daemon.start()
                rss = []  # a new process: its own trend
                gate.resume_all()
        gate.stop_all(threads, timeout=300)
        alive = daemon.proc.poll() is None
        result["daemon_alive_at_end"] = alive
        result["crashes"] = crashes
        result["faults"] = {r["kind"]: r["fired"]
                            for r in emu.faults().get("faults", [])}
        result["requests_seen"] = max([r["seen"] for r in
                                       emu.faults().get("faults", [])] or [0])
        emu.set_faults([], args.seed)
        rc = daemon.unmount()
        result["unmount_exit"] = rc
        log = daemon.log()
        if rc != 0:
            stats.fail("gdmount exited %s at unmount" % rc)
        if "every written file is on Drive" not in log:
            stats.fail("the unmount did not report every file on Drive")
        # No secret in the log, though 401s made it refresh again and again.
        with open(os.path.join(work, "config", "gdmount", "default",
                               "token.json")) as f:
            token = json.load(f)
        for key in ("access_token", "refresh_token"):
            if token.get(key) and token[key] in log:
                stats.fail("the log shows the " + key)
        # The emulator holds exactly the model under w/.
        want = {"w": None}
        for o in owners:
            want.update(o.expected())
        w_id = emu.find("root", "w")
        got, dups = emu.tree(w_id, "w/")
        got["w"] = None
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        wrong = sorted(p for p in want if p in got and got[p] != want[p])
        result.update({"files_expected": sum(1 for v in want.values()
                                             if v is not None),
                       "missing": missing[:10], "extra": extra[:10],
                       "wrong_md5": wrong[:10], "duplicates": dups[:10]})
        for what, lst in (("missing on Drive", missing),
                          ("extra on Drive", extra),
                          ("wrong md5 on Drive", wrong),
                          ("duplicate names on Drive", dups)):
            if lst:
                stats.fail("%d %s, e.g. %s" % (len(lst), what, lst[:3]))
        # RSS flat: after the first quarter (cache and pools warming up),
        # the last third may not sit well above the first.
        warm = [(t, m) for t, m in rss if t >= rss[0][0] + (rss[-1][0] -
                                                           rss[0][0]) / 4] \
            if len(rss) > 8 else []
        tail = [m for _, m in warm]
        if tail:
            k = max(1, len(tail) // 3)
            first, last = sum(tail[:k]) / k, sum(tail[-k:]) / k
            result["rss_mib"] = {"first_third": round(first, 1),
                                 "last_third": round(last, 1),
                                 "peak": round(max(m for _, m in rss), 1),
                                 "slope_per_min": round(slope(warm) * 60, 3)}
            if last > first * 1.3 + 8:
                stats.fail("RSS grew from %.1f to %.1f MiB" % (first, last))
            # A long run shows a trend the thirds would hide in noise: the
            # last half may not climb by more than 6 MiB an hour. Only in an
            # hour or more: the first half hour is still warming up (the
            # tree filling to its cap, SQLite's page cache growing; 0.2 to
            # 0.5 MiB a minute from 15 to 30 minutes in two runs).
            if rss[-1][0] - rss[0][0] >= 3600 - 60:
                half = [p for p in rss if p[0] >= (rss[0][0] + rss[-1][0]) / 2]
                per_min = slope(half) * 60
                result["rss_mib"]["last_half_slope_per_min"] = round(per_min, 3)
                if per_min > 0.1:
                    stats.fail("RSS rose %.3f MiB a minute in the last half"
                               % per_min)
    except Failure as e:
        stats.fail(str(e))
    finally:
        # Stopped early (a signal, an error): the workers' open files would
        # keep the mount busy.
        if gate:
            gate.stop_all(threads, timeout=60)
        if daemon:
            daemon.unmount(timeout=60)
        if emu:
            emu.stop()
        result["ops"] = stats.ops
        result["operations"] = sum(stats.ops.values())
        result["bytes_verified"] = stats.bytes_verified
        result["failures"] = stats.failures[:20]
        print(json.dumps(result, sort_keys=True))
        if stats.failures and daemon:
            sys.stderr.write(daemon.log()[-4000:])
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("soak: work directory kept: " + work)
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
