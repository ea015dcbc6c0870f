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
    check_procs=True   fail if a run leaves processes behind (run.py's check-no-husk-procs)
    tmpfs=True         the steps use the sandbox's own /tmp (an empty tmpfs): write {tmp}
                       for it. Natively {tmp} is an empty directory standing in for it, and
                       that directory's path is shown as "/tmp" in the output.

DYNAMIC_CASES and BUSYBOX_CASES do not fork: they run each applet directly, and their
`sh -c` scripts use only shell builtins (echo, printf, read, test/[, cd, pwd, :, exit, set,
...) and redirections. SHELL_CASES are the opposite: scripts full of pipelines, subshells,
background jobs and external commands, each run by busybox sh and by bash (sh_both) unless
it is specific to one of them (sh_one).
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
    check_procs: bool = False


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


# Shells, for SHELL_CASES: name -> (argv that runs a script given as the next argument,
# the `#!` line naming that shell).
SHELLS = {
    "busybox-sh": (["/bin/busybox", "sh", "-c"], "#!/bin/busybox sh"),
    "bash": (["/bin/bash", "-c"], "#!/bin/bash"),
}


def sh_one(shell, name, script, **options):
    """A case running script with one shell of SHELLS, named SHELL/NAME. In the script,
    {sh} is that shell's command line (for nested shells) and {shebang} its #! line; with
    tmpfs=True, {tmp} is the sandbox's /tmp (see above)."""
    argv, shebang = SHELLS[shell]
    sh = " ".join(argv[:-1])
    text = script.replace("{sh}", sh).replace("{shebang}", shebang)
    options.setdefault("check_procs", True)
    return HostCase("%s/%s" % (shell, name), [argv + [text]], **options)


def sh_both(name, script, **options):
    """The same script run by every shell of SHELLS, as separate cases."""
    return [sh_one(shell, name, script, **options) for shell in SHELLS]


SHELL_CASES = [
    *sh_both("pipeline", "seq 100 | sort -rn | head -3"),
    *sh_both("pipeline-long", "cat words.txt | sort | uniq -c | sort -rn | head -2 | wc -l"),
    *sh_both("pipeline-status", "false | true; echo $?; true | false; echo $?; "
                                "set -o pipefail; false | true; echo $?"),
    *sh_both("pipeline-sigpipe", "yes | head -3; echo \"status $?\""),
    *sh_both("pipeline-loop", "for i in $(seq 20); do echo $i | tr 0-9 a-j; done | tail -2"),
    *sh_both("pipeline-read", "echo hi there | { read a b; echo \"got $b $a\"; }"),
    *sh_both("subshell", "x=1; (x=2; echo in $x; exit 3); echo \"status $? out $x\"; "
                         "(cd dir && echo sub $(ls)); pwd >/dev/null; (umask 077); umask"),
    *sh_both("command-substitution",
             "a=$(echo hi); b=`echo there`; echo \"$a $b\"; n=$(seq 5 | wc -l); "
             "echo $((n + 1)); x=$(exit 4); echo $?; echo \"$(echo \"$(echo nested)\")\"; "
             "echo \"$(cat words.txt | head -1)\""),
    *sh_both("here-document", "x=world\ncat <<EOF\nhello $x\n$(echo sub)\nEOF\n"
                              "cat <<'EOF'\nliteral $x\nEOF\n"
                              "while read a b; do echo \"[$a|$b]\"; done <<EOF\n1 2\n3 4\nEOF\n"
                              "cat <<EOF | wc -c\n$(seq 20000)\nEOF\n"),
    *sh_both("background-wait",
             "sleep 0.2 & p=$!; wait $p; echo \"sleep status $?\"; "
             "(exit 5) & wait $!; echo \"status $?\"; "
             "for i in 1 2 3; do (exit $i) & done; wait; echo \"all done $?\"; "
             "sleep 5 & p=$!; kill $p; wait $p; echo \"killed status $?\""),
    *sh_both("trap", "trap 'echo got' USR1; kill -USR1 $$; echo after"),
    *sh_both("trap-exit", "trap 'echo bye' EXIT; trap 'echo child signalled' USR2; "
                          "(kill -USR2 $$); echo next; exit 2"),
    *sh_both("exit-codes", "{sh} -c 'exit 3'; echo $?; {sh} -c 'exit 300'; echo $?; "
                           "{sh} -c 'kill -TERM $$'; echo $?; false; echo $?; ! true; echo $?"),
    *sh_both("sh-c-status", "{sh} -c 'exit 3'"),
    *sh_both("set-e", "set -e; echo start; if false; then :; fi; false || echo handled; "
                      "x=$(false) || echo \"substitution failed\"; (exit 4); echo notreached"),
    *sh_both("nested-sh", "{sh} -c '{sh} -c \"echo inner; exit 7\"; echo \"middle got $?\"; "
                          "exit 5'; echo \"outer got $?\""),
    *sh_both("ppid", "[ \"$({sh} -c 'echo $PPID')\" = \"$$\" ] && "
                     "echo \"child's PPID is our pid: ok\""),
    *sh_both("script-shebang", "printf '{shebang}\\necho \"script $0 $# $*\"\\nexit 6\\n' > s.sh; "
                               "chmod +x s.sh; ./s.sh a b; echo \"status $?\""),
    *sh_both("script-no-shebang", "printf 'echo no shebang $1\\n' > n.sh; chmod +x n.sh; "
                                  "./n.sh x; echo \"status $?\""),
    *sh_both("exec", "{sh} -c 'exec echo replaced; echo no'; exec 3>out.txt; echo via3 >&3; "
                     "exec 3>&-; cat out.txt"),
    *sh_both("xargs", "seq 5 | xargs -n2 echo item; printf 'a b\\nc\\n' | xargs echo all:"),
    *sh_both("find-exec", "find dir -name '*.txt' -exec cat {} \\; | sort; "
                          "find . -type f -name '*.txt' -exec wc -l {} + | sort"),
    # the three lines of the issue
    sh_one("busybox-sh", "issue-line-1",
           "ls /etc | grep -c conf; (cd {tmp} && echo $(pwd)) ; x=$(seq 5 | tail -1); echo $x",
           tmpfs=True),
    sh_one("bash", "issue-line-2",
           "for i in $(seq 50); do echo $i; done | sort -n | tail -3 >{tmp}/o; cat {tmp}/o",
           tmpfs=True),
    sh_one("busybox-sh", "issue-line-3", "sleep 10 & kill %1; wait; echo $?"),
    *sh_both("kill-job", "sleep 10 & kill %1; wait %1; echo $?"),
    sh_one("bash", "pipestatus", "yes | head -1; echo ${PIPESTATUS[@]}; true | false | true; "
                                  "echo ${PIPESTATUS[@]}"),
    sh_one("bash", "process-substitution", "diff <(seq 3) <(seq 3) && echo same; "
                                           "cat <(echo from a process)"),
]
