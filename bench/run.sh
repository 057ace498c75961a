#!/usr/bin/env bash
# Measures warmly against its peers on N unique pieces, same machine, same
# sitting. Usage: bench/run.sh N [N…]   (e.g. bench/run.sh 2000 20000)
#   BENCH_PEERS=0  skips the Typst peers (for N where they take hours)
#   BENCH_CARDS=0  skips the cards and the identical letters
#
# Needs: a release build (cargo build --release), python3, GNU time
# (/usr/bin/time, Debian package `time`) and typst-cli 0.15.1 on PATH
# (cargo install typst-cli --version 0.15.1 --locked).
#
# Rows printed, each "wall seconds, pieces per second, peak RSS":
#   warmly                 the whole process: load, select, compose, typeset, write
#                          N PDFs + print file(s) + manifest.csv, all cores
#   warmly --jobs 1        the same on one thread
#   typst per letter, 2x   `typst compile` once per letter, two processes at a time
#   typst one document     one Typst document holding all N letters (one PDF)
#   warmly, identical      N letters that differ only in the customer number
#   warmly cards           N unique cards of the built-in card, default message
#   typst one doc., cards  the same cards as one Typst document
# Then the sizes: warmly's print file(s) against the one Typst document.
# The Typst peers compile the same template with the same data and message
# (exported by `warmly render --export-inputs`); preparing them is not timed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
warmly="$root/target/release/warmly"
[ -x "$warmly" ] || { echo "build first: cargo build --release" >&2; exit 1; }
peers=${BENCH_PEERS:-1}
cards=${BENCH_CARDS:-1}
if [ "$peers" = 1 ]; then
  command -v typst >/dev/null || { echo "typst (0.15.1) is not on PATH" >&2; exit 1; }
fi

measure() { # label, N, command…
  local label=$1 n=$2; shift 2
  if ! /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1; then
    cat "$work/out.txt" >&2; exit 1
  fi
  read -r secs kib <"$work/time.txt"
  awk -v l="$label" -v n="$n" -v s="$secs" -v k="$kib" \
    'BEGIN { printf "| %-24s | %6d | %8.2f | %9.0f | %8.1f |\n", l, n, s, n / s, k / 1024 }'
}

# The peers' inputs: each piece's data.json and message.typ beside a copy of
# the template (its /data.json and /message.typ made relative), warmly.typ at
# the root, and all.typ including every piece (the one-document peer).
peer_inputs() { # campaign, template
  "$warmly" render "$1" --export-inputs "inputs-$2" --state "state-x-$2" --quiet 2>/dev/null
  cp "$root/templates/warmly.typ" warmly.typ
  local relative=(-e 's|"/data.json"|"data.json"|g' -e 's|"/campaign.json"|"campaign.json"|g'
    -e 's|"/message.typ"|"message.typ"|g')
  : >"all-$2.typ"
  for dir in "inputs-$2"/*/; do
    sed "${relative[@]}" "$root/templates/$2/template.typ" >"$dir/piece.typ"
    # the template's other files (the card's motifs.typ, the letter's sender.typ)
    for typ in "$root/templates/$2"/*.typ; do
      [ "$(basename "$typ")" = template.typ ] || sed "${relative[@]}" "$typ" >"$dir/$(basename "$typ")"
    done
    echo "#include \"/${dir}piece.typ\"" >>"all-$2.typ"
  done
}

size() { du -cb "$@" | tail -1 | cut -f1; }

echo "| run                      |      N |   wall s |  pieces/s | peak MiB |"
echo "|--------------------------|-------:|---------:|----------:|---------:|"
sizes=()
for n in "${@:-1000}"; do
  work=${BENCH_DIR:-/tmp/warmly-bench}/$n
  rm -rf "$work" && mkdir -p "$work/identical"
  python3 "$root/bench/generate.py" "$n" "$work"
  cd "$work"
  measure "warmly" "$n" "$warmly" render bench.toml --out out-warmly --state state-1 --quiet
  measure "warmly --jobs 1" "$n" "$warmly" render bench.toml --out out-warmly-1 --state state-2 --quiet --jobs 1
  if [ "$peers" = 1 ]; then
    peer_inputs bench.toml letter
    measure "typst per letter, 2x" "$n" sh -c \
      "ls -d inputs-letter/*/ | xargs -P2 -I{} typst compile --jobs 1 --root . --ignore-system-fonts --font-path '$root/fonts' {}piece.typ {}piece.pdf"
    measure "typst one document" "$n" \
      typst compile --root . --ignore-system-fonts --font-path "$root/fonts" all-letter.typ all-letter.pdf
    sizes+=("letters $n: warmly print file(s) $(size out-warmly/print*.pdf) bytes, one Typst document $(size all-letter.pdf) bytes")
  fi
  if [ "$cards" = 1 ]; then
    python3 "$root/bench/generate.py" "$n" identical --identical
    (cd identical && measure "warmly, identical" "$n" "$warmly" render bench.toml --out out --state state --quiet)
    measure "warmly cards" "$n" "$warmly" render cards.toml --out out-cards --state state-4 --quiet
    if [ "$peers" = 1 ]; then
      peer_inputs cards.toml card
      measure "typst one doc., cards" "$n" \
        typst compile --root . --ignore-system-fonts --font-path "$root/fonts" all-card.typ all-card.pdf
      sizes+=("cards $n: warmly print file(s) $(size out-cards/print*.pdf) bytes, one Typst document $(size all-card.pdf) bytes")
    fi
  fi
  cd "$root"
done
echo
for line in "${sizes[@]}"; do echo "$line"; done
