"""fastText-style classification: wordseq against the ``fasttext`` package, whole process, same data and
settings, side by side.

    python bench/classify_fasttext_speed.py [--epochs 100] [--threads 1] [--repeats 3]

SST-2's training sentences (lowercased) are written once in fastText's ``__label__X text`` format; each tool
runs in its own subprocess (imports, reading, training, testing on SST-2 test, writing its model file),
timed from start to exit, the two tools alternating ``--repeats`` times; the minimum of each is reported
(the machine may be shared: the minimum is the run least disturbed, taken alike for both). Many epochs over
the small training set make training dominate the time. Settings for both: dim 50, lr 0.5, word n-grams 2,
200,000 buckets, min count 1, softmax loss. numba's on-disk cache is filled by a warm-up run first, so the
timing does not include the one-time compilation. Finally one run of each in-process prints its phases
(wordseq's "encode" includes numba's start-up on its first call into compiled code, about 1 s).
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
m.save_model(sys.argv[5])
print(f"accuracy {p:.6f}")
"""

# the same work in-process, with a clock between the phases
PHASES_FASTTEXT = """
import json, sys, time
t0 = time.perf_counter()
import fasttext
t1 = time.perf_counter()
m = fasttext.train_supervised(sys.argv[1], dim=50, lr=0.5, epoch=int(sys.argv[3]), wordNgrams=2, bucket=200000,
                              minCount=1, thread=int(sys.argv[4]), verbose=0, loss="softmax")
t2 = time.perf_counter()
n, p, r = m.test(sys.argv[2])
t3 = time.perf_counter()
m.save_model(sys.argv[5])
t4 = time.perf_counter()
print(json.dumps({"tool": "fasttext", "import": t1 - t0, "read+train": t2 - t1, "test": t3 - t2, "save": t4 - t3}))
"""

PHASES_WORDSEQ = """
import json, sys, time
t0 = time.perf_counter()
from wordseq.classify import FastTextClassifier, read_labelled
t01 = time.perf_counter()
from wordseq.classify import _ft_kernel  # numba
t1 = time.perf_counter()
train = read_labelled(sys.argv[1], format="fasttext")
t2 = time.perf_counter()
m = FastTextClassifier(dim=50, lr=0.5, epochs=int(sys.argv[3]), word_ngrams=2, buckets=200000, min_count=1,
                       threads=int(sys.argv[4])).fit(train)
t3 = time.perf_counter()
acc = m.evaluate(read_labelled(sys.argv[2], format="fasttext")).accuracy
t4 = time.perf_counter()
m.save(sys.argv[5])
t5 = time.perf_counter()
print(json.dumps({"tool": "wordseq", "import": t01 - t0, "import numba": t1 - t01, "read": t2 - t1, "encode": m.timings["encode_seconds"],
                  "train": m.timings["train_seconds"], "fit (other)": t3 - t2 - sum(m.timings.values()),
                  "test": t4 - t3, "save": t5 - t4}))
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
    p.add_argument("--repeats", type=int, default=3)
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
        common = [str(train), str(test), str(args.epochs), str(args.threads)]
        for _ in range(args.repeats):
            for name, cmd in (
                ("wordseq", ws + ["--epochs", str(args.epochs)]),
                ("fasttext", [PY, "-c", FASTTEXT, *common, str(Path(tmp) / "m.bin")]),
            ):
                seconds, out = timed(cmd, env)
                acc = float(re.search(r"accuracy\s+([\d.]+)", out).group(1))
                acc = acc / 100 if acc > 1 else acc
                results.append({"tool": name, "seconds": round(seconds, 2), "accuracy": acc})
                print(json.dumps(results[-1]), flush=True)
        best = {
            t: min((r for r in results if r["tool"] == t), key=lambda r: r["seconds"]) for t in ("wordseq", "fasttext")
        }
        phases = []
        for name, script in (("wordseq", PHASES_WORDSEQ), ("fasttext", PHASES_FASTTEXT)):
            _, out = timed([PY, "-c", script, *common, str(Path(tmp) / f"p-{name}")], env)
            phases.append(
                {
                    k: round(v, 2) if isinstance(v, float) else v
                    for k, v in json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1]).items()
                }
            )
            print(json.dumps(phases[-1]), flush=True)
    ratio = best["fasttext"]["seconds"] / best["wordseq"]["seconds"]
    print(
        f"minimum of {args.repeats}: wordseq {best['wordseq']['seconds']} s, fasttext {best['fasttext']['seconds']} s: "
        f"wordseq at {ratio:.2f}x the package's speed"
    )
    print(
        json.dumps(
            {
                "date": dt.date.today().isoformat(),
                "epochs": args.epochs,
                "threads": args.threads,
                "results": results,
                "minimum": best,
                "phases": phases,
            }
        )
    )


if __name__ == "__main__":
    main()
