"""Differential cases that run host programs: dynamically linked system binaries and
busybox applets. Each case is one line; run.py turns them into test cases.

A case runs one or more steps (command lines, split with shell quoting rules but never run
through a shell) in a fresh scratch directory holding a fixed tree (DEFAULT_TREE unless the
case gives its own), first natively and then under husk, and compares every step's stdout,
stderr and exit status, and finally the scratch tree (names, types, permissions, contents,
symlink targets; not times). Options:

    stdin="..."        text fed to every step (default: /dev/null)
    compare="status"   compare only exit statuses; "stdout" ignores stderr; default "all"
    sort=True          sort stdout lines before comparing (for readdir-order output)
    tree={...}         scratch contents instead of DEFAULT_TREE
    snapshot=False     do not compare the scratch tree afterwards
    tmpfs=True         the steps use the sandbox's own /tmp (an empty tmpfs): write {tmp}
                       for it. Natively {tmp} is an empty directory standing in for it, and
                       that directory's path is shown as "/tmp" in the output.

Steps must not need fork (husk has none yet): run each applet directly, and in `sh -c`
scripts use only shell builtins (echo, printf, read, test/[, cd, pwd, :, exit, set, ...)
and redirections. `python3 tests/run.py --husk-cmd native --fork-check` verifies that.
"""

from dataclasses import dataclass, field


@dataclass
class Link:
    """A symlink in a tree spec."""

    target: str


# Scratch contents for every case unless it says otherwise. Keys ending in "/" are
# directories; values are file contents (str or bytes) or Link. All entries get the fixed
# mtime 2020-01-01 00:00:00 UTC; files are 0644 and directories 0755.
DEFAULT_TREE = {
    "words.txt": "pear\napple\nfig\napple\nbanana\ncherry\n",
    "nums.txt": "10\n9\n100\n1\n-3\n",
    "table.csv": "name,qty,price\napple,3,1.5\npear,10,0.25\nfig,7,2\n",
    "bin.dat": bytes(range(256)),
    "dir/": None,
    "dir/a.txt": "alpha\n",
    "dir/sub/": None,
    "dir/sub/b.txt": "beta\nbeta\n",
    "dir/link": Link("a.txt"),
    "empty/": None,
}

# The tree that the dynamic /bin/ls case lists.
LS_TREE = {
    "tree/": None,
    "tree/small.txt": "x\n",
    "tree/big.bin": bytes(5000),
    "tree/empty": "",
    "tree/link": Link("small.txt"),
    "tree/dangling": Link("nowhere"),
    "tree/sub/": None,
    "tree/sub/inner.txt": "inner\n",
}


@dataclass
class HostCase:
    name: str
    steps: list
    stdin: str = None
    compare: str = "all"
    sort: bool = False
    tree: dict = None
    snapshot: bool = True
    tmpfs: bool = False


def bb(name, *steps, **options):
    """A busybox case: each step is an applet command line run as /bin/busybox APPLET ..."""
    return HostCase("busybox/" + name, ["/bin/busybox " + s for s in steps], **options)


def bbtmp(name, script, **options):
    """A busybox sh case working in the sandbox's own tmpfs /tmp (builtins only)."""
    return HostCase("busybox-tmpfs/" + name, [["/bin/busybox", "sh", "-c", script]], tmpfs=True,
                    **options)


def dyn(name, *steps, **options):
    """A case running dynamically linked host programs."""
    return HostCase("dynamic/" + name, list(steps), **options)


DYNAMIC_CASES = [
    dyn("ls-la", "/bin/ls -la tree", tree=LS_TREE),
    dyn("ls-laR", "/bin/ls -laR tree", tree=LS_TREE),
    dyn("ls-missing", "/bin/ls -la tree/nothere", tree=LS_TREE),
    dyn("cat", "/bin/cat words.txt dir/a.txt"),
    dyn("cat-stdin", "/bin/cat", stdin="piped\ninput\n"),
    dyn("cat-missing", "/bin/cat nothere"),
    dyn("sort", "/usr/bin/sort words.txt"),
    dyn("sort-stdin", "/usr/bin/sort -n", stdin="3\n20\n1\n"),
    dyn("env", "/usr/bin/env"),
    dyn("env-set", "/usr/bin/env -i A=1 B=2"),
    dyn("true", "/bin/true"),
    dyn("false", "/bin/false"),
    dyn("wc", "/usr/bin/wc words.txt table.csv"),
    dyn("head", "/usr/bin/head -n 3 words.txt"),
    dyn("stat", "/usr/bin/stat -c '%n %s %a %F %Y' words.txt dir dir/link"),
    dyn("cp-then-cmp", "/bin/cp words.txt copy.txt", "/usr/bin/cmp words.txt copy.txt"),
    dyn("mkdir-rm", "/bin/mkdir -p x/y/z", "/bin/rm -r x", "/bin/ls -a"),
    dyn("sh-builtins", "/bin/sh -c 'x=6; echo $((x * 7)); test -d dir && echo dir; exit 3'"),
]

