#!/usr/bin/env bash
# Counts the instructions warmly executes per piece, with valgrind's
# cachegrind. Usage: bench/instructions.sh [N]   (default 50)
#
# Why: on a shared 2-core machine the wall time of the same run varies by
# ±20 %, so a change worth 2–5 % cannot be seen in bench/run.sh. The number
# of instructions varies far less, by about ±5 % between runs (the threads
# interleave differently, and with them Typst's cache): run it three times
# for each build and compare the middle values. It is not time:
# a cache miss costs more than an instruction, and valgrind counts a
# `rep stosb` memset once per byte (so zeroing looks dearer than it is),
# and it hides the CPU's SHA extensions (so sha256 does too).
# Use it to compare two builds on the same inputs; report speed from
# bench/run.sh.
#
# Per piece = (instructions for N pieces − for 1 piece) / (N − 1): the
# start (fonts, tables) and the first piece, which lays out what later
# pieces reuse, are left out. One typesetting thread (--jobs 1).
#   WARMLY=path/to/warmly   another build (default target/release/warmly)
#   TOP=15                  also list the 15 functions with the most
#                           instructions in the N-letter run (cg_annotate)
#
# Needs: valgrind (Debian package `valgrind`) and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
warmly=${WARMLY:-$root/target/release/warmly}
n=${1:-50}
[ -x "$warmly" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
[ "$n" -ge 2 ] || { echo "N must be at least 2" >&2; exit 1; }
work=${BENCH_DIR:-/tmp/warmly-instructions}
rm -rf "$work" && mkdir -p "$work"

for size in 1 "$n"; do
  python3 "$root/bench/generate.py" "$size" "$work/$size"
  python3 "$root/bench/generate.py" "$size" "$work/$size/identical" --identical
done

count() { # dir, campaign, label → instructions
  local out="$work/$3.cg"
  (cd "$1" && valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" \
    "$warmly" render "$2" --out "out-$3" --state "state-$3" --quiet --jobs 1 \
    >/dev/null 2>"$work/$3.log") || { cat "$work/$3.log" >&2; exit 1; }
  awk '/^summary:/ { print $2 }' "$out"
}

echo "| pieces | instructions per piece (millions) |"
echo "|---|---:|"
declare -A per
for kind in letters identical cards; do
  case $kind in
    letters) dir=; campaign=bench.toml ;;
    identical) dir=/identical; campaign=bench.toml ;;
    cards) dir=; campaign=cards.toml ;;
  esac
  one=$(count "$work/1$dir" "$campaign" "$kind-1")
  many=$(count "$work/$n$dir" "$campaign" "$kind-$n")
  per[$kind]=$(python3 -c "print(f'{($many - $one) / ($n - 1) / 1e6:.2f}')")
  echo "| $kind | ${per[$kind]} |"
done
python3 -c "print(f'\nidentical letters against unique ones: {${per[identical]} / ${per[letters]} * 100:.0f} %')"

if [ -n "${TOP:-}" ]; then
  echo
  cg_annotate "$work/letters-$n.cg" 2>/dev/null |
    sed -n '/file:function/,$p' | sed -n "3,$((TOP + 2))p"
fi
