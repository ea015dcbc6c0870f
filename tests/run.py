#!/usr/bin/env python3
"""husk's test runner: differential tests (native run vs `husk run`) and security tests.

Usage (what `make test` runs):

    python3 tests/run.py --husk build/husk --build build/tests [-k FILTER] [-j N]

Other options: --timeout SECONDS (per case, default 30), --list, --keep (keep scratch
directories), -v (print commands and output of failures in full), --husk-cmd CMD (run the
"husk" side with CMD instead of the --husk binary; the special value `native` runs it
natively too, which exercises the runner and proves the cases deterministic without husk),
--fork-check (with --husk-cmd native: run that side under strace and fail any case whose
program forks, clones or execs, since husk cannot do that yet).

Cases, each printed as one line `PASS name`, `FAIL name: reason` (followed by an indented
diff) or `SKIP name: reason`, then one final line `N passed, N failed, N skipped`:

  guest/NAME[VARIANT]  tests/guest/NAME.c compiled as VARIANT (gcc: gcc -static,
                       gcc-pie: gcc -static-pie, musl: musl-gcc -static), run natively and
                       under husk; stdout, stderr, exit status and the scratch tree after the
                       run must match.
  dynamic/NAME         dynamically linked host programs   } from tests/host_cases.py,
  busybox/NAME         busybox applets on a --rw scratch  } compared the same way
  busybox-tmpfs/NAME   busybox sh scripts using the sandbox's /tmp
  busybox-sh/NAME      shell scripts (pipelines, subshells, jobs, traps...) run by
  bash/NAME            busybox sh and by bash (SHELL_CASES), likewise
  security/NAME        tests/security/NAME.c (gcc -static), run under husk only, checked
                       against the expectations in its header.

Every run gets a fresh scratch directory as its working directory (the husk run sees it at
the same path via `--rw SCRATCH:SCRATCH --cwd SCRATCH`), stdin from /dev/null, umask 022,
and the fixed environment CLEAN_ENV (husk: --clearenv plus --env for each variable). An exit
status is the process's, or 128+N when it was killed by signal N.

Directives: a .c file's leading `//` comment block may hold `// NAME: VALUE` lines (other
comment text is fine; an unknown hyphenated NAME is reported as a misspelt directive):

  args: ARGS               program arguments (shell quoting; placeholders below)
  husk-args: OPTIONS       extra `husk run` options, placed before the runner's own
  env: K=V                 add K=V to the environment of both runs (repeatable)
  stdin: TEXT              feed TEXT (backslash escapes like \\n allowed) to stdin
  compare: all|stdout|status
                           what to compare: everything (default), stdout and status
                           (ignore stderr), or only the exit status
  expect-status: N         guest: the native run must exit with N (default 0), or the test
                           itself is broken on this host; security: husk's status must be N
  expect-stdout: LINE      security: one expected stdout line (repeatable, in order); when
                           given, stdout must be exactly these lines
  variants: V...           build only these variants (of gcc gcc-pie musl)
  cflags: FLAGS            extra compiler flags
  timeout: SECONDS         per-case timeout instead of the default
  native-only: REASON      run natively only (checking expect-status); the case reports
                           SKIP with REASON. For programs husk is known not to support yet.
  skip: REASON             do not run at all; report SKIP with REASON
  check-no-husk-procs      guest: after each run (native and husk) wait up to 2 seconds for
                           every other process of the run to end, then fail the case if
                           any is still alive (killing it). A run is the leader of a new
                           session and everything it starts stays in that session (husk's
                           guest processes are host processes of its session), so the
                           session's live members are exactly its leftovers; zombies are
                           ignored (the host's init may be slow to reap orphans)
  setup-dir: PATH          create directory PATH in the scratch directory before each run
  setup-file: PATH=TEXT    create file PATH holding TEXT (backslash escapes allowed)
  setup-symlink: PATH -> TARGET
                           create symlink PATH pointing at TARGET
  check-unchanged: PATH    security: PATH (relative: in scratch; absolute: host path; a
                           directory means its whole tree) must have identical contents,
                           modes, owners, mtimes and ctimes before and after the husk run
  check-absent: PATH       security: PATH must not exist on the host after the husk run
  husk-gate-arg            security: append the address printed by `husk debug
                           gate-address` to the arguments; SKIP if that command fails.
                           Both that command and the run go through `setarch -R` (no
                           ASLR) when available, so that husk loads at the same address
  no-scratch-mount         security: do not add `--rw SCRATCH:SCRATCH --cwd SCRATCH` to the
                           husk command (the sandbox starts in husk's default directory)
  husk-program: PATH       security: the program's path inside the sandbox, when the
                           husk-args mount it somewhere else than at its host path
  husk-canary              security: first run the program as `PROGRAM --canary DIR`, where
                           DIR is a host directory outside every --rw mount holding
                           existing.txt; the program must write into DIR (through the
                           default writable layer). If anything reaches the host DIR, the
                           case fails without its real run (which would damage the host)

Placeholders in args and husk-args: {scratch} (the scratch directory), {bin} (the test
binary), {bindir} (its directory), {build} (the --build directory), {tests} (tests/).
Setup entries get the fixed mtime 2020-01-01 00:00:00 UTC (files 0644, directories 0755).
"""

