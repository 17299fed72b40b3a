#!/usr/bin/env bash
# Compiler launcher that measures: runs the compiler under /usr/bin/time and appends
# "<user+sys CPU seconds> <object file>" to $NERCC_COMPILE_LOG (default: compile_times.log in the
# working directory). CPU seconds, unlike wall time, barely depend on what else the machine runs.
# Use: cmake -DCMAKE_CXX_COMPILER_LAUNCHER=/path/to/time_compile.sh ...   (without ccache)
set -u
log=${NERCC_COMPILE_LOG:-$PWD/compile_times.log}
out=unknown
prev=
for arg in "$@"; do
  if [ "$prev" = "-o" ]; then out=$arg; fi
  prev=$arg
done
tmp=$(mktemp)
/usr/bin/time -o "$tmp" -f '%U %S' "$@"
rc=$?
read -r user sys < <(tail -n 1 "$tmp")
rm -f "$tmp"
awk -v u="$user" -v s="$sys" -v o="$out" 'BEGIN { printf "%.2f %s\n", u + s, o }' >> "$log"
exit $rc
