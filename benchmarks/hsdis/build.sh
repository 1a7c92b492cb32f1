#!/usr/bin/env bash
# Builds benchmarks/target/hsdis/hsdis-amd64.so from hsdis.c against the system's libLLVM (x86-64 Linux), for
# instruction-level profiles: -XX:+PrintAssembly, and JMH's perfasm profiler (see benchmarks/README.md).
# Use it with LD_LIBRARY_PATH=benchmarks/target/hsdis; HotSpot finds the plugin there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(cd "$here/.." && pwd)/target/hsdis"
include=""
lib=""
for v in 19 18 17 16 15 14 13; do
  if [ -f "/usr/include/llvm-c-$v/llvm-c/Disassembler.h" ] && [ -e "/usr/lib/x86_64-linux-gnu/libLLVM-$v.so.1" ]; then
    include="/usr/include/llvm-c-$v"
    lib="/usr/lib/x86_64-linux-gnu/libLLVM-$v.so.1"
    break
  fi
done
if [ -z "$lib" ]; then
  echo "build.sh: no LLVM C headers and library found (/usr/include/llvm-c-N and libLLVM-N.so.1, N 13 to 19);" \
       "install llvm-N-dev, or a prebuilt hsdis-amd64.so" >&2
  exit 1
fi
command -v cc >/dev/null || { echo "build.sh: no C compiler (cc)" >&2; exit 1; }
mkdir -p "$out"
cc -O2 -shared -fPIC -I"$include" -o "$out/hsdis-amd64.so" "$here/hsdis.c" "$lib"
echo "built $out/hsdis-amd64.so against $lib"
echo "use: LD_LIBRARY_PATH=$out java -XX:+UnlockDiagnosticVMOptions -XX:+PrintAssembly ..."