BUSYBOX_CASES = [
    bb("echo", "echo hello   world"),
    bb("echo-n", "echo -n no newline"),
    bb("echo-e", r"echo -e 'a\tb\nc'"),
    bb("cat", "cat words.txt dir/a.txt"),
    bb("cat-stdin", "cat", stdin="from stdin\n"),
    bb("cat-missing", "cat nothere"),
    bb("ls", "ls"),
    bb("ls-l", "ls -l"),
    bb("ls-la-dir", "ls -la dir"),
    bb("ls-R", "ls -R"),
    bb("ls-missing", "ls nothere"),
    bb("wc", "wc words.txt table.csv"),
    bb("wc-stdin", "wc -l", stdin="a\nb\nc\n"),
    bb("sort", "sort words.txt"),
    bb("sort-n", "sort -n nums.txt"),
    bb("sort-ru", "sort -r -u words.txt"),
    bb("sort-key", "sort -t, -k2 -n table.csv"),
    bb("uniq", "uniq words.txt"),
    bb("uniq-c", "uniq -c", stdin="a\na\nb\na\n"),
    bb("head", "head -n 2 words.txt"),
    bb("head-c", "head -c 5 words.txt"),
    bb("tail", "tail -n 2 words.txt"),
    bb("tail-c", "tail -c 7 words.txt"),
    bb("cut", "cut -d, -f1,3 table.csv"),
    bb("cut-c", "cut -c 1-3 words.txt"),
    bb("tr", "tr a-z A-Z", stdin="Hello World\n"),
    bb("tr-d", "tr -d aeiou", stdin="banana split\n"),
    bb("sed", "sed -n 2,3p words.txt"),
    bb("sed-s", "sed s/apple/APPLE/g words.txt"),
    bb("sed-i", "sed -i s/fig/FIG/ words.txt", "cat words.txt"),
    bb("awk", "awk -F, 'NR > 1 { s += $2 } END { print s }' table.csv"),
    bb("awk-printf", "awk -F, '{ printf \"%-6s|%5s\\n\", $1, $3 }' table.csv"),
    bb("grep", "grep -n apple words.txt"),
    bb("grep-c", "grep -c a words.txt"),
    bb("grep-v", "grep -v a words.txt"),
    bb("grep-r", "grep -r beta dir", sort=True),
    bb("grep-nomatch", "grep zzz words.txt"),
    bb("find", "find . -name '*.txt'", sort=True),
    bb("find-type-d", "find . -type d", sort=True),
    bb("find-type-l", "find dir -type l"),
    bb("stat", "stat -c '%n %s %a %F %h' words.txt dir dir/link empty"),
    bb("stat-L", "stat -L -c '%n %s %F' dir/link"),
    bb("stat-mtime", "stat -c '%n %Y' words.txt dir"),
    bb("md5sum", "md5sum words.txt bin.dat"),
    bb("sha256sum", "sha256sum words.txt bin.dat"),
    bb("mkdir", "mkdir newdir", "mkdir -p a/b/c", "mkdir newdir", "ls -R a"),
    bb("rm", "rm words.txt", "rm -r dir", "rm nothere", "ls"),
    bb("rmdir", "rmdir empty", "rmdir dir", "ls"),
    bb("mv", "mv words.txt moved.txt", "mv dir renamed", "mv table.csv renamed/", "ls -R"),
    bb("cp", "cp words.txt copy.txt", "cp -r dir dir2", "cat copy.txt", "ls -R dir2"),
    bb("cp-p", "cp -p words.txt kept.txt", "stat -c '%n %Y %a' kept.txt"),
    bb("ln-s", "ln -s words.txt sl", "readlink sl", "cat sl", "ln -s words.txt sl"),
    bb("ln", "ln words.txt hard", "stat -c '%n %h' words.txt hard"),
    bb("touch", "touch new.txt", "touch -d '2021-02-03 04:05:06' words.txt",
       "stat -c '%n %s' new.txt", "stat -c '%n %Y %s' words.txt"),
    bb("chmod", "chmod 600 words.txt", "chmod -R go-rx dir", "stat -c '%a %n' words.txt dir"),
    bb("truncate", "truncate -s 3 words.txt", "cat words.txt"),
    bb("du", "du -a dir", sort=True),
    bb("du-s", "du -s dir"),
    # df reads /proc/mounts, which the sandbox gains with /proc (issue 5): its case returns then.
    bb("date", "date +%Y"),
    bb("date-epoch", "date -u -d @1000000000 '+%Y-%m-%d %H:%M:%S'"),
    bb("seq", "seq 1 5"),
    bb("seq-step", "seq -s, 10 -3 0"),
    bb("printf", r"printf '%s=%d\n' a 1 b 2"),
    bb("tar", "tar -cf a.tar words.txt dir/a.txt dir/sub/b.txt", "tar -tf a.tar",
       "tar -tvf a.tar", "mkdir out", "tar -xf a.tar -C out", "cat out/dir/sub/b.txt"),
    bb("gzip", "gzip words.txt", "ls", "gunzip words.txt.gz", "cat words.txt"),
    bb("gzip-c", "gzip -c table.csv"),
    bb("gzip-k", "gzip -k table.csv", "gzip -t table.csv.gz", "gzip -dc table.csv.gz"),
    bb("xxd", "xxd words.txt"),
    bb("xxd-bin", "xxd -l 64 bin.dat"),
    bb("xxd-p", "xxd -p bin.dat"),
    bb("od", "od -c words.txt"),
    bb("od-x", "od -A x -t x1z -N 48 bin.dat"),
    bb("hexdump", "hexdump -C -n 40 bin.dat"),
    bb("base64", "base64 bin.dat"),
    bb("tac", "tac words.txt"),
    bb("nl", "nl words.txt"),
    bb("paste", "paste -d: words.txt nums.txt"),
    bb("diff", "diff words.txt dir/a.txt"),
    bb("cmp", "cmp words.txt dir/a.txt"),
    bb("dd", "dd if=bin.dat of=out.bin bs=16 count=4 skip=2", "xxd out.bin", compare="stdout"),
    bb("basename", "basename /a/b/c.txt .txt"),
    bb("realpath", "realpath dir/link"),
    bb("readlink-f", "readlink -f dir/link"),
    bb("pwd", "pwd"),
    bb("expr", "expr 6 '*' 7"),
    bb("env", "env"),
    bb("id", "id"),
    bb("uname", "uname -s -m"),
    bb("true", "true"),
    bb("false", "false"),
    bb("sleep", "sleep 0.1"),
    bb("sh-arith", "sh -c 'x=5; echo $((x * 2)); test -f words.txt && echo yes'"),
    bb("sh-exit", "sh -c 'exit 7'"),
    bb("sh-read", "sh -c 'while read l; do echo \"[$l]\"; done < words.txt'"),
    bb("sh-redirect", "sh -c 'echo one > out.txt; echo two >> out.txt; read a < out.txt; "
                      "echo $a'"),
    bb("sh-cd", "sh -c 'cd dir/sub && read l < b.txt && echo $l; cd ..; test -L link && echo L'"),
    bbtmp("write-read", "echo hi > {tmp}/x; read l < {tmp}/x; echo $l"),
    bbtmp("append", "echo a > {tmp}/f; echo b >> {tmp}/f; while read l; do echo got $l; "
                    "done < {tmp}/f"),
    bbtmp("test-ops", "echo x > {tmp}/f; test -f {tmp}/f && echo file; test -d {tmp} && "
                      "echo dir; test -s {tmp}/f && echo nonempty; test -e {tmp}/nope || "
                      "echo absent"),
    bbtmp("cd-pwd", "cd {tmp} && pwd && echo rel > r.txt && read l < {tmp}/r.txt && echo $l"),
    bbtmp("noclobber", "set -C; echo a > {tmp}/f; echo b > {tmp}/f; echo status $?"),
    bbtmp("missing", "read l < {tmp}/nothere; echo status $?"),
    bbtmp("empty", "for f in {tmp}/*; do echo \"entry: $f\"; done"),
]
