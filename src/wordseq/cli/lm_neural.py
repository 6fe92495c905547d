"""``wordseq lm train`` and the neural half of ``wordseq lm perplexity``.

``lm train`` reads a corpus at the word or character level, builds a recurrent (or fixed-window) language
model and trains it with :func:`wordseq.train.fit`: truncated BPTT, clipping, a schedule, a checkpoint each
epoch (``--resume`` continues exactly), a learning-curve PNG. Under ``torchrun`` it trains data-parallel.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from wordseq.cli import DefaultsHelpFormatter, set_torch_threads
from wordseq.errors import WordseqError


def register(sub, parents) -> None:
    from wordseq.cli import tokenizer_options

    p = sub.add_parser(
        "train",
        parents=parents + [tokenizer_options()],
        help="train a neural language model (RNN, LSTM, GRU, window)",
        description="Train a neural language model over words or characters with truncated backpropagation "
        "through time. Writes MODEL, a checkpoint MODEL.ckpt after each epoch (--resume continues "
        "from it) and a learning curve MODEL.png. Run under torchrun for data-parallel training.",
        formatter_class=DefaultsHelpFormatter,
    )
    p.add_argument("corpus", help="training corpus (file, directory or glob)")
    p.add_argument("-o", "--output", required=True, help="model file to write (.wsq)")
    p.add_argument("--valid", help="validation corpus (schedule, early stopping, per-epoch perplexity)")
    p.add_argument("--test", help="test corpus, scored after training")
    p.add_argument("--level", choices=["word", "char"], default="word", help="model words or characters")
    p.add_argument("--min-count", type=int, default=1, help="words seen fewer times become <unk>")
    p.add_argument("--max-vocab", type=int, default=None, help="keep at most this many words")
    g = p.add_argument_group("model")
    g.add_argument(
        "--model",
        choices=["lstm", "gru", "rnn", "rnn-relu", "peephole", "coupled", "window"],
        default="lstm",
        help="recurrent cell, or the fixed-window model",
    )
    g.add_argument("--layers", type=int, default=2, help="recurrent layers")
    g.add_argument("--hidden", type=int, default=200, help="hidden units per layer")
    g.add_argument("--embed", type=int, default=200, help="embedding size")
    g.add_argument("--context", type=int, default=4, help="window model: words of context")
    g.add_argument("--dropout", type=float, default=0.0, help="dropout between layers and before the output")
    g.add_argument("--dropouti", type=float, default=None, help="dropout on the embeddings (default: --dropout)")
    g.add_argument("--dropoute", type=float, default=0.0, help="embedding dropout: drop whole words")
    g.add_argument("--locked", action="store_true", help="variational dropout: one mask for all time steps")
    g.add_argument("--tied", action="store_true", help="tie the input and output embeddings (--embed = --hidden)")
    g.add_argument(
        "--init",
        choices=["uniform", "xavier", "orthogonal", "identity"],
        default="uniform",
        help="initialization of the recurrent weights",
    )
    g.add_argument("--init-scale", type=float, default=0.1, help="uniform init: weights from U(-r, r)")
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, default=10)
    g.add_argument("--batch", type=int, default=20, help="parallel streams (global batch under torchrun)")
    g.add_argument("--bptt", type=int, default=35, help="truncated BPTT window (time steps)")
    g.add_argument("--eval-batch", type=int, default=10, help="streams when scoring valid/test")
    g.add_argument("--optimizer", choices=["sgd", "adam", "adagrad", "rmsprop"], default="sgd")
    g.add_argument("--lr", type=float, default=1.0, help="learning rate")
    g.add_argument("--momentum", type=float, default=0.0, help="SGD/RMSProp momentum")
    g.add_argument("--weight-decay", type=float, default=0.0)
    g.add_argument("--clip", type=float, default=5.0, help="clip the global gradient norm (0: off)")
    g.add_argument("--clip-value", type=float, default=0.0, help="clip each gradient element (0: off)")
    g.add_argument(
        "--schedule",
        choices=["none", "step", "plateau"],
        default="plateau",
        help="step: multiply by --decay after each epoch from --decay-start on (Zaremba); "
        "plateau: divide by 4 when validation does not improve",
    )
    g.add_argument("--decay", type=float, default=0.5, help="step schedule factor")
    g.add_argument("--decay-start", type=int, default=4, help="step schedule: first decay after this epoch")
    g.add_argument("--patience", type=int, default=0, help="early stopping after N epochs without improvement")
    g.add_argument("--bf16", action="store_true", help="bfloat16 output layer (the vocabulary softmax)")
    g.add_argument("--max-minutes", type=float, default=0.0, help="stop training after this long (0: no limit)")
    g.add_argument("--log-interval", type=int, default=0, help="log the training loss every N batches")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint MODEL.ckpt")
    p.set_defaults(func=train)


def perplexity_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("neural models")
    g.add_argument("--batch", type=int, default=10, help="parallel streams when scoring")
    g.add_argument("--bptt", type=int, default=35, help="window length when scoring")
    g.add_argument("--bf16", action="store_true", help="bfloat16 output layer")


def _paths(output: str) -> tuple[Path, Path, Path]:
    out = Path(output)
    return out, Path(str(out) + ".ckpt"), out.with_suffix(".png")


def train(args: argparse.Namespace) -> int:
    import torch

    from wordseq.cli import tokenizer_from_args
    from wordseq.lm.neural.data import check_length, load_corpora
    from wordseq.lm.neural.files import save_lm
    from wordseq.lm.neural.model import build_model, model_config, set_bf16_output
    from wordseq.lm.neural.task import LMTask, evaluate_lm
    from wordseq.train import TrainConfig, fit
    from wordseq.train import distributed as dist
    from wordseq.train.curves import plot_curves

    set_torch_threads(args)
    out, ckpt, curve = _paths(args.output)
    for name in ("epochs", "batch", "bptt", "layers", "hidden", "embed", "eval_batch"):
        if getattr(args, name) < 1:
            raise WordseqError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.level == "char" and args.tokenizer not in ("whitespace",):
        raise WordseqError(f"--level char reads characters; --tokenizer {args.tokenizer} does not apply")
    tokenizer = tokenizer_from_args(args)  # load_corpora makes it a char tokenizer for --level char
    device = dist.init(args.device)
    try:
        corpus = load_corpora(args.corpus, args.valid, args.test, args.level, tokenizer, args.min_count, args.max_vocab)
        check_length(args.corpus, len(corpus.train), args.batch, args.bptt)
        config = model_config(
            vocab_size=len(corpus.vocab),
            model=args.model,
            embed=args.embed,
            hidden=args.hidden,
            layers=args.layers,
            dropout=args.dropout,
            dropouti=args.dropouti,
            dropoute=args.dropoute,
            locked=args.locked,
            tied=args.tied,
            init=args.init,
            init_scale=args.init_scale,
            context=args.context,
        )
        torch.manual_seed(args.seed)
        model = build_model(config)
        set_bf16_output(model, args.bf16)
        task = LMTask(
            corpus.train,
            corpus.valid,
            None,
            args.batch,
            args.bptt,
            args.eval_batch,
            eos_id=corpus.eos_id,
            level=args.level,
            device=device,
        )
        tc = TrainConfig(
            epochs=args.epochs,
            optimizer=args.optimizer,
            lr=args.lr,
            momentum=args.momentum,
            weight_decay=args.weight_decay,
            schedule=args.schedule,
            decay=args.decay,
            decay_start=args.decay_start,
            patience=args.patience,
            clip=args.clip,
            clip_value=args.clip_value,
            seed=args.seed,
            device=device,
            bf16=args.bf16,
            max_seconds=args.max_minutes * 60,
            log_interval=args.log_interval,
        )
        meta = {
            **{f"model.{k}": v for k, v in config.items()},
            "level": args.level,
            "batch": args.batch,
            "bptt": args.bptt,
            "tokenizer": json.dumps(corpus.tokenizer.config(), sort_keys=True),
            "train_data": corpus.fingerprints.get("train"),
            "world_size": dist.world_size(),
        }
        n_params = sum(p.numel() for p in model.parameters())
        if dist.is_main():
            print(
                f"{args.model} LM, {n_params:,} parameters, vocabulary {len(corpus.vocab):,} "
                f"({args.level}s), {len(corpus.train):,} training tokens",
                file=sys.stderr,
            )
        history = fit(
            model, task, tc, checkpoint=ckpt, resume=args.resume, meta=meta, log=lambda s: print(s, flush=True)
        )
        if not dist.is_main():
            return 0
        provenance = {"corpus": corpus.paths, "history": history.to_list(), "train_settings": tc.settings()}
        test_line = None
        if corpus.test is not None:
            loss, n = evaluate_lm(model, corpus.test, args.eval_batch, args.bptt, corpus.eos_id, device)
            provenance["test_loss"] = loss
            test_line = _score_line(loss, n, args.level, "test")
        save_lm(out, model, config, corpus.vocab, corpus.tokenizer.config(), args.level, provenance)
        if history.epochs:
            plot_curves(history.epochs, curve, task.unit, title=f"{args.model} on {Path(args.corpus).name}")
        if test_line:
            print(test_line)
        print(f"model written to {out} (checkpoint {ckpt}, learning curve {curve})", file=sys.stderr)
        return 0
    finally:
        dist.cleanup()


def _score_line(loss: float, n: int, level: str, what: str) -> str:
    if level == "char":
        return f"{what}: {n:,} characters, {loss:.4f} nats/char, {loss / math.log(2):.4f} bits/char"
    return f"{what}: {n:,} tokens, perplexity {math.exp(loss):.2f} (cross-entropy {loss:.4f} nats/token)"


def perplexity(args: argparse.Namespace) -> int:
    import numpy as np

    from wordseq.lm.neural.data import check_level, encode_with
    from wordseq.lm.neural.files import load_lm
    from wordseq.lm.neural.model import set_bf16_output
    from wordseq.lm.neural.task import evaluate_lm

    set_torch_threads(args)
    lm = load_lm(args.model, args.device)
    set_bf16_output(lm.model, args.bf16)
    ids, _ = encode_with(args.test, lm.tokenizer, lm.vocab)
    check_level(args.test, ids, lm.vocab, lm.level)
    unk = int(np.count_nonzero(ids == lm.vocab.unk_id)) if lm.vocab.unk_id is not None else 0
    if unk:
        print(
            f"{unk:,} of {len(ids):,} test tokens are scored as <unk> (written <unk> in the text, or not in the "
            f"model's vocabulary)",
            file=sys.stderr,
        )
    loss, n = evaluate_lm(lm.model, ids, args.batch, args.bptt, lm.vocab.stoi.get("</s>"), args.device)
    print(_score_line(loss, n, lm.level, Path(args.test).name))
    return 0
