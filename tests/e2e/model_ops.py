#!/usr/bin/env python3
"""Applies one seeded random sequence of file operations to two directory
trees: the mount under test and a plain local directory (the model). After
each operation that changes a file, the mount's bytes must equal the
model's. Exit status 0 when every step agreed; the test then compares what
reached Drive with the model.

usage: model_ops.py MOUNT_DIR MODEL_DIR SEED STEPS
"""
import os
import random
import sys


def rel_files(root):
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.relpath(os.path.join(d, f), root) for f in files]
    return sorted(out)


def rel_dirs(root):
    out = []
    for d, dirs, _ in os.walk(root):
        out += [os.path.relpath(os.path.join(d, x), root) for x in dirs]
    return sorted(out)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    mount, model, seed, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4])
    rng = random.Random(seed)
    names = ["a", "b", "c", "d.txt", "e.bin"]

    def both(fn):
        for root in (mount, model):
            fn(root)

    for step in range(steps):
        files = rel_files(model)
        dirs = rel_dirs(model)
        op = rng.choice(["create", "create", "append", "overwrite",
                         "truncate", "rename", "unlink", "mkdir", "rmdir",
                         "rename_dir"])
        where = rng.choice([""] + dirs)
        what = None
        if op == "create":
            path = os.path.join(where, rng.choice(names))
            if path in dirs:
                continue
            data = rng.randbytes(rng.choice([0, 1, 100, 5000, 70000]))
            def fn(root, path=path, data=data):
                with open(os.path.join(root, path), "wb") as f:
                    f.write(data)
            both(fn)
            what = path
        elif op in ("append", "overwrite", "truncate") and files:
            path = rng.choice(files)
            data = rng.randbytes(rng.choice([1, 10, 4096, 20000]))
            size = len(read(os.path.join(model, path)))
            off = rng.randint(0, size)
            new_size = rng.choice([0, size // 2, size + 1000])
            def fn(root, path=path, data=data, off=off, new_size=new_size):
                p = os.path.join(root, path)
                if op == "append":
                    with open(p, "ab") as f:
                        f.write(data)
                elif op == "overwrite":
                    with open(p, "r+b") as f:
                        f.seek(off)
                        f.write(data)
                else:
                    os.truncate(p, new_size)
            both(fn)
            what = path
        elif op == "rename" and files:
            src = rng.choice(files)
            dst = os.path.join(rng.choice([""] + dirs), rng.choice(names))
            if dst in dirs or dst == src:
                continue
            both(lambda root: os.rename(os.path.join(root, src),
                                        os.path.join(root, dst)))
            what = dst
        elif op == "unlink" and files:
            path = rng.choice(files)
            both(lambda root: os.unlink(os.path.join(root, path)))
        elif op == "mkdir":
            path = os.path.join(where, "dir%d" % rng.randint(0, 3))
            if os.path.exists(os.path.join(model, path)):
                continue
            both(lambda root: os.mkdir(os.path.join(root, path)))
        elif op == "rmdir" and dirs:
            path = rng.choice(dirs)
            if os.listdir(os.path.join(model, path)):
                # Not empty: both must refuse the same way.
                for root in (mount, model):
                    try:
                        os.rmdir(os.path.join(root, path))
                        sys.exit("step %d: rmdir of non-empty %s worked in %s"
                                 % (step, path, root))
                    except OSError:
                        pass
                continue
            both(lambda root: os.rmdir(os.path.join(root, path)))
        elif op == "rename_dir" and dirs:
            src = rng.choice(dirs)
            dst = os.path.join(rng.choice([""] + dirs),
                               "moved%d" % rng.randint(0, 3))
            if (os.path.exists(os.path.join(model, dst)) or
                    (dst + "/").startswith(src + "/")):
                continue
            both(lambda root: os.rename(os.path.join(root, src),
                                        os.path.join(root, dst)))
        else:
            continue
        if what is not None:
            got = read(os.path.join(mount, what))
            want = read(os.path.join(model, what))
            if got != want:
                sys.exit("step %d (%s %s): mount has %d bytes, model %d"
                         % (step, op, what, len(got), len(want)))
    # The whole tree agrees through the mount too.
    if rel_files(mount) != rel_files(model):
        sys.exit("files differ:\nmount %s\nmodel %s"
                 % (rel_files(mount), rel_files(model)))
    if rel_dirs(mount) != rel_dirs(model):
        sys.exit("dirs differ:\nmount %s\nmodel %s"
                 % (rel_dirs(mount), rel_dirs(model)))
    for f in rel_files(model):
        if read(os.path.join(mount, f)) != read(os.path.join(model, f)):
            sys.exit("content of %s differs" % f)
    print("ok", len(rel_files(model)), "files", len(rel_dirs(model)), "dirs")


if __name__ == "__main__":
    main()
