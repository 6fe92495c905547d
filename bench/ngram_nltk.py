"""wordseq beside NLTK's ``nltk.lm.KneserNeyInterpolated`` on the same slice of PTB: fitting and scoring.

A 3-gram fitted to the first 10,000 lines of PTB train, the same discount (NLTK's default 0.1) in both;
NLTK scores the first sentences of PTB test (it manages tens of tokens per second, so only a few hundred
tokens), wordseq scores the same sentences and the whole test set.

    flock /tmp/wordseq-bench.lock python bench/ngram_nltk.py [--lines 10000] [--score-sentences 12]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
    ap.add_argument("--lines", type=int, default=10000)
    ap.add_argument("--score-sentences", type=int, default=12)
    ap.add_argument("--order", type=int, default=3)
    args = ap.parse_args()
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    from wordseq.lm.ngram import NgramModel
    from wordseq.text.tokenize import Tokenizer

    data = Path(args.data) / "ptb"
    train_lines = (data / "ptb.train.txt").read_text().splitlines()[: args.lines]
    test_lines = [ln for ln in (data / "ptb.test.txt").read_text().splitlines() if ln.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="wordseq-bench-"))
    (tmp / "train.txt").write_text("\n".join(train_lines) + "\n")
    n_train = sum(len(ln.split()) for ln in train_lines)
    N, d = args.order, 0.1

    t = time.perf_counter()
    ours = NgramModel(order=N, smoothing="kn", discount=d).fit(tmp / "train.txt", tokenizer=Tokenizer(), cache=False)
    fit_ours = time.perf_counter() - t

    t = time.perf_counter()
    sents = [ln.split() for ln in train_lines]
    train, vocab = padded_everygram_pipeline(N, sents)
    theirs = KneserNeyInterpolated(N, discount=d)
    theirs.fit(train, vocab)
    fit_nltk = time.perf_counter() - t

    # NLTK scores each token given its N-1 previous tokens (with its own padding)
    few = test_lines[: args.score_sentences]
    t = time.perf_counter()
    nltk_tokens, nltk_inf = 0, 0
    for ln in few:
        words = ["<s>"] * (N - 1) + ln.split() + ["</s>"]
        for i in range(N - 1, len(words)):
            s = theirs.score(words[i], words[i - N + 1 : i])
            nltk_tokens += 1
            nltk_inf += s == 0
    score_nltk = time.perf_counter() - t

    (tmp / "few.txt").write_text("\n".join(few) + "\n")
    (tmp / "test.txt").write_text("\n".join(test_lines) + "\n")
    ours.evaluate(tmp / "few.txt")  # builds the hash index once, as NLTK's fit built its counters
    t = time.perf_counter()
    r_few = ours.evaluate(tmp / "few.txt")
    score_ours_few = time.perf_counter() - t
    t = time.perf_counter()
    r_all = ours.evaluate(tmp / "test.txt")
    score_ours_all = time.perf_counter() - t

    print(
        f"{N}-gram interpolated Kneser-Ney, discount {d}, fitted to the first {args.lines:,} lines of PTB train "
        f"({n_train:,} words)\n"
    )
    print("| | NLTK | wordseq | wordseq speed-up |\n|---|---|---|---|")
    print(f"| fit (from the text) | {fit_nltk:.2f} s | {fit_ours:.3f} s | {fit_nltk / fit_ours:,.0f}x |")
    nltk_rate = nltk_tokens / score_nltk
    ours_rate = r_few.tokens / score_ours_few
    print(
        f"| score {len(few)} test sentences ({nltk_tokens} tokens) | {score_nltk:.2f} s ({nltk_rate:,.1f} tokens/s) | "
        f"{score_ours_few * 1000:.1f} ms ({ours_rate:,.0f} tokens/s) | {ours_rate / nltk_rate:,.0f}x |"
    )
    print(
        f"| score all of PTB test ({r_all.tokens:,} tokens) | (about {r_all.tokens / nltk_rate / 3600:.1f} h at "
        f"its rate) | {score_ours_all:.3f} s ({r_all.tokens / score_ours_all:,.0f} tokens/s) | "
        f"{r_all.tokens / score_ours_all / nltk_rate:,.0f}x |"
    )
    print(
        f"\nNLTK gave probability 0 to {nltk_inf} of its {nltk_tokens} tokens (perplexity "
        f"{'inf' if nltk_inf else 'finite'}); wordseq: perplexity {r_few.perplexity:.1f} on those sentences "
        f"({r_few.oov} scored as <unk>), {r_all.perplexity:.1f} on all of PTB test."
    )


if __name__ == "__main__":
    main()
