"""Tatoeba/Anki English -> French: hold out 5% of the pairs (by a seeded shuffle, every translation of one
English sentence on the same side), train on the rest with attention, and report BLEU on the held-out
part with a few example translations.

    python bench/seq2seq_anki.py --threads 2 --max-len 10 --max-seconds 1800 -o /tmp/en-fr.wsq

Reads $WORDSEQ_DATA/fra_eng_anki/fra-eng.zip in place (no extraction).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import torch

from wordseq.seq2seq import ParallelText, Seq2Seq, Seq2SeqConfig, read_tsv
from wordseq.train.loop import TrainConfig

ROOT = Path(__file__).resolve().parent.parent


def split(text: ParallelText, fraction: float, seed: int) -> tuple[ParallelText, ParallelText]:
    """Held-out pairs by English sentence, so that no test sentence was seen in training."""
    sources = sorted(set(text.src))
    random.Random(seed).shuffle(sources)
    held = set(sources[: int(len(sources) * fraction)])
    train, test = ParallelText([], []), ParallelText([], [])
    for s, t in zip(text.src, text.tgt):
        part = test if s in held else train
        part.src.append(s)
        part.tgt.append(t)
    return train, test


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--embed", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--max-len", type=int, default=10, help="keep pairs with at most this many tokens a side")
    ap.add_argument("--max-seconds", type=float, default=0.0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("-o", "--output", default="/tmp/seq2seq_anki.wsq")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    archive = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data")) / "fra_eng_anki" / "fra-eng.zip"
    if not archive.exists():
        print(f"{archive} not found; set WORDSEQ_DATA", file=sys.stderr)
        return 0
    torch.set_num_threads(args.threads)
    text = read_tsv(f"{archive}:fra.txt")
    rest, test = split(text, 0.05, seed=0)
    train, valid = split(rest, 0.02, seed=1)
    config = Seq2SeqConfig(
        embed=args.embed,
        hidden=args.hidden,
        attention="bahdanau",
        dropout=0.2,
        batch_size=args.batch,
        min_count=2,
        max_len=args.max_len,
        tie_embeddings=True,
        train=TrainConfig(
            epochs=args.epochs,
            optimizer="adam",
            lr=1e-3,
            clip=1.0,
            device=args.device,
            bf16=args.bf16,
            max_seconds=args.max_seconds,
            patience=2,
        ),
    )
    t0 = time.perf_counter()
    model = Seq2Seq(config).fit(train, valid=ParallelText(valid.src[:2000], valid.tgt[:2000]))
    seconds = time.perf_counter() - t0
    model.save(args.output)
    n = len(test.src)
    short = [
        i for i in range(n) if len(test.src[i].split()) <= args.max_len and len(test.tgt[i].split()) <= args.max_len
    ]
    sub = ParallelText([test.src[i] for i in short], [test.tgt[i] for i in short])
    hyps: list[str] = []
    score = model.evaluate(sub, beam=5, outputs=hyps)
    print(f"held-out pairs (both sides <= {args.max_len} tokens): {len(sub)}\n{score.text()}")
    examples = [(sub.src[i], hyps[i], sub.tgt[i]) for i in range(0, len(sub), max(1, len(sub) // 8))][:8]
    for s, h, r in examples:
        print(f"  {s}\n    -> {h}\n    ref {r}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "train_seconds": seconds,
                    "history": model.history,
                    "score": vars(score),
                    "examples": examples,
                },
                indent=1,
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
