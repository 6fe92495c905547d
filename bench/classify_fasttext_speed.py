"""fastText-style classification: wordseq against the ``fasttext`` package, whole process, same data and
settings, side by side.

    python bench/classify_fasttext_speed.py [--epochs 100] [--threads 1]

SST-2's training sentences (lowercased) are written once in fastText's ``__label__X text`` format; each tool
runs in its own subprocess (imports, reading, training, testing on SST-2 test; wordseq also writes its model
file), timed from start to exit. Many epochs over the small training set make training dominate the time.
Settings for both: dim 50, lr 0.5, word n-grams 2, 200,000 buckets, min count 1, softmax loss. numba's
on-disk cache is filled by a warm-up run first, so the timing does not include the one-time compilation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
PY = sys.executable

FASTTEXT = """
import sys, fasttext
m = fasttext.train_supervised(sys.argv[1], dim=50, lr=0.5, epoch=int(sys.argv[3]), wordNgrams=2, bucket=200000,
                              minCount=1, thread=int(sys.argv[4]), verbose=0, loss="softmax")
n, p, r = m.test(sys.argv[2])
print(f"accuracy {p:.6f}")
"""


def write(src: Path, dst: Path) -> None:
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for line in f:
            label, _, text = line.strip().partition(" ")
            g.write(f"__label__{label} {text.lower()}\n")


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - t0, out.stdout + out.stderr


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    sst = DATA / "sst"
    if not sst.exists():
        raise SystemExit(f"no SST data at {sst} (set WORDSEQ_DATA)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        train, test = Path(tmp) / "train.txt", Path(tmp) / "test.txt"
        write(sst / "stsa.binary.train", train)
        write(sst / "stsa.binary.test", test)
        ws = [
            PY,
            "-m",
            "wordseq",
            "classify",
            "train",
            str(train),
            "--format",
            "fasttext",
            "--model",
            "fasttext",
            "--dim",
            "50",
            "--lr",
            "0.5",
            "--word-ngrams",
            "2",
            "--buckets",
            "200000",
            "--min-count",
            "1",
            "--threads",
            str(args.threads),
            "--test",
            str(test),
            "-q",
            "-o",
            str(Path(tmp) / "m.wsq"),
        ]
        timed(ws + ["--epochs", "1"], env)  # warm-up: fills numba's cache
        results = []
        for _ in range(args.repeats):
            for name, cmd in (
                ("wordseq", ws + ["--epochs", str(args.epochs)]),
                ("fasttext", [PY, "-c", FASTTEXT, str(train), str(test), str(args.epochs), str(args.threads)]),
            ):
                seconds, out = timed(cmd, env)
                acc = float(re.search(r"accuracy\s+([\d.]+)", out).group(1))
                acc = acc / 100 if acc > 1 else acc
                results.append({"tool": name, "seconds": round(seconds, 2), "accuracy": acc})
                print(json.dumps(results[-1]), flush=True)
    print(
        json.dumps(
            {"date": dt.date.today().isoformat(), "epochs": args.epochs, "threads": args.threads, "results": results}
        )
    )


if __name__ == "__main__":
    main()
