#!/usr/bin/env python3
"""`make size`: each function's release binary as Lambda gets it (stripped), zipped as SAM
uploads it (the binary as `bootstrap`), and the crates that weigh most, read off the symbols of
the same build before stripping (as cargo-bloat does).

usage: size.py DIR [BINARY ...]   (DIR: a build of profile `measure`, release with its symbols)
"""
import collections
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile

GOAL_MB, GOAL_ZIP_MB = 6.0, 2.5
MB = 1024 * 1024


def stripped_size(path):
    with tempfile.NamedTemporaryFile() as out:
        subprocess.run(["objcopy", "--strip-all", path, out.name], check=True)
        return os.path.getsize(out.name), open(out.name, "rb").read()


def zipped_size(binary):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("bootstrap", binary)
    return len(buffer.getvalue())


def crate_of(symbol):
    name = symbol.lstrip("<&*( ")
    name = re.sub(r"^(dyn |impl |mut |const )", "", name)
    head = re.split(r"::|<| as |\s", name, maxsplit=1)[0]
    return head or "?"


def top_crates(path, n=12):
    out = subprocess.run(["nm", "--size-sort", "-S", "-C", path], check=True, capture_output=True, text=True).stdout
    sizes = collections.Counter()
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[2].lower() in "tr":
            sizes[crate_of(parts[3])] += int(parts[1], 16)
    return sizes.most_common(n)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    directory, wanted = sys.argv[1], sys.argv[2:]
    binaries = wanted or sorted(
        f for f in os.listdir(directory)
        if os.path.isfile(os.path.join(directory, f)) and os.access(os.path.join(directory, f), os.X_OK)
        and "." not in f and f not in ("avisa", "bare-lambda", "init-bench", "request-report")
    )
    print(f"{'function':<20} {'stripped MB':>12} {'zip MB':>8}   (goal: ≤ {GOAL_MB} MB arm64, zip ≤ {GOAL_ZIP_MB} MB; x86_64 here)")
    for binary in binaries:
        size, data = stripped_size(os.path.join(directory, binary))
        print(f"{binary:<20} {size / MB:>12.2f} {zipped_size(data) / MB:>8.2f}")
    heaviest = max(binaries, key=lambda b: os.path.getsize(os.path.join(directory, b)))
    print(f"\nthe crates that weigh most in {heaviest} (code and read-only data, from its symbols):")
    for crate, size in top_crates(os.path.join(directory, heaviest)):
        print(f"  {crate:<32} {size / MB:>7.2f} MB")


if __name__ == "__main__":
    main()
