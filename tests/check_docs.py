#!/usr/bin/env python3
"""Checks that husk's documents match the binary, and that the binary has the shape the
threat model relies on.

Usage (run by the test suite):

    python3 tests/check_docs.py --husk build/husk

Each check prints one line, `PASS name`, `FAIL name: reason` (possibly followed by indented
detail) or `SKIP name: reason` (the host tool it needs is missing), then the script ends with
`N passed, N failed, N skipped`. Exit status 1 if any check failed, else 0.

Checks:
  syscalls-md      docs/SYSCALLS.md is what tools/gen_syscalls_md.py makes from this husk
  keyhole          docs/THREAT_MODEL.md lists exactly the host syscalls `husk debug keyhole`
                   prints: a markdown table between `<!-- keyhole:begin -->` and
                   `<!-- keyhole:end -->` whose first column holds the names in backticks,
                   and a line `Host syscalls allowed after sealing: N` with the right N
  one-syscall-insn the binary contains exactly one `syscall` instruction (objdump)
  static           no program interpreter and no DT_NEEDED entries (readelf)
  no-undefined     `nm -u` lists no undefined symbols
  readme           README.md mentions `make test` and `make demo`

Python 3 standard library only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KEYHOLE_BEGIN = "<!-- keyhole:begin -->"
KEYHOLE_END = "<!-- keyhole:end -->"
KEYHOLE_COUNT = re.compile(r"Host syscalls allowed after sealing:\s*\**\s*(\d+)")

# How many lines of detail (a diff, a list) to print under a FAIL line.
MAX_DETAIL = 40


class Fail(Exception):
    """A check failed: reason, and optional detail lines printed indented below it."""

    def __init__(self, reason, detail=()):
        super().__init__(reason)
        self.reason = reason
        self.detail = list(detail)


class Skip(Exception):
    """A check could not run on this host (a tool is missing)."""


def rel(path):
    """path relative to the repository root if it lies inside it, for messages."""
    r = os.path.relpath(path, ROOT)
    return path if r.startswith("..") else r


def run(cmd, what=None, cwd=None):
    """Run cmd (C locale) and return its CompletedProcess; Fail if it cannot be run."""
    env = dict(os.environ, LC_ALL="C")
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env,
                              cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Fail(f"cannot run {what or cmd[0]}: {e}")


def need_tool(name):
    """The path of host tool name, or Skip when it is not installed."""
    path = shutil.which(name)
    if not path:
        raise Skip(f"{name} not found")
    return path


def need_husk(husk):
    if not os.path.isfile(husk):
        raise Fail(f"{rel(husk)} does not exist (run make)")


def read_doc(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise Fail(f"{rel(path)} does not exist")


# --- the checks: each returns on success, raises Fail or Skip otherwise ---------------------

def check_syscalls_md(husk):
    """docs/SYSCALLS.md is up to date: the generator's --check mode."""
    need_husk(husk)
    # Run from the root with relative paths so that its messages name docs/SYSCALLS.md.
    proc = run([sys.executable, "tools/gen_syscalls_md.py", husk, "--check",
                "docs/SYSCALLS.md"], "tools/gen_syscalls_md.py", cwd=ROOT)
    if proc.returncode != 0:
        # stderr says what is wrong (first line), stdout holds the diff.
        err = proc.stderr.strip().splitlines() or [f"exited with status {proc.returncode}"]
        raise Fail(err[0], err[1:] + proc.stdout.splitlines())


def keyhole_table_names(text):
    """The backticked names in the first column of the table between the keyhole markers,
    in order (duplicates kept, so that they can be reported)."""
    lines = [line.strip() for line in text.splitlines()]
    begins = [i for i, line in enumerate(lines) if line == KEYHOLE_BEGIN]
    ends = [i for i, line in enumerate(lines) if line == KEYHOLE_END]
    if len(begins) != 1 or len(ends) != 1 or begins[0] > ends[0]:
        raise Fail(f"expected one `{KEYHOLE_BEGIN}` line followed by one `{KEYHOLE_END}` "
                   f"line (found {len(begins)} and {len(ends)})")
    names = []
    for line in lines[begins[0] + 1:ends[0]]:
        if not line.startswith("|"):
            continue
        first_cell = line.strip("|").split("|")[0]
        # The header row and the |---| row have no backticks and so contribute nothing.
        names += re.findall(r"`([^`]+)`", first_cell)
    return names


