"""docs/ output of bench/peers: one markdown section and two PNGs per preset.

The section sits between `<!-- peers:PRESET:begin -->` and
`<!-- peers:PRESET:end -->` in docs/benchmarks.md (appended if missing), so
the prose around it is kept when a run rewrites its figures.
"""
import os
import platform
import subprocess
import time

PEERS = ["rclone-off", "rclone-full", "rclone-full-budget"]
CONTENDERS = ["gdmount"] + PEERS


def _out(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def machine(seconds, args):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / (1 << 20)
    return {"machine": "%d x %s, %.0f GiB RAM" % (os.cpu_count(), cpu,
                                                 mem_gib),
            "kernel": platform.release(),
            "rclone": _out(["rclone", "version"]).splitlines()[0],
            "commit": _out(["git", "-C", os.path.dirname(__file__), "log",
                            "-1", "--format=%h %s"])[:80],
            "date": time.strftime("%Y-%m-%d"),
            "minutes": round(seconds / 60, 1),
            "args": " ".join("--%s %s" % (k.replace("_", "-"), v)
                             for k, v in sorted(vars(args).items())
                             if k in ("preset", "reps", "size", "files",
                                      "small_cap", "rand_secs",
                                      "small_writes"))}


def _num(v):
    if v >= 100:
        return "{:,.0f}".format(v)
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def _cell(r):
    s = "%s (%s-%s)" % (_num(r["median"]), _num(r["min"]), _num(r["max"]))
    if "api_calls" in r:
        s += ", %d calls" % r["api_calls"]
    return s


NAMES = {"gdmount": "gdmount", "rclone-off": "rclone off",
         "rclone-full": "rclone full (tuned)",
         "rclone-full-budget": "rclone full, gdmount's request budget"}


def _index(rows):
    """(case, contender) -> row; the cases in run order; the contenders
    that ran."""
    by = {(r["case"], r["contender"]): r for r in rows}
    cases = list(dict.fromkeys(r["case"] for r in rows))
    present = [c for c in CONTENDERS if any(r["contender"] == c
                                            for r in rows)]
    return by, cases, present


def table(rows):
    by, cases, present = _index(rows)
    peers = [p for p in PEERS if p in present]
    lines = ["| case | unit | %s | %s | peak RSS MiB (%s) |" % (
        " | ".join(NAMES[c] for c in present),
        " | ".join("gdmount vs " + NAMES[p] for p in peers),
        " / ".join(NAMES[c].split(",")[0] for c in present)),
        "|" + "---|" * (3 + len(present) + len(peers))]
    for case in cases:
        r0 = next(by[(case, c)] for c in present if (case, c) in by)
        cells = [_cell(by[(case, c)]) if (case, c) in by else "-"
                 for c in present]
        adv = ["**%.2f x**" % by[(case, p)]["gdmount_advantage"]
               if (case, p) in by and "gdmount_advantage" in by[(case, p)]
               else "-" for p in peers]
        rss = " / ".join("%.0f" % by[(case, c)]["peak_rss_mib"]
                         if (case, c) in by else "-" for c in present)
        lines.append("| %s | %s%s | %s | %s | %s |" % (
            r0["what"], r0["unit"], "" if r0["higher_better"] else
            " (lower is better)", " | ".join(cells), " | ".join(adv), rss))
    return "\n".join(lines)


def _plot(rows, png, field, ylabel, logscale):
    by, cases, present = _index(rows)
    cols = [c for c in present if c != "gdmount"] \
        if field == "gdmount_advantage" else present
    data = png + ".dat"
    with open(data, "w") as f:
        for case in cases:
            vals = []
            for c in cols:
                v = by.get((case, c), {}).get(field)
                vals.append("%f" % v if v else "NaN")
            f.write('"%s" %s\n' % (case, " ".join(vals)))
    plots = ", ".join("'%s' using %d:xtic(1) title \"%s\"" %
                      (data if i == 0 else "", i + 2,
                       ("gdmount vs " if field == "gdmount_advantage"
                        else "") + NAMES[c]) for i, c in enumerate(cols))
    if field == "gdmount_advantage":
        plots += ", 1 with lines lc rgb 'red' title 'parity'"
    subprocess.run(["gnuplot", "-e",
                    "set terminal png size 1200,520; set output '%s';"
                    "set style data histogram; set style histogram cluster "
                    "gap 1; set style fill solid border -1; set boxwidth 0.9;"
                    "set ylabel '%s'; set xtics rotate by -35 font ',8';"
                    "%s set grid ytics; set key top right;"
                    "plot %s" % (png, ylabel, "set logscale y;" if logscale
                                 else "set yrange [0:*];", plots)],
                   check=False)
    os.unlink(data)


def write(rows, preset, root, info=None):
    docs = os.path.join(root, "docs")
    adv_png = "peers-%s.png" % preset
    rss_png = "peers-%s-rss.png" % preset
    _plot(rows, os.path.join(docs, adv_png), "gdmount_advantage",
          "gdmount advantage (x, log; > 1: gdmount better)", True)
    _plot(rows, os.path.join(docs, rss_png), "peak_rss_mib",
          "peak RSS of the daemon (MiB)", False)
    head = "Preset `%s`" % preset
    if info:
        head += ": %s; kernel %s; %s; gdmount at %s; run on %s, %s min " \
                "(`sudo bench/peers %s`)." % (
                    info["machine"], info["kernel"], info["rclone"],
                    info["commit"], info["date"], info["minutes"],
                    info["args"])
    section = "\n".join([
        "<!-- peers:%s:begin (written by bench/peers) -->" % preset, head, "",
        table(rows), "", "![gdmount's advantage, preset %s](%s)" %
        (preset, adv_png), "",
        "![peak RSS, preset %s](%s)" % (preset, rss_png),
        "<!-- peers:%s:end -->" % preset])
    print("\n" + section)
    path = os.path.join(docs, "benchmarks.md")
    with open(path) as f:
        text = f.read()
    begin = "<!-- peers:%s:begin" % preset
    end = "<!-- peers:%s:end -->" % preset
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)
