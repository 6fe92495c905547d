"""``wordseq translate``: train an encoder-decoder translation model, translate text, score it, draw its
attention.

    wordseq translate train --src train.de --tgt train.en --valid-src val.de --valid-tgt val.en -o de-en.wsq
    wordseq translate de-en.wsq [FILE|-] --beam 5          # one sentence per line in, one out
    wordseq translate eval de-en.wsq --src test.de --ref test.en
    wordseq translate attention de-en.wsq "ein mann fährt fahrrad ." -o attn.png

The first word after ``translate`` is a subcommand (train, eval, attention) or, otherwise, a model file to
translate with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wordseq.cli import DefaultsHelpFormatter, set_torch_threads
from wordseq.errors import WordseqError

ACTIONS = ("train", "eval", "attention")


class _AnyName:
    """The subcommands' names as argparse checks them: any first word is accepted, and one that names no
    subcommand is read as a model file (the ``run`` subcommand)."""

    def __init__(self, names: dict) -> None:
        self.names = names

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self):
        return iter(self.names)

    def __getitem__(self, key: str) -> argparse.ArgumentParser:
        return self.names[key]

    def items(self):
        return self.names.items()

    def keys(self):
        return self.names.keys()


class _SubcommandOrModel(argparse._SubParsersAction):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.choices = _AnyName(self._name_parser_map)  # type: ignore[assignment]

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if values and values[0] not in ACTIONS and values[0] != "run":
            values = ["run", *values]
        super().__call__(parser, namespace, values, option_string)


def _decode_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("decoding")
    g.add_argument("--beam", type=int, default=5, help="beam size (1: greedy decoding)")
    g.add_argument("--alpha", type=float, default=0.6, help="GNMT length penalty exponent (0: raw log-probability)")
    g.add_argument("--max-len-ratio", type=float, default=2.0, help="longest output: this times the source length + 5")
    g.add_argument("--replace-unk", action="store_true", help="replace <unk> by the most attended source word")
    g.add_argument("--batch", type=int, default=64, help="sentences translated together")


def register(sub, parents) -> None:
    p = sub.add_parser(
        "translate",
        help="sequence to sequence: train, translate, evaluate (BLEU, chrF), attention pictures",
        description="Train an encoder-decoder translation model, translate text, score it (BLEU, chrF), draw its "
        "attention. The first word is train, eval, attention, or a model file to translate with.",
        formatter_class=DefaultsHelpFormatter,
    )
    actions = p.add_subparsers(
        dest="action", metavar="{train,eval,attention,MODEL}", action=_SubcommandOrModel, required=True
    )

    t = actions.add_parser(
        "train",
        parents=parents,
        help="train a model on parallel text",
        description="Train an encoder-decoder on parallel text (two line-aligned files, or one tab-separated "
        "file). Writes MODEL, a checkpoint MODEL.ckpt after each epoch (--resume continues from it) and "
        "learning curves MODEL.png.",
        formatter_class=DefaultsHelpFormatter,
    )
    g = t.add_argument_group("data")
    g.add_argument("--src", help="source sentences, one per line (plain or compressed)")
    g.add_argument("--tgt", help="target sentences, line-aligned with --src")
    g.add_argument("--tsv", help="pairs as source<TAB>target lines (also archive.zip or archive.zip:member)")
    g.add_argument("--swap", action="store_true", help="--tsv: the target comes first on each line")
    g.add_argument("--valid-src", help="validation source sentences")
    g.add_argument("--valid-tgt", help="validation target sentences")
    g.add_argument("--valid-tsv", help="validation pairs, tab-separated")
    g.add_argument("-o", "--output", required=True, help="model file to write (.wsq)")
    g.add_argument("--min-count", type=int, default=1, help="words seen fewer times become <unk>")
    g.add_argument("--max-vocab", type=int, default=None, help="keep at most this many words per vocabulary")
    g.add_argument("--shared-vocab", action="store_true", help="one vocabulary for both languages")
    g.add_argument("--max-len", type=int, default=50, help="leave out training pairs longer than this (0: no limit)")
    g.add_argument("--tokenizer", choices=["whitespace", "word", "char"], default="word")
    g.add_argument("--cased", action="store_true", help="keep case (default: lowercase, as the tutorials)")
    g = t.add_argument_group("model")
    g.add_argument("--attention", choices=["none", "bahdanau", "luong"], default="bahdanau")
    g.add_argument("--luong-score", choices=["dot", "general"], default="general")
    g.add_argument("--no-input-feeding", action="store_true", help="luong: do not feed the attentional vector back")
    g.add_argument("--encoder-cell", choices=["rnn", "gru", "lstm"], default="gru")
    g.add_argument("--cell", default="gru", help="decoder cell: any of wordseq.nn (rnn, gru, lstm, lstm-peephole, ...)")
    g.add_argument("--unidirectional", action="store_true", help="read the source left to right only")
    g.add_argument("--layers", type=int, default=1)
    g.add_argument("--embed", type=int, default=256)
    g.add_argument("--hidden", type=int, default=512)
    g.add_argument("--dropout", type=float, default=0.3)
    g.add_argument("--tie", action="store_true", help="tie the decoder's input and output embeddings")
    g.add_argument("--teacher-forcing", type=float, default=1.0, help="probability of feeding the gold word")
    g.add_argument("--teacher-forcing-decay", type=float, default=1.0, help="multiplied into it each epoch")
    g.add_argument("--label-smoothing", type=float, default=0.0)
    g = t.add_argument_group("training")
    g.add_argument("--epochs", type=int, default=10)
    g.add_argument("--batch", type=int, default=64, help="sentence pairs per batch (global under torchrun)")
    g.add_argument("--optimizer", choices=["sgd", "adam", "adagrad", "rmsprop"], default="adam")
    g.add_argument("--lr", type=float, default=1e-3)
    g.add_argument("--clip", type=float, default=1.0, help="clip the global gradient norm (0: off)")
    g.add_argument("--schedule", choices=["none", "step", "plateau"], default="none")
    g.add_argument("--patience", type=int, default=0, help="early stopping after N epochs without improvement")
    g.add_argument("--early-stop", choices=["loss", "bleu"], default="loss", help="what early stopping watches")
    g.add_argument("--no-valid-bleu", action="store_true", help="skip greedy validation BLEU after each epoch")
    g.add_argument("--bf16", action="store_true", help="bfloat16 autocast")
    g.add_argument("--max-minutes", type=float, default=0.0, help="stop training after this long (0: no limit)")
    g.add_argument("--log-interval", type=int, default=0, help="log the training loss every N batches")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint MODEL.ckpt")
    t.set_defaults(
        func=train,
        config_flags={
            "batch_size": "--batch",
            "decoder_cell": "--cell",
            "lower": "--cased",
            "tie_embeddings": "--tie",
            "valid_bleu": "--no-valid-bleu",
        },
    )

    r = actions.add_parser(
        "run",
        parents=parents,
        help="translate text with MODEL (also: wordseq translate MODEL [FILE])",
        formatter_class=DefaultsHelpFormatter,
    )
    r.add_argument("model", help="model file (.wsq)")
    r.add_argument("input", nargs="?", default="-", help="sentences, one per line ('-': standard input)")
    r.add_argument("-o", "--output", help="write translations here (default: standard output)")
    r.add_argument("--nbest", type=int, default=1, help="print the N best per sentence: index, log-prob, text")
    r.add_argument("--tokenized", action="store_true", help="print tokens separated by spaces (no detokenizing)")
    _decode_options(r)
    r.set_defaults(func=run)

    e = actions.add_parser(
        "eval",
        parents=parents,
        help="BLEU (sacreBLEU and lowercased tokenized) and chrF against references",
        formatter_class=DefaultsHelpFormatter,
    )
    e.add_argument("model", help="model file (.wsq)")
    e.add_argument("--src", help="source sentences")
    e.add_argument("--ref", help="reference translations, line-aligned with --src")
    e.add_argument("--tsv", help="source<TAB>reference pairs instead of --src/--ref")
    e.add_argument("--hyp-output", help="write the translations here")
    e.add_argument("--json", action="store_true", help="print the scores as JSON")
    _decode_options(e)
    e.set_defaults(func=evaluate)

    a = actions.add_parser(
        "attention",
        parents=parents,
        help="draw the attention of one translation as a PNG heat map",
        formatter_class=DefaultsHelpFormatter,
    )
    a.add_argument("model", help="model file (.wsq)")
    a.add_argument("sentence", help="source sentence")
    a.add_argument("-o", "--output", required=True, help="PNG to write")
    a.add_argument("--beam", type=int, default=1, help="beam size of the translation drawn")
    a.set_defaults(func=attention)


def _parallel(src: str | None, tgt: str | None, tsv: str | None, what: str, swap: bool = False):
    from wordseq.seq2seq.data import read_parallel, read_tsv

    if tsv:
        if src or tgt:
            raise WordseqError(f"give {what} either as --tsv or as two files, not both")
        return read_tsv(tsv, swap=swap)
    if not src or not tgt:
        raise WordseqError(f"{what}: give both files (source and target), or --tsv")
    return read_parallel(src, tgt)


def _load(path: str):
    from wordseq.seq2seq import Seq2Seq

    return Seq2Seq.load(path)


def train(args: argparse.Namespace) -> int:
    from wordseq.seq2seq import Seq2Seq, Seq2SeqConfig
    from wordseq.train import distributed as dist
    from wordseq.train.curves import plot_curves
    from wordseq.train.loop import TrainConfig

    set_torch_threads(args)
    data = _parallel(args.src, args.tgt, args.tsv, "the training pairs", args.swap)
    valid = None
    if args.valid_src or args.valid_tgt or args.valid_tsv:
        valid = _parallel(args.valid_src, args.valid_tgt, args.valid_tsv, "the validation pairs", args.swap)
    if args.early_stop == "bleu" and valid is None:
        raise WordseqError("--early-stop bleu needs validation pairs (--valid-src/--valid-tgt or --valid-tsv)")
    device = dist.init(args.device)
    try:
        config = Seq2SeqConfig(
            embed=args.embed,
            hidden=args.hidden,
            layers=args.layers,
            encoder_cell=args.encoder_cell,
            decoder_cell=args.cell,
            bidirectional=not args.unidirectional,
            attention=args.attention,
            luong_score=args.luong_score,
            input_feeding=not args.no_input_feeding,
            dropout=args.dropout,
            tie_embeddings=args.tie,
            teacher_forcing=args.teacher_forcing,
            teacher_forcing_decay=args.teacher_forcing_decay,
            label_smoothing=args.label_smoothing,
            batch_size=args.batch,
            max_len=args.max_len,
            min_count=args.min_count,
            max_vocab=args.max_vocab,
            shared_vocab=args.shared_vocab,
            tokenizer=args.tokenizer,
            lower=not args.cased,
            valid_bleu=not args.no_valid_bleu and valid is not None,
            early_stop=args.early_stop,
            train=TrainConfig(
                epochs=args.epochs,
                optimizer=args.optimizer,
                lr=args.lr,
                clip=args.clip,
                schedule=args.schedule,
                patience=args.patience,
                seed=args.seed,
                device=device,
                bf16=args.bf16,
                max_seconds=args.max_minutes * 60,
                log_interval=args.log_interval,
            ),
        )
        out = Path(args.output)
        log = None if args.quiet else (lambda s: print(s, file=sys.stderr))
        model = Seq2Seq(config).fit(data, valid, checkpoint=str(out) + ".ckpt", resume=args.resume, log=log)
        if dist.is_main():
            model.save(out)
            curves = [
                {"epoch": h["epoch"], "train_loss": h["train_loss_nats"], "valid_loss": h["valid_loss_nats"]}
                for h in model.history
            ]
            plot_curves(curves, out.with_suffix(".png"), title=f"seq2seq ({config.attention})")
            print(
                f"wrote {out}"
                + (f"; best validation BLEU {model.metrics['valid_bleu_pct']:.2f}" if model.metrics else "")
            )
    finally:
        dist.cleanup()
    return 0


def _read_sentences(path: str) -> list[str]:
    from wordseq.io.inputs import read_lines

    return [line for _, line in read_lines(path)]


def run(args: argparse.Namespace) -> int:
    from wordseq.io.atomic import atomic_write

    set_torch_threads(args)
    if args.beam < 1 or args.nbest < 1 or (args.nbest > args.beam and args.beam > 1):
        raise WordseqError(f"--beam must be >= 1 and --nbest between 1 and --beam (got {args.beam}, {args.nbest})")
    model = _load(args.model)
    lines = _read_sentences(args.input)
    blank = [i for i, s in enumerate(lines) if not s.strip()]
    todo = [s for s in lines if s.strip()]
    out = model.translate(
        todo, args.beam, args.alpha, args.max_len_ratio, args.batch, args.replace_unk, args.nbest, args.tokenized
    )
    texts: list[str] = []
    it = iter(out)
    for i in range(len(lines)):
        if blank and i in set(blank):
            texts.append("")
            continue
        item = next(it)
        if args.nbest > 1:
            texts += [f"{i}\t{lp:.4f}\t{t}" for t, lp in item]
        else:
            texts.append(item)
    text = "".join(t + "\n" for t in texts)
    if args.output:
        with atomic_write(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from wordseq.io.atomic import atomic_write

    set_torch_threads(args)
    model = _load(args.model)
    data = _parallel(args.src, args.ref, args.tsv, "the test pairs")
    hyps: list[str] = []
    score = model.evaluate(data, args.beam, args.alpha, args.max_len_ratio, args.batch, args.replace_unk, hyps)
    if args.hyp_output:
        with atomic_write(args.hyp_output, "w", encoding="utf-8") as f:
            f.write("".join(h + "\n" for h in hyps))
    if data.empty_skipped:
        print(f"{data.empty_skipped} pairs with an empty side skipped", file=sys.stderr)
    print(json.dumps(vars(score), indent=1) if args.json else score.text())
    return 0


def attention(args: argparse.Namespace) -> int:
    from wordseq.seq2seq.plot import plot_attention

    set_torch_threads(args)
    model = _load(args.model)
    src, out, weights = model.attention(args.sentence, beam=args.beam)
    plot_attention(src, out, weights, args.output, title=" ".join(out[:-1]))
    print(f"wrote {args.output}: {' '.join(out[:-1])}")
    return 0
