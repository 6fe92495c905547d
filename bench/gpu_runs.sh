#!/bin/bash
# The benchmarks that want a GPU, side by side on one card, each under a time limit:
#   - PTB "medium" with tied embeddings (2 x 650 LSTM, dropout 0.5, 39 epochs; see ptb_medium_gpu.sh for the
#     recipe), as Zaremba et al. train it (A) and with variational dropout on the words (B);
#   - Multi30k De->En: a GRU encoder-decoder without attention, with additive (Bahdanau) attention, and with
#     multiplicative (Luong) attention over a 2-layer LSTM; the best on validation BLEU is the one to report;
#   - Tatoeba/Anki En->Fr with additive attention, scored on its held-out 5%.
#
#     WORDSEQ_DATA=../shared/data OUT=gpu-results bash bench/gpu_runs.sh
#
# Logs go to $OUT/*.log as the runs go; the JSON figures, learning curves and attention pictures are packed
# into $OUT/results.tgz at the end (models stay in $WORK). LIMIT caps each run's seconds in all, TRAIN_S the
# translation models' training seconds, PTB_MIN the language models' training minutes; JOBS names the runs to
# start (all by default: ptb-medium-A ptb-medium-B m30k-none m30k-bahdanau m30k-luong anki-en-fr); DEVICE=cpu
# tries the script out on a machine without a GPU. The 39 epochs of PTB medium need about 10 minutes alone:
#
#     JOBS=ptb-medium-A PTB_MIN=9 LIMIT=585 bash bench/gpu_runs.sh
set -u
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH}
DATA=${WORDSEQ_DATA:-../shared/data}
OUT=${OUT:-gpu-results}
WORK=${WORK:-$(mktemp -d)}
LIMIT=${LIMIT:-570}
TRAIN_S=${TRAIN_S:-360}
PTB_MIN=${PTB_MIN:-7.5}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT" "$WORK"
{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    $PY -c "import torch, numba, numpy; print('torch', torch.__version__, torch.cuda.get_device_name(0), 'numba', numba.__version__, 'numpy', numpy.__version__)"
    nproc
} > "$OUT/gpu.txt" 2>&1

JOBS=${JOBS:-ptb-medium-A ptb-medium-B m30k-none m30k-bahdanau m30k-luong anki-en-fr}

job() {
    name=$1
    shift
    case " $JOBS " in *" $name "*) ;; *) return ;; esac
    (
        start=$(date +%s)
        timeout -s INT "$LIMIT" "$@"
        echo "exit $? after $(($(date +%s) - start)) s"
    ) > "$OUT/$name.log" 2>&1 &
}

P=$DATA/ptb
PTB="--layers 2 --hidden 650 --embed 650 --tied --init-scale 0.05 --bptt 35 --batch 20 --optimizer sgd --lr 35
 --clip 0.143 --schedule step --decay 0.8333 --decay-start 6 --epochs 39 --device $DEVICE --fp32 --threads 2
 --max-minutes $PTB_MIN"
for run in "A --dropout 0.5" "B --dropout 0.5 --locked --dropoute 0.1"; do
    set -- $run
    name=ptb-medium-$1
    shift
    # shellcheck disable=SC2086
    job "$name" $PY -m wordseq lm train "$P/ptb.train.txt" --valid "$P/ptb.valid.txt" --test "$P/ptb.test.txt" \
        -o "$WORK/$name.wsq" $PTB "$@"
done

S2S="bench/seq2seq_multi30k.py --threads 2 --device $DEVICE --epochs 40 --max-seconds $TRAIN_S --batch 128
 --min-count 2 --beam 5"
# shellcheck disable=SC2086
job m30k-none $PY $S2S --attention none --embed 256 --hidden 512 --dropout 0.5 --no-tie \
    -o "$WORK/m30k-none.wsq" --json "$WORK/m30k-none.json"
# shellcheck disable=SC2086
job m30k-bahdanau $PY $S2S --attention bahdanau --embed 256 --hidden 512 --dropout 0.5 --label-smoothing 0.1 \
    --early-stop bleu --schedule plateau --patience 5 \
    -o "$WORK/m30k-bahdanau.wsq" --json "$WORK/m30k-bahdanau.json" --attention-png "$WORK/attention-bahdanau.png"
# shellcheck disable=SC2086
job m30k-luong $PY $S2S --attention luong --cell lstm --layers 2 --embed 512 --hidden 512 --dropout 0.3 \
    --label-smoothing 0.1 --early-stop bleu --schedule plateau --patience 5 \
    -o "$WORK/m30k-luong.wsq" --json "$WORK/m30k-luong.json" --attention-png "$WORK/attention-luong.png"
job anki-en-fr $PY bench/seq2seq_anki.py --threads 2 --device $DEVICE --embed 256 --hidden 512 --epochs 30 \
    --max-seconds "$TRAIN_S" -o "$WORK/anki.wsq" --json "$WORK/anki.json"

wait
(cd "$WORK" && tar czf - ./*.png ./*.json) > "$OUT/results.tgz" 2>/dev/null
for f in "$OUT"/*.log; do
    echo "== $f"
    grep -E "test|BLEU \(lower|exit|epoch [0-9]+:" "$f" | tail -n 6
done
