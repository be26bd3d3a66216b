#!/usr/bin/env bash
# The transfer-learning experiment of README "Finding a learning rate, schedules, transfer
# learning": LeNet-5 pretrained on MNIST digits 0–4, then digits 5–9 learned from 100, 1 000 or
# all of their training images (a) from scratch, (b) as a linear classifier on the frozen
# features, (c) fine-tuning every layer, (d) the same with the pretrained layers at a tenth of
# the head's rate (--body-lr, a parameter group); each setup's rate from the range test on the
# 1 000-image set. Writes OUT/*.out (the epoch lines) and prints the table. CPU, ~15 min on 2 cores.
#   bash bench/transfer.sh [OUT]
set -euo pipefail
OUT=${1:-transfer-results}
mkdir -p "$OUT"
T="node --import tsx src/cli/train.ts --backend cpu --schedule constant"
$T --digits 0-4 --epochs 1 --out "$OUT/pre.safetensors" > "$OUT/pre.out" 2>/dev/null
suggest() { $T --digits 5-9 --limit 1000 --head 5 --find-lr --out "$OUT/$1.safetensors" "${@:2}" 2>/dev/null | sed -n 's/^suggested --lr \([^ ]*\).*/\1/p'; }
LR_A=$(suggest a)
LR_B=$(suggest b --init-from "$OUT/pre.safetensors" --freeze conv1,conv2,fc1,fc2)
LR_C=$(suggest c --init-from "$OUT/pre.safetensors")
echo "rates from the range test: scratch $LR_A, linear $LR_B, fine-tune $LR_C"
echo "| training images of 5–9 | (a) from scratch | (b) linear on frozen features | (c) fine-tune | (d) fine-tune, body at lr/10 |"
echo "|---|---|---|---|---|"
for size in 100 1000 all; do
  case $size in 100) L="--limit 100 --epochs 250 --eval-every 250";; 1000) L="--limit 1000 --epochs 32 --eval-every 32";; all) L="--epochs 1";; esac
  row="| $size |"
  for setup in a b c d; do
    case $setup in
      a) X="--lr $LR_A";;
      b) X="--lr $LR_B --init-from $OUT/pre.safetensors --freeze conv1,conv2,fc1,fc2";;
      c) X="--lr $LR_C --init-from $OUT/pre.safetensors";;
      d) X="--lr $LR_C --body-lr $(node -e "console.log($LR_C / 10)") --init-from $OUT/pre.safetensors";;
    esac
    # shellcheck disable=SC2086
    $T --digits 5-9 --head 5 $L $X > "$OUT/${setup}_$size.out" 2>/dev/null
    row="$row $(grep -o 'test acc [0-9.]*%' "$OUT/${setup}_$size.out" | tail -1 | cut -d' ' -f3) |"
  done
  echo "$row"
done