import argparse
import codecs
import concurrent.futures
import difflib
import fnmatch
import hashlib
import os
import re
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import host_cases  # noqa: E402  (lives next to this file)

# The environment of every test program, native or in husk.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/", "LANG": "C", "TZ": "UTC"}
# The mtime given to everything the runner creates before a run: 2020-01-01 00:00:00 UTC.
FIXED_MTIME = 1577836800

CFLAGS = ["-std=c11", "-O2", "-g", "-Wall", "-Wextra"]
VARIANTS = {  # name -> compiler command
    "gcc": ["gcc", "-static"],
    "gcc-pie": ["gcc", "-static-pie"],
    "musl": ["musl-gcc", "-static"],
}
SECURITY_CC = ["gcc", "-static"]
BUSYBOX = "/bin/busybox"

DIFF_LINES = 40  # a failure shows at most this many diff lines (unless -v)

KNOWN_DIRECTIVES = {
    "args", "husk-args", "env", "stdin", "compare", "expect-status", "expect-stdout",
    "variants", "cflags", "timeout", "native-only", "skip", "setup-dir", "setup-file",
    "setup-symlink", "check-unchanged", "check-absent", "husk-gate-arg", "husk-canary",
    "no-scratch-mount", "husk-program", "check-no-husk-procs",
}
# directives without a value
FLAGS = {"husk-gate-arg", "husk-canary", "no-scratch-mount", "check-no-husk-procs"}
REPEATABLE = {"env", "expect-stdout", "setup-dir", "setup-file", "setup-symlink",
              "check-unchanged", "check-absent"}


# ---------------------------------------------------------------------------------------
# Results and small helpers


@dataclass
class Result:
    status: str  # "PASS", "FAIL" or "SKIP"
    name: str
    reason: str = ""
    details: list = field(default_factory=list)  # extra lines, printed indented


class Failure(Exception):
    """Raised inside a case to fail it with a reason and optional detail lines."""

    def __init__(self, reason, details=None):
        super().__init__(reason)
        self.reason = reason
        self.details = details or []


class Skip(Exception):
    """Raised inside a case to skip it."""


def unescape(text):
    """Decodes backslash escapes (\\n, \\t, \\\\, \\x41...) in a directive value."""
    return codecs.decode(text.encode("utf-8"), "unicode_escape").encode("latin-1").decode(
        "utf-8")


def exit_status(returncode):
    """A subprocess return code as a shell would show it: 128+N for death by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def describe_status(status):
    if status is None:
        return "timed out"
    if status > 128 and status - 128 < 65:
        try:
            return "%d (killed by %s)" % (status, signal.Signals(status - 128).name)
        except ValueError:
            pass
    return str(status)


def text_diff(a, b, label_a, label_b, limit):
    """A unified diff of two byte strings, decoded leniently, limited to `limit` lines."""
    lines = list(difflib.unified_diff(
        a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines(),
        label_a, label_b, lineterm="", n=2))
    if limit and len(lines) > limit:
        lines = lines[:limit] + ["... (%d more diff lines; -v shows all)" % (len(lines) - limit)]
    return lines


def output_tail(r, n=10):
    """The last n lines of a run's stdout and stderr, labelled, for failure reports."""
    return (["stdout: " + l for l in r.stdout.decode(errors="replace").splitlines()[-n:]]
            + ["stderr: " + l for l in r.stderr.decode(errors="replace").splitlines()[-n:]])


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


# ---------------------------------------------------------------------------------------
# Directives


def parse_directives(path):
    """Reads the `// name: value` lines of a source file's leading comment block. An
    unknown hyphenated name there is an error (a misspelt directive)."""
    d = {}
    for line in Path(path).read_text().splitlines():
        s = line.strip()
        if not s:
            continue
        if not s.startswith("//"):
            break
        m = re.match(r"//\s*([a-z][a-z0-9-]*)(?:\s*:\s?(.*))?$", s)
        if not m or (m.group(2) is None and m.group(1) not in FLAGS):
            continue  # ordinary comment text
        key, value = m.group(1), (m.group(2) or "").rstrip()
        if key not in KNOWN_DIRECTIVES:
            if "-" in key:  # looks like a misspelt directive: do not silently ignore it
                raise ValueError("%s: unknown directive %r" % (path, key))
            continue  # prose such as "// epoll: what this tests"
        if key in REPEATABLE:
            d.setdefault(key, []).append(value)
        elif key in d:
            raise ValueError("%s: directive %r given twice" % (path, key))
        else:
            d[key] = value if key not in FLAGS else True
    if d.get("compare", "all") not in ("all", "stdout", "status"):
        raise ValueError("%s: compare must be all, stdout or status" % path)
    return d


