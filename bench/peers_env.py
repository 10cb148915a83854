"""rclone against the emulator, for bench/peers (issue 9).

rclone's drive backend has no endpoint option, so it runs in a private
mount namespace where /etc/hosts maps Google's API hosts to 127.0.0.1 and
/etc/resolv.conf points at 127.0.0.1 (no lookup leaves the machine); a TLS
front (stunnel4) on 127.0.0.1:443 forwards to the emulator's plain HTTP
port with a certificate from a CA generated here, which rclone trusts
(SSL_CERT_FILE). gdmount uses the same front (https://127.0.0.1 with
--ca-bundle), so both pay for TLS as they would against Google; resumable
upload sessions go to the emulator's own address for both (the Location
it answers). Everything that must see the rclone mount (it exists only
in that namespace) runs there too, through nsenter. Needs root.
"""
import json
import os
import shutil
import subprocess
import time
import urllib.parse

# rclone --vfs-cache-mode full "tuned as its docs advise" (rclone mount
# docs, VFS File Caching and chunked reading; drive backend docs): a large
# in-memory buffer and on-disk read-ahead, chunked reads that start at 32M and
# double, 1 MiB kernel read-ahead (gdmount's kernel_read_ahead), long
# directory and attribute caching (gdmount keeps entries 60 s), 64M upload
# chunks and 8 transfers. The drive backend's pacer (10 requests/s, burst
# 100) stays at its default as the docs keep it (Google's quota);
# GDMOUNT_BUDGET gives rclone gdmount's default budget for the cases a
# request budget decides.
RCLONE_FULL_TUNED = [
    "--buffer-size", "64M", "--vfs-read-ahead", "512M",
    "--vfs-read-chunk-size", "32M", "--vfs-read-chunk-size-limit", "off",
    "--max-read-ahead", "1M", "--dir-cache-time", "1000h",
    "--attr-timeout", "60s", "--vfs-cache-max-size", "20G",
    "--drive-chunk-size", "64M", "--transfers", "8"]
GDMOUNT_BUDGET = ["--drive-pacer-min-sleep", "10ms",
                  "--drive-pacer-burst", "200"]

HOSTS = ["www.googleapis.com", "oauth2.googleapis.com",
         "accounts.google.com", "content.googleapis.com"]


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class PeerNamespace:
    def __init__(self, emu_url, workdir):
        self.work = os.path.join(workdir, "peers")
        os.makedirs(self.work, exist_ok=True)
        port = urllib.parse.urlparse(emu_url).port
        tls = self.work
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                 "ca.key", "-out", "ca.pem", "-days", "7", "-subj",
                 "/CN=gdmount bench CA", cwd=tls)
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key",
                 "-out", "srv.csr", "-subj", "/CN=" + HOSTS[0], cwd=tls)
        with open(os.path.join(tls, "san.ext"), "w") as f:
            # 127.0.0.1 too: gdmount goes through the same front.
            f.write("subjectAltName=" + ",".join("DNS:" + h for h in HOSTS) +
                    ",IP:127.0.0.1")
        _openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey",
                 "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "7",
                 "-extfile", "san.ext", cwd=tls)
        self.ca = os.path.join(tls, "ca.pem")
        conf = os.path.join(self.work, "stunnel.conf")
        with open(conf, "w") as f:
            f.write("foreground = yes\n[https]\naccept = 127.0.0.1:443\n"
                    "connect = 127.0.0.1:%d\ncert = %s\nkey = %s\n" %
                    (port, os.path.join(tls, "srv.pem"),
                     os.path.join(tls, "srv.key")))
        self.stunnel = subprocess.Popen(
            ["stunnel4", conf], stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.work, "stunnel.log"), "w"))
        hosts = os.path.join(self.work, "hosts")
        with open("/etc/hosts") as src, open(hosts, "w") as dst:
            dst.write(src.read() + "\n127.0.0.1 " + " ".join(HOSTS) + "\n")
        resolv = os.path.join(self.work, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.1\n")
        # A process that holds the namespace open; others join it.
        self.holder = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             "mount --bind %s /etc/hosts && mount --bind %s /etc/resolv.conf"
             " && echo ready && exec sleep infinity" % (hosts, resolv)],
            stdout=subprocess.PIPE, text=True)
        if self.holder.stdout.readline().strip() != "ready":
            raise SystemExit("could not set up the rclone namespace")
        self.env = {k: v for k, v in os.environ.items()
                    if "proxy" not in k.lower()}
        self.env["SSL_CERT_FILE"] = self.ca
        for _ in range(100):  # stunnel listening
            if subprocess.run(["bash", "-c", "echo > /dev/tcp/127.0.0.1/443"],
                              stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.05)

    def argv(self, cmd):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "--"] + list(cmd)

    def run(self, cmd, **kw):
        return subprocess.run(self.argv(cmd), env=self.env, **kw)

    def popen(self, cmd, **kw):
        return subprocess.Popen(self.argv(cmd), env=self.env, **kw)

    def mounts(self):
        with open("/proc/%d/mounts" % self.holder.pid) as f:
            return [l.split()[1] for l in f]

    def close(self):
        for p in (self.holder, self.stunnel):
            p.kill()
            p.wait()


class Rclone:
    """rclone mount of the emulator's My Drive, in a PeerNamespace."""

    def __init__(self, ns, token_file, workdir, mode="off", extra=(),
                 label=None):
        self.ns = ns
        self.mode = mode
        self.work = os.path.join(workdir, "rclone-" + (label or mode))
        self.mnt = os.path.join(self.work, "mnt")
        os.makedirs(self.mnt, exist_ok=True)
        with open(token_file) as f:
            t = json.load(f)
        token = {"access_token": t["access_token"], "token_type": "Bearer",
                 "refresh_token": t.get("refresh_token", ""),
                 "expiry": "2099-01-01T00:00:00Z"}
        self.conf = os.path.join(self.work, "rclone.conf")
        with open(self.conf, "w") as f:
            f.write("[emu]\ntype = drive\nscope = drive\ntoken = %s\n" %
                    json.dumps(token))
        self.extra = list(extra)
        self.proc = None

    def mount(self, cold=True):
        cache = os.path.join(self.work, "cache")
        if cold:
            shutil.rmtree(cache, ignore_errors=True)
        self.proc = self.ns.popen(
            ["rclone", "--config", self.conf, "mount", "emu:", self.mnt,
             "--vfs-cache-mode", self.mode, "--cache-dir", cache] + self.extra,
            stderr=open(os.path.join(self.work, "rclone.log"), "a"))
        for _ in range(600):
            if self.mnt in self.ns.mounts():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("rclone did not mount; see " + self.work)

    def unmount(self):
        if self.mnt in self.ns.mounts():
            self.ns.run(["fusermount3", "-u", self.mnt])
        if self.proc:
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rclone_pid(self):
        # nsenter execs rclone: same pid.
        return self.proc.pid if self.proc else None
