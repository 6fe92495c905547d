"""``wordseq lm``: language models.

The n-gram commands live in ``wordseq.cli.lm_ngram`` and the neural ones in ``wordseq.cli.lm_neural``;
``wordseq lm perplexity`` is shared: it looks at the model file and hands over to the right family.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from types import ModuleType

from wordseq.errors import InputError

FAMILY_MODULES = {"ngram": "wordseq.cli.lm_ngram", "neural": "wordseq.cli.lm_neural"}


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name == name:
            return None
        raise


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
    modules = [m for m in map(_module, FAMILY_MODULES.values()) if m is not None]
    for m in modules:
        m.register(lm_sub, parents)
    pp = lm_sub.add_parser(
        "perplexity",
        parents=parents,
        help="perplexity of any language model on a test corpus",
        description="Perplexity of an n-gram model (ARPA or .wsq) or a neural model on a test "
        "corpus, tokenized the way the model was trained; </s> counts as a token.",
    )
    pp.add_argument("model", help="model file: .wsq, or ARPA (.arpa, .arpa.gz)")
    pp.add_argument("test", help="test corpus (file, directory, glob or - for stdin)")
    for m in modules:
        if hasattr(m, "perplexity_options"):
            m.perplexity_options(pp)
    pp.set_defaults(func=perplexity)


def model_family(path: str) -> str:
    """``"ngram"`` for ARPA files and n-gram model files, ``"neural"`` for the rest."""
    from wordseq.io.modelfile import read_metadata

    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    from wordseq.models import is_arpa

    if is_arpa(p):  # by name (.arpa, .arpa.gz/.bz2/.xz) or by its \\data\\ header, compressed or not
        return "ngram"
    kind = read_metadata(p)["kind"]
    return "ngram" if kind.startswith("ngram") else "neural"


def perplexity(args: argparse.Namespace) -> int:
    family = model_family(args.model)
    module = _module(FAMILY_MODULES[family])
    if module is None:
        raise InputError(args.model, f"is a {family} model, which this installation cannot read")
    return module.perplexity(args)