def check_keyhole(husk):
    """docs/THREAT_MODEL.md's keyhole table and count match `husk debug keyhole`."""
    need_husk(husk)
    proc = run([husk, "debug", "keyhole"], "husk debug keyhole")
    if proc.returncode != 0:
        raise Fail(f"husk debug keyhole exited with status {proc.returncode}",
                   proc.stderr.splitlines())
    allowed = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    if not allowed:
        raise Fail("husk debug keyhole printed nothing")

    doc_path = os.path.join(ROOT, "docs", "THREAT_MODEL.md")
    text = read_doc(doc_path)
    listed = keyhole_table_names(text)

    problems = []
    if not listed:
        problems.append("no backticked names in the first column of the keyhole table")
    dups = sorted({n for n in listed if listed.count(n) > 1})
    if dups:
        problems.append("listed more than once: " + ", ".join(dups))
    missing = sorted(set(allowed) - set(listed))
    extra = sorted(set(listed) - set(allowed))
    if missing:
        problems.append("allowed by husk but missing from the table: " + ", ".join(missing))
    if extra:
        problems.append("in the table but not allowed by husk: " + ", ".join(extra))

    counts = [int(n) for n in KEYHOLE_COUNT.findall(text)]
    if not counts:
        problems.append("no line `Host syscalls allowed after sealing: N`")
    for n in counts:
        if n != len(set(allowed)):
            problems.append(f"`Host syscalls allowed after sealing: {n}`, but husk allows "
                            f"{len(set(allowed))}")
    if problems:
        raise Fail(f"{rel(doc_path)} disagrees with husk debug keyhole", problems)


def check_one_syscall_insn(husk):
    """Exactly one `syscall` instruction in the disassembly: gate.S's."""
    objdump = need_tool("objdump")
    need_husk(husk)
    proc = run([objdump, "-d", "--no-show-raw-insn", husk])
    if proc.returncode != 0:
        raise Fail(f"objdump failed: {proc.stderr.strip()}")
    sites = []
    for line in proc.stdout.splitlines():
        # Instruction lines look like "   1e860:\tsyscall" (address, tab, mnemonic, operands).
        m = re.match(r"\s*([0-9a-f]+):\t(\S+)", line)
        if m and m.group(2) == "syscall":
            sites.append(m.group(1))
    if len(sites) != 1:
        raise Fail(f"expected exactly one syscall instruction, found {len(sites)}"
                   + (" at " + ", ".join("0x" + a for a in sites) if sites else ""))


def check_static(husk):
    """Statically linked: no PT_INTERP program header and no DT_NEEDED entries."""
    readelf = need_tool("readelf")
    need_husk(husk)
    problems = []
    phdrs = run([readelf, "-lW", husk])
    if phdrs.returncode != 0:
        raise Fail(f"readelf -lW failed: {phdrs.stderr.strip()}")
    if re.search(r"^\s*INTERP\s", phdrs.stdout, re.MULTILINE):
        interp = re.search(r"Requesting program interpreter: ([^\]]+)", phdrs.stdout)
        problems.append("has a program interpreter"
                        + (f" ({interp.group(1)})" if interp else ""))
    dyn = run([readelf, "-d", husk])
    if dyn.returncode != 0:
        raise Fail(f"readelf -d failed: {dyn.stderr.strip()}")
    needed = re.findall(r"\(NEEDED\).*\[(.*)\]", dyn.stdout)
    if needed:
        problems.append("needs shared libraries: " + ", ".join(needed))
    if problems:
        raise Fail("; ".join(problems))


def check_no_undefined(husk):
    """`nm -u` lists nothing: every symbol is resolved inside the binary."""
    nm = need_tool("nm")
    need_husk(husk)
    proc = run([nm, "-u", husk])
    if "no symbols" in proc.stderr:
        # A stripped binary has no symbol table; its dynamic one still shows what the
        # dynamic linker would have to resolve.
        proc = run([nm, "-u", "-D", husk])
        if "no symbols" in proc.stderr:
            return
    if proc.returncode != 0:
        raise Fail(f"nm -u failed: {proc.stderr.strip()}")
    undefined = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    if undefined:
        raise Fail(f"{len(undefined)} undefined symbol(s)", undefined)


def check_readme(husk):
    """README.md tells the reader about `make test` and `make demo`."""
    text = read_doc(os.path.join(ROOT, "README.md"))
    missing = [t for t in ("make test", "make demo") if t not in text]
    if missing:
        raise Fail("README.md does not mention " + " or ".join(f"`{t}`" for t in missing))


CHECKS = [
    ("syscalls-md", check_syscalls_md),
    ("keyhole", check_keyhole),
    ("one-syscall-insn", check_one_syscall_insn),
    ("static", check_static),
    ("no-undefined", check_no_undefined),
    ("readme", check_readme),
]


def main():
    ap = argparse.ArgumentParser(description="Check husk's docs and binary shape.")
    ap.add_argument("--husk", default=os.path.join(ROOT, "build", "husk"),
                    help="the husk binary (default: build/husk)")
    args = ap.parse_args()
    husk = os.path.abspath(args.husk)

    passed = failed = skipped = 0
    for name, check in CHECKS:
        try:
            check(husk)
        except Skip as e:
            print(f"SKIP {name}: {e}")
            skipped += 1
        except Fail as e:
            print(f"FAIL {name}: {e.reason}")
            for line in e.detail[:MAX_DETAIL]:
                print("    " + line)
            if len(e.detail) > MAX_DETAIL:
                print(f"    ... ({len(e.detail) - MAX_DETAIL} more lines)")
            failed += 1
        except Exception as e:  # a bug in a check must not hide the others' results
            print(f"FAIL {name}: internal error: {type(e).__name__}: {e}")
            failed += 1
        else:
            print(f"PASS {name}")
            passed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
