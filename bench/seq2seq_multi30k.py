"""Multi30k task 1, German -> English: train an encoder-decoder with attention, then score validation and
test 2016 with greedy and beam search (BLEU lowercased tokenized as the tutorials report it, sacreBLEU, chrF)
and time training and translation.

    python bench/seq2seq_multi30k.py --threads 2 --hidden 256 --max-seconds 3600 -o /tmp/m30k.wsq

The data is read from $WORDSEQ_DATA/multi30k (default <repo>/../shared/data); the script says so and exits
when it is absent. Tune on validation only; test is scored once, at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from wordseq.seq2seq import Seq2Seq, Seq2SeqConfig
from wordseq.train.loop import TrainConfig

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data")) / "multi30k"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--embed", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--attention", default="bahdanau")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--cell", default="gru", help="encoder and decoder cell: rnn, gru or lstm")
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--early-stop", default="loss", choices=("loss", "bleu"))
    ap.add_argument("--schedule", default="none", choices=("none", "plateau"))
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--log-interval", type=int, default=0, help="log the training loss every this many batches")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--tie", action="store_true", default=True)
    ap.add_argument("--no-tie", dest="tie", action="store_false")
    ap.add_argument("--max-seconds", type=float, default=0.0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("-o", "--output", default="/tmp/seq2seq_multi30k.wsq")
    ap.add_argument("--json", default=None, help="write the figures here as JSON")
    ap.add_argument("--attention-png", default=None, help="draw the attention of the first validation sentence here")
    args = ap.parse_args()
    d = data_dir()
    if not (d / "train.de.gz").exists():
        print(f"Multi30k not found under {d}; set WORDSEQ_DATA", file=sys.stderr)
        return 0
    torch.set_num_threads(args.threads)
    config = Seq2SeqConfig(
        embed=args.embed,
        hidden=args.hidden,
        attention=args.attention,
        layers=args.layers,
        encoder_cell=args.cell,
        decoder_cell=args.cell,
        label_smoothing=args.label_smoothing,
        early_stop=args.early_stop,
        dropout=args.dropout,
        batch_size=args.batch,
        min_count=args.min_count,
        tie_embeddings=args.tie,
        train=TrainConfig(
            epochs=args.epochs,
            optimizer="adam",
            lr=args.lr,
            clip=1.0,
            device=args.device,
            bf16=args.bf16,
            max_seconds=args.max_seconds,
            schedule=args.schedule,
            patience=args.patience,
            log_interval=args.log_interval,
        ),
    )
    t0 = time.perf_counter()
    model = Seq2Seq(config).fit(
        (d / "train.de.gz", d / "train.en.gz"), valid=(d / "val.de.gz", d / "val.en.gz"), checkpoint=args.checkpoint
    )
    train_seconds = time.perf_counter() - t0
    model.save(args.output)
    result: dict = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, torch threads {args.threads}",
        "args": vars(args),
        "train_seconds": train_seconds,
        "history": model.history,
        "metrics": model.metrics,
    }
    for split, beam in (("val", 1), ("val", args.beam), ("test_2016_flickr", 1), ("test_2016_flickr", args.beam)):
        score = model.evaluate((d / f"{split}.de.gz", d / f"{split}.en.gz"), beam=beam)
        print(f"{split} beam {beam}:\n{score.text()}", flush=True)
        result[f"{split}_beam{beam}"] = vars(score)
    if args.attention_png and args.attention != "none":
        import gzip

        from wordseq.seq2seq.plot import plot_attention

        with gzip.open(d / "val.de.gz", "rt", encoding="utf-8") as f:
            sentence = f.readline().strip()
        src, out, weights = model.attention(sentence, beam=args.beam)
        plot_attention(src, out, weights, args.attention_png, title=f"{args.attention} attention, beam {args.beam}")
        result["attention_example"] = {"source": src, "output": out}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
