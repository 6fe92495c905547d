"""``wordseq lm``: language models.

The n-gram commands live in ``wordseq.cli.lm_ngram`` and the neural ones in ``wordseq.cli.lm_neural``;
``wordseq lm perplexity`` is shared: it looks at the model file and hands over to the right family.
"""

from __future__ import annotations

import argparse

from wordseq.cli import lm_neural, lm_ngram


def register(sub, parents) -> None:
    p = sub.add_parser(
        "lm",
        help="language models: n-gram and neural",
        description="Train, score and sample language models: n-gram models from counts "
        "(MLE, add-k, Kneser-Ney, modified Kneser-Ney; ARPA files) and neural ones "
        "(fixed-window, RNN, LSTM, GRU).",
    )
    lm_sub = p.add_subparsers(dest="lm_command", metavar="LM_COMMAND")
    lm_sub.required = True
    for family in (lm_ngram, lm_neural):
        family.register(lm_sub, parents)
    pp = lm_sub.add_parser(
        "perplexity",
        parents=parents,
        help="perplexity of any language model on a test corpus",
        description="Perplexity of an n-gram model (ARPA or .wsq) or a neural model on a test "
        "corpus, tokenized the way the model was trained; </s> counts as a token.",
    )
    pp.add_argument("model", help="model file: .wsq, or ARPA (.arpa, .arpa.gz)")
    pp.add_argument("test", help="test corpus (file, directory, glob or - for stdin)")
    lm_ngram.perplexity_options(pp)
    lm_neural.perplexity_options(pp)
    pp.set_defaults(func=perplexity)


def model_family(path: str) -> str:
    """``"ngram"`` for ARPA files and n-gram model files, ``"neural"`` for the rest."""
    from wordseq.models import kind_of

    kind = kind_of(path)
    return "ngram" if kind == "arpa" or kind.startswith("ngram") else "neural"


def perplexity(args: argparse.Namespace) -> int:
    family = lm_ngram if model_family(args.model) == "ngram" else lm_neural
    return family.perplexity(args)
