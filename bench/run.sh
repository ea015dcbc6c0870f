#!/bin/sh
# bench/run.sh: `make bench`: start-up cost of husk against native, side by side in one
# hyperfine run (median of repeated runs). The full suite with peers (gVisor, bwrap, proot,
# qemu-user) and per-syscall micro benchmarks is the fast-path work; this is its first table.
set -eu
HUSK=${1:-build/husk}
if ! command -v hyperfine >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
    else
        echo "bench: needs hyperfine (apt-get install hyperfine)" >&2
        exit 1
    fi
fi
out=bench/RESULTS.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # name, then the commands to compare
    name=$1
    shift
    hyperfine -N -w 5 -r 40 --export-json "$tmp/$name.json" "$@" >/dev/null 2>&1
}
run busybox_true '/bin/busybox true' "$HUSK run -- /bin/busybox true"
run dynamic_true '/bin/true' "$HUSK run -- /bin/true"
python3 - "$tmp" "$out" <<'PY'
import json, os, sys
tmp, out = sys.argv[1], sys.argv[2]
rows = []
for name in ("busybox_true", "dynamic_true"):
    res = json.load(open(os.path.join(tmp, name + ".json")))["results"]
    native = res[0]["median"]
    for r in res:
        rows.append("| %s | %.2f ms | %.2f-%.2f ms | %.2fx |" % (
            r["command"], r["median"] * 1e3, r["min"] * 1e3, r["max"] * 1e3,
            r["median"] / native))
table = ["| command | median | min-max | vs native |", "|---|---|---|---|"] + rows
text = "# husk benchmarks\n\nStart to exit, hyperfine -N, 40 runs after 5 warm-ups, one invocation.\n\n" + "\n".join(table) + "\n"
open(out, "w").write(text)
print(text)
PY
