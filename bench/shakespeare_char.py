"""Tiny Shakespeare, characters: validation loss <= 1.50 nats/char within 30 minutes of CPU training.

nanoGPT's split: the first 90% of the characters train, the last 10% validate. The model: a 2 x 384 LSTM over
characters (embedding 64), dropout 0.2, Adam, 100-step windows, 32 streams, training stopped at the time
limit. Prints the per-epoch log, the validation loss in nats and bits per character, and samples.

    PYTHONPATH=src nice -n 5 python bench/shakespeare_char.py --out /tmp/shakespeare --minutes 30 --threads 2
"""

from __future__ import annotations

import argparse
import time
from importlib import resources
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/shakespeare-char")
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--bptt", type=int, default=100)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 products (CPUs with AMX / AVX-512 BF16)")
    args = ap.parse_args()

    import torch

    from wordseq.lm.neural import NeuralLM, NeuralLMConfig
    from wordseq.train import TrainConfig
    from wordseq.train.curves import plot_curves

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = (resources.files("wordseq") / "data" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    cut = int(len(text) * 0.9)
    (out / "train.txt").write_text(text[:cut], encoding="utf-8")
    (out / "valid.txt").write_text(text[cut:], encoding="utf-8")
    print(f"{len(text):,} characters: train {cut:,}, valid {len(text) - cut:,}")
    config = NeuralLMConfig(
        model="lstm",
        level="char",
        embed=64,
        hidden=args.hidden,
        layers=2,
        dropout=0.2,
        init="uniform",
        init_scale=0.08,
        batch_size=args.batch,
        bptt=args.bptt,
        eval_batch_size=16,
        train=TrainConfig(
            epochs=args.epochs,
            optimizer="adam",
            lr=2e-3,
            clip=1.0,
            schedule="plateau",
            plateau_factor=2.0,
            max_seconds=args.minutes * 60,
            seed=0,
            log_interval=100,
            bf16=args.bf16,
        ),
    )
    t0 = time.perf_counter()
    model = NeuralLM(config).fit(
        out / "train.txt", out / "valid.txt", checkpoint=out / "char.ckpt", log=lambda s: print(s, flush=True)
    )
    minutes = (time.perf_counter() - t0) / 60
    score = model.evaluate(out / "valid.txt")
    model.provenance["bench"] = "shakespeare_char"
    model.save(out / "char.wsq")
    plot_curves(model.history, out / "char.png", "char", "Tiny Shakespeare, 2x384 LSTM over characters")
    best = min(e["valid_loss_nats"] for e in model.history)
    print(f"\ntrained {minutes:.1f} min ({len(model.history)} epochs; {model.stopped or 'all epochs'})")
    print(
        f"valid: {score.loss_nats:.4f} nats/char ({score.bits_per_character:.3f} bits/char) over "
        f"{score.tokens:,} characters; best epoch {best:.4f}; target <= 1.50 nats/char"
    )
    for seed, prompt in enumerate(["ROMEO:\n", "First Citizen:\n", "KING HENRY:\n"]):
        (sample,) = model.generate(prompt, 400, temperature=0.8, no_unk=True, seed=seed)
        print(f"\n--- sample {seed + 1} (temperature 0.8, prompt {prompt.strip()!r}) ---\n{sample}")


if __name__ == "__main__":
    main()
