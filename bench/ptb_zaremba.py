"""Penn Treebank, Zaremba et al. (2014) "small": 2 x 200 LSTM, 20 steps, batch 20, SGD lr 1 halved after
epoch 4, 13 epochs, clip 5, no dropout, init U(-0.1, 0.1). Target: test perplexity <= 114.5.

Zaremba's code minimizes the loss summed over the 20 steps and averaged over the batch; wordseq (like the
PyTorch example) averages over all tokens, whose gradient is 20 times smaller. SGD with lr 1 and clip 5 on
the summed loss is therefore exactly SGD with lr 20 and clip 0.25 on the mean loss, which is what runs here.

Runs ``wordseq lm train`` with exactly that configuration and then ``wordseq lm perplexity`` on the test set
with one stream (as the paper's code scores it), and prints the per-epoch log, time per epoch and the result.

    PYTHONPATH=src nice -n 5 python bench/ptb_zaremba.py --out /tmp/ptb-small [--threads 2] [--epochs 13]

``lm train`` picks bfloat16 products where the CPU has AMX or AVX-512 BF16; ``--extra --fp32`` trains in float32.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data")) / "ptb"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/ptb-small", help="folder for the model, checkpoint and log")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=13)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more lm train options")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = out / "ptb-small.wsq"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    train = [
        sys.executable,
        "-m",
        "wordseq",
        "lm",
        "train",
        str(DATA / "ptb.train.txt"),
        "--valid",
        str(DATA / "ptb.valid.txt"),
        "-o",
        str(model),
        "--model",
        "lstm",
        "--layers",
        "2",
        "--hidden",
        "200",
        "--embed",
        "200",
        "--bptt",
        "20",
        "--batch",
        "20",
        "--optimizer",
        "sgd",
        "--lr",
        "20",
        "--schedule",
        "step",
        "--decay",
        "0.5",
        "--decay-start",
        "4",
        "--epochs",
        str(args.epochs),
        "--clip",
        "0.25",
        "--dropout",
        "0",
        "--init",
        "uniform",
        "--init-scale",
        "0.1",
        "--eval-batch",
        "10",
        "--threads",
        str(args.threads),
        "--seed",
        "0",
        "-q",
        *(["--resume"] if args.resume else []),
        *args.extra,
    ]
    print("$ " + " ".join(train), flush=True)
    t0 = time.time()
    log = []
    with subprocess.Popen(train, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p:
        for line in p.stdout:
            print(line, end="", flush=True)
            log.append(line)
    if p.returncode:
        sys.exit(p.returncode)
    train_s = time.time() - t0
    test = [
        sys.executable,
        "-m",
        "wordseq",
        "lm",
        "perplexity",
        str(model),
        str(DATA / "ptb.test.txt"),
        "--batch",
        "1",
        "--bptt",
        "20",
        "--threads",
        str(args.threads),
    ]
    print("$ " + " ".join(test), flush=True)
    r = subprocess.run(test, env=env, capture_output=True, text=True)
    print(r.stdout + r.stderr, flush=True)
    secs = [float(m.group(1)) for line in log if (m := re.search(r"\s([\d.]+) s\s", line))]
    ppl = re.search(r"perplexity ([\d.]+)", r.stdout)
    print(
        f"\nepochs {len(secs)}, mean {sum(secs) / max(1, len(secs)):.0f} s/epoch (training only), "
        f"total {train_s / 60:.1f} min; test perplexity {ppl.group(1) if ppl else '?'} (target <= 114.5)"
    )


if __name__ == "__main__":
    main()
