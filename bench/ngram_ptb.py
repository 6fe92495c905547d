"""N-gram models on Penn Treebank: build time and peak memory, perplexity against KenLM's numbers, load
times, and scoring throughput beside the kenlm module scoring our ARPA file sentence by sentence.

    flock /tmp/wordseq-bench.lock python bench/ngram_ptb.py [--data ../shared/data] [--orders 3,5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {3: 148.28, 5: 141.19}


def build_only(data: Path, order: int, out: str) -> None:
    """Run in a child process so its peak memory is the build's own."""
    import numpy as np  # noqa: F401

    from wordseq.lm.ngram import NgramConfig, NgramModel, count_ngrams
    from wordseq.text.encode import encode_corpus
    from wordseq.text.tokenize import Tokenizer

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    enc = encode_corpus(data / "ptb" / "ptb.train.txt", Tokenizer(), cache=False)
    t1 = time.perf_counter()
    counts = count_ngrams(enc.ids, enc.vocab, order)
    t2 = time.perf_counter()
    model = NgramModel.from_counts(counts, NgramConfig(smoothing="mkn"), tokenizer=Tokenizer())
    t3 = time.perf_counter()
    model.save(out)
    t4 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "encode": t1 - t0,
                "count": t2 - t1,
                "estimate": t3 - t2,
                "write": t4 - t3,
                "base_mb": base / 1024,
                "peak_mb": peak / 1024,
                "ngrams": model.sizes(),
            }
        )
    )


def child(data: Path, order: int, out: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run(
        [sys.executable, __file__, "--data", str(data), "--build-only", str(order), out],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
    ap.add_argument("--build-only", nargs=2, metavar=("ORDER", "OUT"))
    ap.add_argument("--orders", default="3,5", help="orders to build, comma-separated (default 3,5)")
    args = ap.parse_args()
    orders = [int(x) for x in args.orders.split(",")]
    top = max(orders)
    data = Path(args.data)
    if args.build_only:
        build_only(data, int(args.build_only[0]), args.build_only[1])
        return
    import numpy as np

    from wordseq.lm.ngram import NgramModel
    from wordseq.text.encode import encode_corpus

    tmp = Path(tempfile.mkdtemp(prefix="wordseq-bench-"))
    test = data / "ptb" / "ptb.test.txt"
    print("## build (modified Kneser-Ney, PTB train 887,521 words + 42,068 </s>), fresh process, no cache")
    print(
        "| order | output | encode s | count s | estimate s | write s | total s | peak RSS MB (python+numpy base) | n-grams |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    builds = {}
    for order in orders:
        for suffix in ("wsq", "arpa"):
            out = str(tmp / f"ptb{order}.{suffix}")
            b = child(data, order, out)
            builds[(order, suffix)] = out
            total = b["encode"] + b["count"] + b["estimate"] + b["write"]
            print(
                f"| {order} | .{suffix} | {b['encode']:.2f} | {b['count']:.2f} | {b['estimate']:.2f} | "
                f"{b['write']:.2f} | {total:.2f} | {b['peak_mb']:.0f} ({b['base_mb']:.0f}) | "
                f"{', '.join(f'{x:,}' for x in b['ngrams'])} |"
            )

    print("\n## perplexity on PTB test (82,430 tokens with </s>; KenLM lmplz+query: 5-gram 141.19, 3-gram 148.28)")
    print("| order | wordseq | KenLM target | relative difference |")
    print("|---|---|---|---|")
    for order in orders:
        m = NgramModel.load(builds[(order, "wsq")])
        ppl = m.evaluate(test).perplexity
        print(f"| {order} | {ppl:.3f} | {TARGETS[order]} | {100 * (ppl / TARGETS[order] - 1):+.4f}% |")

    print(f"\n## load times ({top}-gram)")
    t = time.perf_counter()
    m = NgramModel.load(builds[(top, "wsq")])
    t_wsq = time.perf_counter() - t
    t = time.perf_counter()
    NgramModel.load(builds[(top, "arpa")])
    t_arpa = time.perf_counter() - t
    try:
        import kenlm
    except ImportError:
        kenlm = None
    t_ken = float("nan")
    if kenlm is not None:
        t = time.perf_counter()
        k = kenlm.Model(builds[(top, "arpa")])
        t_ken = time.perf_counter() - t
    print("| file | wordseq | kenlm |\n|---|---|---|")
    print(f"| .wsq | {t_wsq:.2f} s | - |")
    print(f"| .arpa ({Path(builds[(top, 'arpa')]).stat().st_size / 1e6:.0f} MB) | {t_arpa:.2f} s | {t_ken:.2f} s |")

    print(f"\n## scoring throughput, PTB test, {top}-gram (tokens/s, </s> included; best of 3)")
    lines = test.read_text().splitlines()
    enc = encode_corpus(test, m.tokenizer, vocab=m.vocab)
    ids = np.asarray(enc.ids)

    def best(f, reps=3):
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        return min(ts)

    fresh = NgramModel.load(builds[(top, "wsq")])
    t = time.perf_counter()
    r = fresh.evaluate(test)
    first = time.perf_counter() - t
    n = r.tokens
    rows = [("wordseq, first call from the text file (tokenize + encode + build hash index + score)", n / first)]
    rows.append(("wordseq `evaluate(path)` from the text file, index built", n / best(lambda: m.evaluate(test))))
    m.evaluate((ids, m.vocab))
    rows.append(("wordseq `evaluate((ids, vocab))` on encoded ids", n / best(lambda: m.evaluate((ids, m.vocab)))))
    rows.append(("wordseq `full_scores` sentence by sentence", n / best(lambda: [m.full_scores(s) for s in lines], 1)))
    if kenlm is not None:
        rows.append(
            (
                "kenlm `full_scores` sentence by sentence (our ARPA)",
                n / best(lambda: [list(k.full_scores(s)) for s in lines]),
            )
        )
        rows.append(("kenlm `score` sentence by sentence (our ARPA)", n / best(lambda: [k.score(s) for s in lines])))
    print("| scorer | tokens/s |\n|---|---|")
    for name, v in rows:
        print(f"| {name} | {v:,.0f} |")
    if kenlm is not None:
        print(
            f"\nratio, wordseq evaluate(path) / kenlm score: "
            f"{rows[1][1] / rows[-1][1]:.2f}x; evaluate((ids, vocab)) / kenlm score: {rows[2][1] / rows[-1][1]:.2f}x"
        )
        worst = max(max(abs(a[0] - b[0]) for a, b in zip(m.full_scores(s), k.full_scores(s))) for s in lines)
        print(f"largest per-token difference, wordseq vs kenlm on our ARPA: {worst:.2e} (log10)")
    t = time.perf_counter()
    m.generate(num_samples=10, seed=0)
    print(f"\ngenerating 10 sentences from the {top}-gram: {time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
