#!/bin/sh
# run.sh: tests the C interface (include/husk/husk.h): builds tests/api/cat_api.c against
# libhusk.a and checks its output against the file it copies plus the expected verdicts.
set -eu
BUILD=${1:-build}
src=$(mktemp /var/tmp/husk-api.XXXXXX)
out=$(mktemp /var/tmp/husk-api-out.XXXXXX)
trap 'rm -f "$src" "$out"' EXIT
printf 'line one\nline two\n' > "$src"
"$BUILD/api/cat_api" "$src" > "$out"
expected=$(printf 'line one\nline two\noutside the mounts: ENOENT\nwrite to the read-only mount: EROFS\ntmpfs write: ok')
if [ "$(cat "$out")" = "$expected" ]; then
    echo "PASS api/cat_api"
else
    echo "FAIL api/cat_api: got:"
    cat "$out"
    exit 1
fi
