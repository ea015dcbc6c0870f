#!/bin/sh
# demo.sh: `make demo`: husk at work on the host's own programs, each step shown with its
# command and what it proves. Uses busybox-static if present (installs it when run as root).
set -u
HUSK=${1:-build/husk}
if [ ! -x /bin/busybox ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "(installing busybox-static for the demo)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null 2>&1 || true
fi
work=$(mktemp -d /var/tmp/husk-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
step() {
    printf '\n\033[1m$ %s\033[0m\n' "$*"
    "$@"
    echo "[exit status $?]"
}
echo "husk demo: unmodified Linux programs, their system calls served by husk's library OS"
echo "behind a seccomp+Landlock keyhole of $($HUSK debug keyhole | wc -l) host system calls."
if [ -x /bin/busybox ]; then
    step "$HUSK" run -- /bin/busybox sh -c 'echo hello from busybox sh inside husk'
    step "$HUSK" run -- /bin/busybox uname -s -m
fi
step "$HUSK" run -- /bin/ls -l /etc/hostname /bin/ls
echo "a file on the host" > "$work/note.txt"
step "$HUSK" run --rw "$work:/work" -- /bin/ls -l /work
echo
echo "A write to the host's /etc/passwd succeeds inside the sandbox (in-memory layer) ..."
if [ -x /bin/busybox ]; then
    step "$HUSK" run -- /bin/busybox sh -c 'echo "intruder::0:0::/:/bin/sh" >> /etc/passwd
        while read -r line; do last=$line; done < /etc/passwd; echo "last line inside: $last"'
fi
echo "... and the host file is untouched:"
step tail -n 1 /etc/passwd
echo
echo "An escape through a --ro mount fails:"
step "$HUSK" run --ro "$work:/data" -- /bin/busybox sh -c 'echo x > /data/note.txt'
echo
echo "The trace shows every system call, served without reaching the host:"
step "$HUSK" run --trace -- /bin/busybox true
