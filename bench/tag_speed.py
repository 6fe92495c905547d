"""Tagging speed: batched BiLSTM-CRF tagging of the EWT test set (2,077 sentences) on 1 and 2 torch threads.

    WORDSEQ_DATA=/path/to/data python bench/tag_speed.py [--model upos.wsq]

Without ``--model`` it trains the benchmark's architecture (300-dim word table, char-CNN, BiLSTM, CRF) for
one epoch on the first 3,000 training sentences: speed does not depend on how well the weights are trained.
Each figure is the best of three passes over the test sentences, encoding included.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a saved tagger to time instead of a freshly trained one")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--max-tokens", type=int, nargs="+", default=[4096, 16384])
    args = ap.parse_args()
    ewt = DATA / "ud_english_ewt"
    if not ewt.exists():
        raise SystemExit(f"benchmark data {ewt} not found (set WORDSEQ_DATA)")

    import torch

    from wordseq.tag import BiLSTMTagger, load_tagger
    from wordseq.tag.formats import read_tagged
    from wordseq.train import TrainConfig

    test = read_tagged(ewt / "en_ewt-ud-test.conllu", "conllu", "upos")
    if args.model:
        tagger = load_tagger(args.model)
    else:
        torch.set_num_threads(1)
        train = read_tagged(ewt / "en_ewt-ud-train.conllu", "conllu", "upos")[:3000]
        config = TrainConfig(epochs=1, optimizer="adam", lr=0.002)
        tagger = BiLSTMTagger(columns=["upos"], crf=True, chars="cnn", embed=300, train=config)
        tagger.fit(train, log=None)
    words = [s.words for s in test]
    print(f"{len(words):,} sentences, {sum(map(len, words)):,} words")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for max_tokens in args.max_tokens:
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                tagger.predict(words, max_tokens=max_tokens, batch_size=4096)
                best = min(best, time.perf_counter() - t0)
            print(f"threads {threads}  max_tokens {max_tokens:>6}  {len(words) / best:,.0f} sentences/s")


if __name__ == "__main__":
    main()
