"""Analogy evaluation speed: wordseq's batched evaluation against gensim's ``evaluate_word_analogies``,
on the same vectors, with a check that every section's result is identical.

    flock /tmp/wordseq-bench.lock python bench/analogy_eval.py [--vectors FILE ...]

Default vectors: the GloVe and PPMI+SVD vectors bench/glove_ppmi.py leaves in
``$TMPDIR/wordseq-bench-vectors``. Both tools score the Google analogy set (19,544 questions) with
restrict_vocab 300,000 and case folding, in this process; gensim's time includes its file reading, ours too.
Also SimLex-999 / WordSim-353 Spearman from both (``evaluate_word_pairs``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    default_dir = Path(tempfile.gettempdir()) / "wordseq-bench-vectors"
    ap.add_argument("--vectors", type=Path, nargs="+", default=[default_dir / "glove.wsq", default_dir / "ppmi.wsq"])
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads for both (default 2)")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(args.threads))

    from gensim.models import KeyedVectors

    from wordseq.embed import evaluate_analogies, evaluate_similarity, load_vectors

    logging.disable(logging.WARNING)
    questions = args.data / "google_analogy" / "questions-words.txt"
    if not questions.exists():
        raise SystemExit(f"benchmark data {questions} not found (set WORDSEQ_DATA)")
    rows = []
    for path in args.vectors:
        v = load_vectors(path)
        kv = KeyedVectors(v.dim)
        kv.add_vectors(v.words, v.vectors)

        t = time.perf_counter()
        score, sections = kv.evaluate_word_analogies(str(questions), restrict_vocab=300000)
        t_gensim = time.perf_counter() - t
        t = time.perf_counter()
        ours = evaluate_analogies(v, questions, restrict_vocab=300000)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        cosmul = evaluate_analogies(v, questions, restrict_vocab=300000, method="3cosmul")
        t_cosmul = time.perf_counter() - t

        theirs = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections]
        mine = [(s.name, s.correct, s.total) for s in ours.sections] + [("Total accuracy", ours.correct, ours.total)]
        same = theirs == mine
        if not same:
            for a, b in zip(theirs, mine):
                if a != b:
                    print(f"  differs: gensim {a} wordseq {b}")
        sims = []
        for f in ("EN-SIMLEX-999.txt", "EN-WS-353-ALL.txt"):
            p = args.data / "word_similarity" / f
            _, sp, _ = kv.evaluate_word_pairs(str(p))
            r = evaluate_similarity(v, p)
            sims.append((f, float(sp[0]), r.spearman))
        rows.append((path.name, len(v), ours, score, same, t_gensim, t_ours, cosmul, t_cosmul, sims))

    print(
        f"date {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores "
        f"(shared), BLAS threads {args.threads}"
    )
    print()
    print(
        "| vectors | words | questions scored | gensim accuracy | wordseq accuracy | identical per section | "
        "gensim time | wordseq time | speed-up | wordseq 3CosMul (time) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, n, ours, score, same, tg, to, cosmul, tc, _ in rows:
        print(
            f"| {name} | {n:,} | {ours.total:,} ({ours.oov} skipped) | {100 * score:.2f}% | {100 * ours.accuracy:.2f}% "
            f"| {'yes' if same else 'NO'} | {tg:.1f} s | {to:.2f} s | {tg / to:.0f}x | "
            f"{100 * cosmul.accuracy:.2f}% ({tc:.2f} s) |"
        )
    print()
    for name, *_, sims in rows:
        for f, g, o in sims:
            print(f"{name} {f}: Spearman gensim {g:.6f}, wordseq {o:.6f}, difference {abs(g - o):.1e}")


if __name__ == "__main__":
    main()
