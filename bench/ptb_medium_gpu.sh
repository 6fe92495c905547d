#!/bin/bash
# PTB "medium" (Zaremba et al. 2014: 2 x 650 LSTM, 35 steps, batch 20, SGD lr 1 decayed by 1/1.2 per epoch after
# epoch 6, clip 5, init +-0.05, dropout 0.5, 39 epochs) with tied input and output embeddings, three dropout
# recipes side by side on one GPU, in float32 like the paper (bfloat16 is the default on GPUs); the model is
# chosen by its validation perplexity. wordseq averages the loss over tokens where Zaremba's code sums it over the
# 35 steps, so lr 1 / clip 5 there is --lr 35 --clip 0.143 here.
#
#     OUT=results/ bash bench/ptb_medium_gpu.sh            # EPOCHS=39 and MAXMIN (a time limit) may be set
set -u
DATA=${WORDSEQ_DATA:-$(dirname "$0")/../../shared/data}/ptb
OUT=${OUT:-ptb-medium}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
COMMON="--layers 2 --hidden 650 --embed 650 --tied --init-scale 0.05 --bptt 35 --batch 20 --optimizer sgd --lr 35
 --clip 0.143 --schedule step --decay 0.8333 --decay-start 6 --epochs ${EPOCHS:-39} --device cuda --fp32
 --max-minutes ${MAXMIN:-0} -q"
run() {
    name=$1; shift
    python3 -m wordseq lm train "$DATA/ptb.train.txt" --valid "$DATA/ptb.valid.txt" --test "$DATA/ptb.test.txt" \
        -o "$OUT/$name.wsq" $COMMON "$@" > "$OUT/$name.log" 2>&1
}
run A-zaremba-tied --dropout 0.5 &
run B-locked --dropout 0.5 --locked --dropoute 0.1 &
run C-locked-more --dropout 0.5 --dropouti 0.6 --locked --dropoute 0.2 &
wait
for f in "$OUT"/*.log; do echo "== $f"; tail -n 4 "$f"; done
