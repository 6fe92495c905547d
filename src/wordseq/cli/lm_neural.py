"""``wordseq lm train`` and the neural half of ``wordseq lm perplexity``.

``lm train`` reads a corpus at the word or character level and fits a :class:`~wordseq.lm.neural.NeuralLM`
(recurrent or fixed-window) with :func:`wordseq.train.fit`: truncated BPTT, clipping, a schedule, a checkpoint
each epoch (``--resume`` continues exactly), a learning-curve PNG. Under ``torchrun`` it trains data-parallel.
Every default comes from :class:`~wordseq.lm.neural.NeuralLMConfig`.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from wordseq.cli import DefaultsHelpFormatter, set_torch_threads
from wordseq.errors import WordseqError
from wordseq.lm.neural.config import INITS, LEVELS, MODELS, NeuralLMConfig
from wordseq.train.config import OPTIMIZERS, SCHEDULES, TrainConfig
from wordseq.train.precision import choose_bf16, fast_bf16

# config field -> the option that sets it, where the two are spelled differently
CONFIG_FLAGS = {"batch_size": "--batch", "eval_batch_size": "--eval-batch"}
ARCHITECTURE: tuple[str, ...] = ("model", "embed", "hidden", "layers", "dropout", "dropouti", "dropoute", "locked")
ARCHITECTURE += ("tied", "init", "init_scale", "context", "direct")
DATA: tuple[str, ...] = ("level", "min_count", "max_vocab", "batch_size", "bptt", "eval_batch_size")
TRAINING: tuple[str, ...] = (
    "epochs",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "schedule",
    "decay",
    "decay_start",
)
TRAINING += ("patience", "clip", "clip_value", "bf16", "log_interval")


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
    d = NeuralLMConfig()
    d_train = d.train
    p.add_argument("--level", choices=LEVELS, default=d.level, help="model words or characters")
    p.add_argument("--min-count", type=int, default=d.min_count, help="words seen fewer times become <unk>")
    p.add_argument("--max-vocab", type=int, default=d.max_vocab, help="keep at most this many words")
    g = p.add_argument_group("model")
    g.add_argument("--model", choices=list(MODELS), default=d.model, help="recurrent cell, or the fixed-window model")
    g.add_argument("--layers", type=int, default=d.layers, help="recurrent layers")
    g.add_argument("--hidden", type=int, default=d.hidden, help="hidden units per layer")
    g.add_argument("--embed", type=int, default=d.embed, help="embedding size")
    g.add_argument("--context", type=int, default=d.context, help="window model: words of context")
    g.add_argument("--direct", action="store_true", help="window model: direct connections embeddings -> output")
    g.add_argument("--bounded", action="store_true", help="window model: windows stop at </s>, as an n-gram model's do")
    g.add_argument("--dropout", type=float, default=d.dropout, help="dropout between layers and before the output")
    g.add_argument("--dropouti", type=float, default=d.dropouti, help="dropout on the embeddings (default: --dropout)")
    g.add_argument("--dropoute", type=float, default=d.dropoute, help="embedding dropout: drop whole words")
    g.add_argument("--locked", action="store_true", help="variational dropout: one mask for all time steps")
    g.add_argument("--tied", action="store_true", help="tie the input and output embeddings (--embed = --hidden)")
    g.add_argument("--init", choices=INITS, default=d.init, help="initialization of the recurrent weights")
    g.add_argument("--init-scale", type=float, default=d.init_scale, help="uniform init: weights from U(-r, r)")
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, default=d_train.epochs)
    g.add_argument("--batch", type=int, default=d.batch_size, help="parallel streams (global batch under torchrun)")
    g.add_argument("--bptt", type=int, default=d.bptt, help="truncated BPTT window (time steps)")
    g.add_argument("--eval-batch", type=int, default=d.eval_batch_size, help="streams when scoring valid/test")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default=d_train.optimizer)
    g.add_argument("--lr", type=float, default=d_train.lr, help="learning rate")
    g.add_argument("--momentum", type=float, default=d_train.momentum, help="SGD/RMSProp momentum")
    g.add_argument("--weight-decay", type=float, default=d_train.weight_decay)
    g.add_argument("--clip", type=float, default=d_train.clip, help="clip the global gradient norm (0: off)")
    g.add_argument("--clip-value", type=float, default=d_train.clip_value, help="clip each gradient element (0: off)")
    g.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default=d_train.schedule,
        help="step: multiply by --decay after each epoch from --decay-start on (Zaremba); "
        f"plateau: divide by {d_train.plateau_factor:g} when validation does not improve",
    )
    g.add_argument("--decay", type=float, default=d_train.decay, help="step schedule factor")
    g.add_argument(
        "--decay-start", type=int, default=d_train.decay_start, help="step schedule: first decay after this epoch"
    )
    g.add_argument(
        "--patience", type=int, default=d_train.patience, help="early stopping after N epochs without improvement"
    )
    precision = g.add_mutually_exclusive_group()
    precision.add_argument(
        "--bf16",
        action="store_true",
        default=None,
        help="bfloat16 products (default where the CPU has AMX or AVX-512 BF16, and on GPUs)",
    )
    precision.add_argument(
        "--fp32",
        dest="bf16",
        action="store_false",
        default=None,
        help="float32 throughout, even where bfloat16 is fast",
    )
    g.add_argument(
        "--max-minutes",
        type=float,
        default=d_train.max_seconds / 60,
        help="stop training after this long (0: no limit)",
    )
    g.add_argument(
        "--log-interval", type=int, default=d_train.log_interval, help="log the training loss every N batches"
    )
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint MODEL.ckpt")
    p.set_defaults(func=train)


def perplexity_options(parser: argparse.ArgumentParser) -> None:
    d = NeuralLMConfig()
    g = parser.add_argument_group("neural models")
    g.add_argument("--batch", type=int, default=d.eval_batch_size, help="parallel streams when scoring")
    g.add_argument("--bptt", type=int, default=d.bptt, help="window length when scoring")
    g.add_argument("--bf16", action="store_true", help="bfloat16 output layer")


def _paths(output: str) -> tuple[Path, Path, Path]:
    out = Path(output)
    return out, Path(str(out) + ".ckpt"), out.with_suffix(".png")


def config_from_args(args: argparse.Namespace, device: str, bf16: bool) -> NeuralLMConfig:
    """The model's config from the command line, in the precision chosen by :func:`choose_bf16` (validated: an
    error names the field, which the CLI turns into the option through ``args.config_flags``)."""
    args.config_flags = CONFIG_FLAGS
    if not args.max_minutes >= 0:
        raise WordseqError(f"--max-minutes {args.max_minutes}: must be a number >= 0 (0: no limit)")
    training: dict[str, Any] = {name: getattr(args, name) for name in TRAINING}
    training.update(seed=args.seed, device=device, max_seconds=args.max_minutes * 60, bf16=bf16)
    fields: dict[str, Any] = {name: getattr(args, name) for name in ARCHITECTURE + DATA if name in vars(args)}
    fields.update(batch_size=args.batch, eval_batch_size=args.eval_batch)
    fields["bounded_by"] = 3 if args.bounded else None  # the id of </s> in every wordseq vocabulary
    fields.update(
        tokenizer=args.tokenizer,
        lower=args.lower,
        nfkc=args.nfkc,
        keep_apostrophes=not args.split_apostrophes,
        keep_hyphens=not args.split_hyphens,
        punctuation="drop" if args.drop_punctuation else "split",
    )
    return NeuralLMConfig(train=TrainConfig(**training), **fields)


def _checkpoint_bf16(ckpt: Path) -> bool | None:
    """The precision a checkpoint was trained in, so that ``--resume`` alone continues in it (None: no readable
    checkpoint, which the training loop then reports)."""
    from wordseq.train.checkpoint import load_checkpoint

    try:
        value = load_checkpoint(ckpt)["settings"].get("bf16")
    except (WordseqError, KeyError, TypeError):
        return None
    return value if isinstance(value, bool) else None


def train(args: argparse.Namespace) -> int:
    from wordseq.lm.neural.model import NeuralLM
    from wordseq.train import distributed as dist
    from wordseq.train.curves import plot_curves

    set_torch_threads(args)
    out, ckpt, curve = _paths(args.output)
    requested, from_checkpoint = args.bf16, False
    if args.resume and requested is None:  # --resume alone continues in the precision the run started with
        requested = _checkpoint_bf16(ckpt)
        from_checkpoint = requested is not None
    bf16, precision_note = choose_bf16(requested, args.device, from_checkpoint)
    config = config_from_args(args, args.device, bf16)  # checked before torchrun's processes join
    device = dist.init(args.device)
    if config.train.bf16 and not fast_bf16(device):
        warnings.warn(
            f"--bf16: {device} has no native bfloat16 arithmetic (AMX or AVX-512 BF16 on CPUs), so it is "
            "emulated and slower than float32; leave --bf16 off here",
            stacklevel=1,
        )
    if dist.is_main():
        print(precision_note, flush=True)
    try:
        config = config.replace(train=config.train.replace(device=device))
        model = NeuralLM(config).fit(
            args.corpus, args.valid, checkpoint=ckpt, resume=args.resume, log=lambda s: print(s, flush=True)
        )
        if not dist.is_main():
            return 0
        score = model.evaluate(args.test) if args.test else None
        if score is not None:
            model.provenance["test"] = {"path": args.test, **score.to_dict()}
        model.save(out)
        if model.history:
            plot_curves(model.history, curve, "char" if config.level == "char" else "token",
                        title=f"{config.model} on {Path(args.corpus).name}")  # fmt: skip
        if score is not None:
            print(f"test: {score}")
        print(f"model written to {out} (checkpoint {ckpt}, learning curve {curve})", file=sys.stderr)
        return 0
    except KeyboardInterrupt:  # in training or while the model is written: say what the checkpoint holds
        from wordseq.train.checkpoint import resume_note

        raise KeyboardInterrupt(resume_note(ckpt, config.train.epochs)) from None
    finally:
        dist.cleanup()


def perplexity(args: argparse.Namespace) -> int:
    from wordseq.lm.neural.model import NeuralLM
    from wordseq.lm.neural.rnn import set_bf16_output

    set_torch_threads(args)
    model = NeuralLM.load(args.model, args.device)
    if model.network is not None:
        set_bf16_output(model.network, args.bf16)
    score = model.evaluate(args.test, batch_size=args.batch, bptt=args.bptt)
    if score.oov:
        print(
            f"{score.oov:,} of {score.tokens:,} test tokens are scored as <unk> (written <unk> in the text, or not in "
            f"the model's vocabulary)",
            file=sys.stderr,
        )
    print(f"{Path(args.test).name}: {score}")
    return 0