def tree_from_directives(d):
    """Turns setup-* directives into a tree spec like host_cases.DEFAULT_TREE."""
    tree = {}
    for p in d.get("setup-dir", []):
        tree[p.rstrip("/") + "/"] = None
    for spec in d.get("setup-file", []):
        p, sep, text = spec.partition("=")
        if not sep:
            raise ValueError("setup-file needs PATH=TEXT: %r" % spec)
        tree[p.strip()] = unescape(text)
    for spec in d.get("setup-symlink", []):
        p, sep, target = spec.partition("->")
        if not sep:
            raise ValueError("setup-symlink needs PATH -> TARGET: %r" % spec)
        tree[p.strip()] = host_cases.Link(target.strip())
    return tree


# ---------------------------------------------------------------------------------------
# Scratch trees


def build_tree(root, tree):
    """Creates the tree spec under root with fixed modes and mtimes (root included)."""
    created = []
    for rel in sorted(tree, key=lambda k: k.count("/")):
        value = tree[rel]
        p = root / rel.rstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("/"):
            p.mkdir(exist_ok=True)
            os.chmod(p, 0o755)
        elif isinstance(value, host_cases.Link):
            os.symlink(value.target, p)
        else:
            p.write_bytes(value if isinstance(value, bytes) else value.encode())
            os.chmod(p, 0o644)
        created.append(p)
    # deepest first, so that setting a directory's time is not undone by its children
    for p in sorted(created, key=lambda q: -len(q.parts)):
        os.utime(p, (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
    os.chmod(root, 0o755)
    os.utime(root, (FIXED_MTIME, FIXED_MTIME))


def fresh_dir(path):
    """Makes path an empty directory."""
    if path.exists() or path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
        if path.exists():  # e.g. a test left a directory without write permission
            for dirpath, dirnames, _ in os.walk(path):
                for n in dirnames:
                    os.chmod(os.path.join(dirpath, n), 0o755)
            shutil.rmtree(path)
    path.mkdir(parents=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def snapshot(root, times=False):
    """Lists everything under root, sorted: type, permissions, size/contents or link target.
    With times=True also owners, mtimes and ctimes (for "the host saw no change" checks)."""
    root = Path(root)
    out = []

    def entry(p, rel):
        st = os.lstat(p)
        line = "%s %04o" % (rel, stat.S_IMODE(st.st_mode))
        if stat.S_ISLNK(st.st_mode):
            line += " link -> " + os.readlink(p)
        elif stat.S_ISDIR(st.st_mode):
            line += " dir"
        elif stat.S_ISREG(st.st_mode):
            line += " file %d bytes sha256:%s" % (st.st_size, sha256(p))
        else:
            line += " other"
        if times:
            line += " uid=%d gid=%d mtime=%d ctime=%d" % (st.st_uid, st.st_gid, st.st_mtime_ns,
                                                        st.st_ctime_ns)
        out.append(line)

    if not root.exists() and not root.is_symlink():
        return ["(absent)"]
    if times or not root.is_dir():
        entry(root, ".")
    if root.is_dir() and not root.is_symlink():
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for n in sorted(dirnames + filenames):
                p = os.path.join(dirpath, n)
                entry(p, os.path.relpath(p, root))
    return out


# ---------------------------------------------------------------------------------------
# Running one process


@dataclass
class Run:
    argv: list
    stdout: bytes = b""
    stderr: bytes = b""
    status: int = None  # None: timed out
    leftovers: list = field(default_factory=list)  # processes left running (check_procs)

    def show_cmd(self):
        return " ".join(shlex.quote(a) for a in self.argv)


LEFTOVER_GRACE = 2.0  # seconds a run's other processes get to vanish after it exits


def session_processes(sid):
    """The live (not zombie) processes of session sid, as description strings."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) != sid or fields[0] in "ZX":
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % d)
        except OSError:
            exe = "?"
        try:
            with open("/proc/%s/wchan" % d) as f:
                wchan = f.read().strip() or "-"
        except OSError:
            wchan = "?"
        found.append((int(d), "pid %s state %s wchan %s exe %s" % (d, fields[0], wchan, exe)))
    return found


def run_process(argv, cwd, env, stdin, timeout, check_procs=False):
    """Runs argv in its own process group, feeding it stdin (bytes, or None for /dev/null);
    on timeout kills the whole group (status None).

    With check_procs, also looks for processes of the run that outlive it: every run is
    the leader of a new session, and the processes it starts (natively, or the host
    processes of husk's guest processes) stay in that session. Once the leader has exited,
    any live member still there after LEFTOVER_GRACE seconds is listed in r.leftovers and
    killed (otherwise it would hold the output pipes open until the timeout)."""
    r = Run(argv)
    try:
        p = subprocess.Popen(argv, cwd=cwd, env=env,
                             stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    except OSError as e:
        r.stderr = ("runner: cannot start %s: %s" % (argv[0], e)).encode()
        r.status = 127
        return r
    if not check_procs:
        try:
            r.stdout, r.stderr = p.communicate(stdin, timeout=max(timeout, 0.1))
            r.status = exit_status(p.returncode)
        except subprocess.TimeoutExpired:
            kill_group(p.pid)
            r.stdout, r.stderr = p.communicate()
        return r

    deadline = time.monotonic() + max(timeout, 0.1)
    talked = {}

    def talk():  # reads the output until every holder of the pipes is gone
        talked["out"] = p.communicate(stdin)

    reader = threading.Thread(target=talk, daemon=True)
    reader.start()
    try:
        p.wait(timeout=max(deadline - time.monotonic(), 0.1))
        r.status = exit_status(p.returncode)
    except subprocess.TimeoutExpired:
        kill_group(p.pid)
    else:
        grace = time.monotonic() + LEFTOVER_GRACE
        left = session_processes(p.pid)
        while left and time.monotonic() < grace:
            time.sleep(0.02)
            left = session_processes(p.pid)
        r.leftovers = [desc for _, desc in left]
        for pid, _ in left:  # members of this run's own session: ours to end
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    reader.join(max(deadline - time.monotonic(), 1.0))
    if reader.is_alive():  # something outside the session holds the pipes
        r.status = None
        kill_group(p.pid)
        reader.join(5)
    r.stdout, r.stderr = talked.get("out", (b"", b""))
    return r


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------------------------------
# The execution context shared by all cases


class Context:
    def __init__(self, args):
        self.args = args
        self.build = Path(args.build).resolve()
        self.native = args.husk_cmd == "native"
        if args.husk_cmd and not self.native:
            self.husk = shlex.split(args.husk_cmd)
        else:
            self.husk = [str(Path(args.husk).resolve())]
        self.timeout = args.timeout
        self.verbose = args.verbose
        self.fork_check = args.fork_check
        scratch_root = self.build / "scratch"
        if self.masked(str(scratch_root)):
            # Scratch directories must be host paths the sandbox can show as they are: a
            # build tree below /tmp (which the sandbox replaces) gets them in /var/tmp.
            scratch_root = Path("/var/tmp/husk-tests-scratch")
        scratch_root.mkdir(parents=True, exist_ok=True)
        self.run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=scratch_root))
        self.have_musl = shutil.which("musl-gcc") is not None
        self.compile_lock = threading.Lock()
        self.compiling = {}  # output path -> threading.Lock, so each binary builds once

    def case_dir(self, name):
        d = self.run_dir / sanitize(name)
        d.mkdir(parents=True, exist_ok=True)
        return d

    # Host paths the sandbox replaces with its own file systems by default: a build tree
    # below one of them (a checkout in /tmp, say) is invisible inside unless mounted.
    MASKED_PREFIXES = ("/tmp", "/dev", "/proc", "/sys")

    @classmethod
    def masked(cls, path):
        return any(path == p or path.startswith(p + "/") for p in cls.MASKED_PREFIXES)

    def visible_mounts(self, argv):
        """A --ro mount of the program's directory when it lies below a path the sandbox
        masks (a checkout in /tmp), so that the sandbox can find the program."""
        if not argv or not str(argv[0]).startswith("/"):
            return []
        d = os.path.dirname(str(argv[0]))
        return ["--ro", "%s:%s" % (d, d)] if self.masked(d) else []

    def husk_argv(self, extra_opts, scratch, env, argv, scratch_mount=True):
        """The `husk run` command line for argv (the husk side of a case)."""
        cmd = list(self.husk) + ["run"] + self.visible_mounts(argv) + list(extra_opts)
        if scratch_mount:
            cmd += ["--rw", "%s:%s" % (scratch, scratch), "--cwd", str(scratch)]
        cmd += ["--clearenv"]
        for k, v in env.items():
            cmd += ["--env", "%s=%s" % (k, v)]
        return cmd + ["--"] + list(argv)

    def compile(self, cc, src, out, extra_flags=()):
        """Builds out from src unless it is up to date; raises Failure on compiler errors."""
        with self.compile_lock:
            lock = self.compiling.setdefault(str(out), threading.Lock())
        with lock:
            deps = [src, TESTS / "guest" / "t.h", TESTS / "security" / "hostile.h", Path(__file__)]
            if out.exists() and out.stat().st_mtime >= max(p.stat().st_mtime for p in deps):
                return
            out.parent.mkdir(parents=True, exist_ok=True)
            # a private temporary name: another runner may be building the same binary
            tmp = out.with_name("%s.%d.%d.tmp" % (out.name, os.getpid(), threading.get_ident()))
            cmd = cc + CFLAGS + list(extra_flags) + ["-o", str(tmp), str(src)]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise Failure("compile failed: " + " ".join(cmd),
                              p.stdout.decode(errors="replace").splitlines()[:30])
            os.replace(tmp, out)


# ---------------------------------------------------------------------------------------
# Differential cases


@dataclass
class Diff:
    """A differential case: steps run natively, then under husk; everything compared."""

    name: str
    steps: list  # each an argv list; may contain placeholders {tmp}
    tree: dict = field(default_factory=dict)
    stdin: bytes = None  # None: /dev/null
    compare: str = "all"
    sort: bool = False
    snapshot: bool = True
    tmpfs: bool = False
    husk_opts: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    expect_status: int = None  # required native status of the last step, if any
    native_only: str = None
    timeout: float = None
    prepare: object = None  # callable(ctx) run first (compiles), may raise Skip/Failure
    skip: str = None
    check_procs: bool = False  # fail if a run leaves processes behind (check-no-husk-procs)

    def run(self, ctx):
        if self.skip:
            raise Skip(self.skip)
        if self.prepare:
            self.prepare(ctx)
        base = ctx.case_dir(self.name)
        scratch, tmp = base / "scratch", base / "tmp"
        deadline = time.monotonic() + (self.timeout or ctx.timeout)

        native = self.run_side(ctx, "native", scratch, tmp, deadline)
        self.check_native(native)
        if self.native_only:
            raise Skip("native-only: " + self.native_only)
        husk = self.run_side(ctx, "husk", scratch, tmp, deadline)
        self.compare_sides(ctx, native, husk)

    def run_side(self, ctx, side, scratch, tmp, deadline):
        """Runs all steps for one side in a fresh scratch; returns (runs, tree snapshot)."""
        fresh_dir(scratch)
        build_tree(scratch, self.tree)
        env = dict(CLEAN_ENV, **self.env)
        in_husk = side == "husk" and not ctx.native
        if self.tmpfs and not in_husk:
            fresh_dir(tmp)
            os.chmod(tmp, 0o1777)
        tmp_path = "/tmp" if in_husk else str(tmp)
        runs = []
        for i, step in enumerate(self.steps):
            argv = [a.replace("{tmp}", tmp_path) for a in step]
            trace = None
            if in_husk:
                argv = ctx.husk_argv(self.husk_opts, scratch, env, argv)
            elif side == "husk" and ctx.fork_check:
                trace = scratch.parent / ("strace.%d" % i)
                argv = ["strace", "-f", "-qq", "-o", str(trace), "-e",
                        "trace=fork,vfork,clone,clone3,execve"] + argv
            r = run_process(argv, scratch, env, self.stdin, deadline - time.monotonic(),
                            check_procs=self.check_procs)
            if r.leftovers:
                raise Failure("%s side left %d process%s running after it exited (step %d)"
                              % (side, len(r.leftovers), "" if len(r.leftovers) == 1 else "es",
                                 i + 1),
                              ["command: " + r.show_cmd()] + r.leftovers + output_tail(r))
            if r.status is None:
                raise Failure("%s side timed out (step %d)" % (side, i + 1),
                              ["command: " + r.show_cmd()] + output_tail(r))
            if self.tmpfs and not in_husk:
                r.stdout = r.stdout.replace(str(tmp).encode(), b"/tmp")
                r.stderr = r.stderr.replace(str(tmp).encode(), b"/tmp")
            if trace:
                self.check_no_fork(trace)
            runs.append(r)
        tree = snapshot(scratch) if self.snapshot else []
        return runs, tree

    @staticmethod
    def check_no_fork(trace):
        """Fails if strace saw a fork/clone, or an execve besides the one starting it."""
        lines = trace.read_text().splitlines()
        forks = [l for l in lines if re.search(r"\b(v?fork|clone3?)\(", l)]
        execs = [l for l in lines if re.search(r"\bexecve\(", l)]
        if forks or len(execs) > 1:
            raise Failure("fork-check: the program forks or execs (husk cannot yet)",
                          (forks + execs[1:])[:10])

    def check_native(self, native):
        runs, _ = native
        if self.expect_status is not None and runs[-1].status != self.expect_status:
            r = runs[-1]
            raise Failure("native run exited %s, expected %d: the test is broken on this host"
                          % (describe_status(r.status), self.expect_status),
                          ["command: " + r.show_cmd()] + output_tail(r, 15))

    def compare_sides(self, ctx, native, husk):
        limit = 0 if ctx.verbose else DIFF_LINES
        problems, details = [], []
        for i, (n, h) in enumerate(zip(native[0], husk[0])):
            where = "step %d: " % (i + 1) if len(self.steps) > 1 else ""
            out_n, out_h = n.stdout, h.stdout
            if self.sort:
                out_n = b"\n".join(sorted(out_n.splitlines()))
                out_h = b"\n".join(sorted(out_h.splitlines()))
            mismatch, stderr_shown = False, False
            if n.status != h.status:
                problems.append("%sexit status %s native, %s husk" % (
                    where, describe_status(n.status), describe_status(h.status)))
                mismatch = True
            if self.compare != "status" and out_n != out_h:
                problems.append(where + "stdout differs")
                details += text_diff(out_n, out_h, "native stdout", "husk stdout", limit)
                mismatch = True
            if self.compare == "all" and n.stderr != h.stderr:
                problems.append(where + "stderr differs")
                details += text_diff(n.stderr, h.stderr, "native stderr", "husk stderr", limit)
                mismatch = stderr_shown = True
            if mismatch:
                details.insert(0, "husk command: " + h.show_cmd())
                if not stderr_shown:  # husk's own messages may explain the difference
                    details += [l for l in output_tail(h) if l.startswith("stderr: ")]
                break  # later steps depend on this one
        else:
            if self.snapshot and native[1] != husk[1]:
                problems.append("scratch tree after the run differs")
                details += text_diff("\n".join(native[1]).encode(), "\n".join(husk[1]).encode(),
                                     "native tree", "husk tree", limit)
        if problems:
            raise Failure("; ".join(problems), details)


@dataclass
class Broken:
    """A case whose source could not even be parsed: it fails with that error."""

    name: str
    error: str

    def run(self, ctx):
        raise Failure(self.error)


def guest_cases(build):
    """One Diff per tests/guest/*.c and compiler variant."""
    cases = []
    for src in sorted((TESTS / "guest").glob("*.c")):
        name = src.stem
        try:
            d = parse_directives(src)
            tree = tree_from_directives(d)
            wanted = d.get("variants", " ".join(VARIANTS)).split()
            unknown = set(wanted) - set(VARIANTS)
            if unknown:
                raise ValueError("%s: unknown variants %s" % (src, " ".join(sorted(unknown))))
            cases += [make_guest_case(name, v, src, build / "guest" / ("%s.%s" % (name, v)),
                                      d, tree) for v in VARIANTS if v in wanted]
        except ValueError as e:  # bad directives (int() errors included)
            cases.append(Broken("guest/" + name, str(e)))
    return cases


def expand(text, binary, scratch, build):
    return (text.replace("{bin}", str(binary)).replace("{bindir}", str(binary.parent))
            .replace("{scratch}", str(scratch)).replace("{build}", str(build))
            .replace("{tests}", str(TESTS)))


def make_guest_case(name, variant, src, binary, d, tree):
    case_name = "guest/%s[%s]" % (name, variant)

    def prepare(ctx):
        if variant == "musl" and not ctx.have_musl:
            raise Skip("musl-gcc not found (install musl-tools)")
        ctx.compile(VARIANTS[variant], src, binary, shlex.split(d.get("cflags", "")))
        # placeholders depend on the scratch path, known only now
        scratch = ctx.run_dir / sanitize(case_name) / "scratch"
        case.steps = [[str(binary)] + [expand(a, binary, scratch, ctx.build)
                                       for a in shlex.split(d.get("args", ""))]]
        case.husk_opts = [expand(a, binary, scratch, ctx.build)
                          for a in shlex.split(d.get("husk-args", ""))]

    env = dict(kv.split("=", 1) for kv in d.get("env", []))
    stdin = unescape(d["stdin"]).encode() if "stdin" in d else None
    case = Diff(case_name, [], tree=tree, stdin=stdin,
                compare=d.get("compare", "all"), env=env,
                expect_status=int(d.get("expect-status", "0")),
                native_only=d.get("native-only"), skip=d.get("skip"),
                timeout=float(d["timeout"]) if "timeout" in d else None, prepare=prepare,
                check_procs=bool(d.get("check-no-husk-procs")))
    return case


def host_program_cases():
    """Diff cases for tests/host_cases.py."""
    cases = []
    for hc in host_cases.DYNAMIC_CASES + host_cases.BUSYBOX_CASES + host_cases.SHELL_CASES:
        steps = [shlex.split(s) if isinstance(s, str) else list(s) for s in hc.steps]
        tree = host_cases.DEFAULT_TREE if hc.tree is None else hc.tree
        case = Diff(hc.name, steps, tree=tree,
                    stdin=None if hc.stdin is None else hc.stdin.encode(),
                    compare=hc.compare, sort=hc.sort,
                    snapshot=hc.snapshot, tmpfs=hc.tmpfs, check_procs=hc.check_procs)
        missing = sorted({s[0] for s in steps if not os.access(s[0], os.X_OK)})
        if missing:
            case.skip = "not installed: " + ", ".join(missing) + (
                " (install busybox-static)" if BUSYBOX in missing else "")
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------
# Security cases


@dataclass
class Security:
    name: str
    src: Path
    binary: Path

    def run(self, ctx):
        d = parse_directives(self.src)
        if d.get("skip"):
            raise Skip(d["skip"])
        if ctx.native:
            raise Skip("security cases only make sense under husk (native mode)")
        ctx.compile(SECURITY_CC, self.src, self.binary, shlex.split(d.get("cflags", "")))
        base = ctx.case_dir(self.name)
        scratch = base / "scratch"
        fresh_dir(scratch)
        build_tree(scratch, tree_from_directives(d))
        ex = lambda a: expand(a, self.binary, scratch, ctx.build)  # noqa: E731
        program = ex(d.get("husk-program", str(self.binary)))
        argv = [program] + [ex(a) for a in shlex.split(d.get("args", ""))]
        mount = not d.get("no-scratch-mount")
        # the gate address must be valid in the run's process: same layout, no ASLR
        no_aslr = (["setarch", "x86_64", "-R"]
                   if d.get("husk-gate-arg") and shutil.which("setarch") else [])
        if d.get("husk-gate-arg"):
            argv.append(self.gate_address(ctx, no_aslr))

        def host_path(p):
            return Path(p) if os.path.isabs(p) else scratch / p

        watched = {p: snapshot(host_path(p), times=True) for p in d.get("check-unchanged", [])}
        for p in d.get("check-absent", []):
            if os.path.lexists(host_path(p)):
                raise Failure("precondition: %s exists before the run" % host_path(p))

        env = dict(CLEAN_ENV, **dict(kv.split("=", 1) for kv in d.get("env", [])))
        opts = [ex(a) for a in shlex.split(d.get("husk-args", ""))]
        timeout = float(d.get("timeout", ctx.timeout))
        if d.get("husk-canary"):
            self.canary(ctx, base, scratch, opts, env, timeout, program, mount)
        cmd = no_aslr + ctx.husk_argv(opts, scratch, env, argv, mount)
        stdin = unescape(d["stdin"]).encode() if "stdin" in d else None
        r = run_process(cmd, scratch, env, stdin, timeout)

        problems, details = [], ["husk command: " + r.show_cmd()]
        want_status = int(d.get("expect-status", "0"))
        if r.status != want_status:
            problems.append("exit status %s, expected %s" % (describe_status(r.status),
                                                             describe_status(want_status)))
        if "expect-stdout" in d:
            want = ("\n".join(d["expect-stdout"]) + "\n").encode()
            if r.stdout != want:
                problems.append("stdout differs from the expectation")
                details += text_diff(want, r.stdout, "expected stdout", "husk stdout",
                                     0 if ctx.verbose else DIFF_LINES)
        for p, before in watched.items():
            after = snapshot(host_path(p), times=True)
            if after != before:
                problems.append("host %s changed" % host_path(p))
                details += text_diff("\n".join(before).encode(), "\n".join(after).encode(),
                                     "before", "after", DIFF_LINES)
        for p in d.get("check-absent", []):
            if os.path.lexists(host_path(p)):
                problems.append("host %s was created" % host_path(p))
        if problems:
            tail = output_tail(r, 15)
            if "expect-stdout" in d:  # stdout is in the diff already
                tail = [l for l in tail if l.startswith("stderr: ")]
            raise Failure("; ".join(problems), details + tail)

    def canary(self, ctx, base, scratch, opts, env, timeout, program, mount):
        """The husk-canary directive: proves writes outside the --rw mounts stay in the
        sandbox before the real run writes somewhere that matters."""
        canary = base / "canary"
        temporary = Context.masked(str(canary.resolve()))
        if temporary:
            # The canary must be a host directory the sandbox shows through its default
            # writable layer: not below a path the sandbox masks.
            canary = Path(tempfile.mkdtemp(prefix="husk-canary-", dir="/var/tmp"))
        try:
            fresh_dir(canary)
            build_tree(canary, {"existing.txt": "canary\n"})
            before = snapshot(canary, times=True)
            cmd = ctx.husk_argv(opts, scratch, env, [program, "--canary", str(canary)], mount)
            r = run_process(cmd, scratch, env, None, timeout)
            after = snapshot(canary, times=True)
            details = ["husk command: " + r.show_cmd()]
            if after != before:
                raise Failure("canary: a sandboxed write reached the host, so the real run was "
                              "not attempted", details + text_diff(
                                  "\n".join(before).encode(), "\n".join(after).encode(),
                                  "host before", "host after", DIFF_LINES))
            if r.status != 0:
                raise Failure("canary run exited %s, expected 0" % describe_status(r.status),
                              details + output_tail(r))
        finally:
            if temporary:
                shutil.rmtree(canary, ignore_errors=True)

    @staticmethod
    def gate_address(ctx, prefix):
        """What `husk debug gate-address` prints (a hex address), or Skip."""
        try:
            p = subprocess.run(prefix + ctx.husk + ["debug", "gate-address"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Skip("`husk debug gate-address` failed: %s" % e)
        out = p.stdout.decode(errors="replace").strip()
        if p.returncode != 0 or not re.fullmatch(r"(0x)?[0-9a-fA-F]+", out):
            first = out.splitlines()[0] if out else "no output"
            raise Skip("`husk debug gate-address` failed (status %d: %s)" % (p.returncode,
                                                                              first))
        return out


def security_cases(build):
    return [Security("security/" + src.stem, src, build / "security" / src.stem)
            for src in sorted((TESTS / "security").glob("*.c"))]


# ---------------------------------------------------------------------------------------
# Main


def run_case(case, ctx):
    try:
        case.run(ctx)
        return Result("PASS", case.name)
    except Skip as e:
        return Result("SKIP", case.name, str(e))
    except Failure as e:
        return Result("FAIL", case.name, e.reason, e.details)
    except Exception as e:  # a runner bug or an environment problem: report, keep going
        return Result("FAIL", case.name, "runner error: %s: %s" % (type(e).__name__, e))


def selected(name, filters):
    if not filters:
        return True
    for f in filters:
        if "*" in f or "?" in f:  # a glob, matched anywhere; "[" stays literal
            if fnmatch.fnmatchcase(name, "*" + f.replace("[", "[[]") + "*"):
                return True
        elif f in name:
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--husk", default="build/husk", help="the husk binary (default build/husk)")
    ap.add_argument("--build", default="build/tests",
                    help="where test binaries and scratch directories go (default build/tests)")
    ap.add_argument("-k", dest="filters", action="append", default=[], metavar="FILTER",
                    help="run only cases whose name contains FILTER (or matches it, if it "
                         "has * or ?); repeatable")
    ap.add_argument("-j", dest="jobs", type=int, default=2, help="parallel cases (default 2)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per case (default 30)")
    ap.add_argument("--husk-cmd", help="command for the husk side instead of --husk; "
                                       "'native' runs that side natively too")
    ap.add_argument("--fork-check", action="store_true",
                    help="with --husk-cmd native: fail cases whose programs fork or exec")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument("-v", "--verbose", action="store_true", help="show full diffs")
    args = ap.parse_args()

    os.umask(0o022)
    # no core dumps from the many deliberately crashing programs
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))

    build = Path(args.build).resolve()
    cases = guest_cases(build) + host_program_cases() + security_cases(build)
    cases = [c for c in cases if selected(c.name, args.filters)]
    if args.list:
        for c in cases:
            print(c.name)
        return 0
    if args.fork_check and args.husk_cmd != "native":
        ap.error("--fork-check needs --husk-cmd native")
    if args.fork_check and not shutil.which("strace"):
        ap.error("--fork-check needs strace")
    if not args.husk_cmd and not os.access(args.husk, os.X_OK):
        print("error: husk binary %s not found or not executable (build it first, or use "
              "--husk-cmd native to check the tests themselves)" % args.husk, file=sys.stderr)
        return 2

    ctx = Context(args)
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    failed = []
    print_lock = threading.Lock()

    def report(res):
        with print_lock:
            counts[res.status] += 1
            if res.status == "PASS":
                print("PASS " + res.name)
            else:
                print("%s %s: %s" % (res.status, res.name, res.reason))
                for line in res.details:
                    print("    " + line)
                if res.status == "FAIL":
                    failed.append(res.name)
            sys.stdout.flush()

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_case, c, ctx) for c in cases]
            for fut in concurrent.futures.as_completed(futures):
                report(fut.result())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print("scratch directories kept in %s" % ctx.run_dir, file=sys.stderr)
        else:
            shutil.rmtree(ctx.run_dir, ignore_errors=True)

    if failed:
        print("failed: " + " ".join(sorted(failed)))
    print("%d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"],
                                                counts["SKIP"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
