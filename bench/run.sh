#!/usr/bin/env bash
# Measures warmly against its peers on N unique DIN 5008 letters, same
# machine, same sitting. Usage: bench/run.sh N [N…]   (e.g. bench/run.sh 1000 10000)
#
# Needs: a release build (cargo build --release), python3, GNU time
# (/usr/bin/time, Debian package `time`) and typst-cli 0.15.1 on PATH
# (cargo install typst-cli --version 0.15.1 --locked).
#
# Rows printed, each "wall seconds, letters per second, peak RSS":
#   warmly                 the whole process: load, select, compose, typeset, write
#                          N PDFs + print.pdf + manifest.csv, all cores
#   warmly --jobs 1        the same on one thread
#   typst per letter, 2x   `typst compile` once per letter, two processes at a time
#   typst one document     one Typst document holding all N letters (one PDF)
# The Typst peers compile the same template with the same data and message
# (exported by `warmly render --export-inputs`); preparing them is not timed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
warmly="$root/target/release/warmly"
command -v typst >/dev/null || { echo "typst (0.15.1) is not on PATH" >&2; exit 1; }
[ -x "$warmly" ] || { echo "build first: cargo build --release" >&2; exit 1; }

measure() { # label, N, command…
  local label=$1 n=$2; shift 2
  if ! /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1; then
    cat "$work/out.txt" >&2; exit 1
  fi
  read -r secs kib <"$work/time.txt"
  awk -v l="$label" -v n="$n" -v s="$secs" -v k="$kib" \
    'BEGIN { printf "| %-24s | %6d | %8.2f | %9.0f | %8.1f |\n", l, n, s, n / s, k / 1024 }'
}

echo "| run                      |      N |   wall s | letters/s | peak MiB |"
echo "|--------------------------|-------:|---------:|----------:|---------:|"
for n in "${@:-1000}"; do
  work=${BENCH_DIR:-/tmp/warmly-bench}/$n
  rm -rf "$work" && mkdir -p "$work"
  python3 "$root/bench/generate.py" "$n" "$work"
  cd "$work"
  measure "warmly" "$n" "$warmly" render bench.toml --out out-warmly --state state-1 --quiet
  measure "warmly --jobs 1" "$n" "$warmly" render bench.toml --out out-warmly-1 --state state-2 --quiet --jobs 1
  # Peers: the same template, data and message per letter.
  "$warmly" render bench.toml --export-inputs inputs --state state-3 --quiet 2>/dev/null
  sed -e 's|"/data.json"|"data.json"|' -e 's|"/message.typ"|"message.typ"|' \
    "$root/templates/letter/template.typ" >letter.typ
  : >all.typ
  for dir in inputs/*/; do
    cp letter.typ "$dir/letter.typ"
    echo "#include \"${dir}letter.typ\"" >>all.typ
  done
  measure "typst per letter, 2x" "$n" sh -c \
    "ls -d inputs/*/ | xargs -P2 -I{} typst compile --jobs 1 --ignore-system-fonts --font-path '$root/fonts' {}letter.typ {}letter.pdf"
  measure "typst one document" "$n" \
    typst compile --ignore-system-fonts --font-path "$root/fonts" all.typ all.pdf
  cd "$root"
done
