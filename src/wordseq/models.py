"""Every model kind wordseq writes, in one index: :func:`load` opens any model file by its kind, and
:func:`summarize` gives what ``wordseq info`` prints.

This module sits above the model families (it imports each of them) and below the demo and the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wordseq.errors import InputError
from wordseq.estimator import LayerInfo, ModelSummary
from wordseq.io.modelfile import ModelFile


def _word2vec(path: str | os.PathLike) -> Any:
    from wordseq.embed import Word2Vec

    return Word2Vec.load(path)


def _glove(path: str | os.PathLike) -> Any:
    from wordseq.embed import GloVe

    return GloVe.load(path)


def _ppmi_svd(path: str | os.PathLike) -> Any:
    from wordseq.embed import PPMISVD

    return PPMISVD.load(path)


def _svd(path: str | os.PathLike) -> Any:
    from wordseq.embed import CountSVD

    return CountSVD.load(path)


def _vectors(path: str | os.PathLike) -> Any:
    from wordseq.embed import load_vectors

    return load_vectors(path)


def _ngram(path: str | os.PathLike) -> Any:
    from wordseq.lm.ngram import NgramModel

    return NgramModel.load(path)


def _neural_lm(path: str | os.PathLike) -> Any:
    from wordseq.lm.neural import NeuralLM

    return NeuralLM.load(path)


def _chen_manning(path: str | os.PathLike) -> Any:
    from wordseq.parse import ChenManningParser

    return ChenManningParser.load(path)


def _biaffine(path: str | os.PathLike) -> Any:
    from wordseq.parse import BiaffineParser

    return BiaffineParser.load(path)


def _tagger(path: str | os.PathLike) -> Any:
    from wordseq.tag.model import load_tagger

    return load_tagger(path)


def _classifier(path: str | os.PathLike) -> Any:
    from wordseq.classify.files import load_classifier

    return load_classifier(path)


def _seq2seq(path: str | os.PathLike) -> Any:
    from wordseq.seq2seq import Seq2Seq

    return Seq2Seq.load(path)


def _families() -> dict[str, Callable[[str | os.PathLike], Any]]:
    """Model-file kind (or kind prefix, before a ``-``) -> the function that opens it. Each imports only its
    own family, so ``wordseq info`` on an n-gram model never starts torch. More specific kinds come first."""
    return {
        "word2vec": _word2vec,
        "vectors-glove": _glove,
        "vectors-ppmi-svd": _ppmi_svd,
        "vectors-svd": _svd,
        "vectors": _vectors,
        "ngram": _ngram,
        "neural-lm": _neural_lm,
        "parser-chen-manning": _chen_manning,
        "parser-biaffine": _biaffine,
        "tagger": _tagger,
        "classify": _classifier,
        "seq2seq": _seq2seq,
    }


def is_arpa(path: str | os.PathLike) -> bool:
    """True for an ARPA file (by name, or by its ``\\data\\`` header)."""
    name = os.fspath(path).lower()
    if name.endswith((".arpa", ".arpa.gz", ".arpa.bz2", ".arpa.xz")):
        return True
    from wordseq.io.inputs import open_input

    with open_input(path, "rb") as f:
        return f.read(4096).lstrip().startswith(b"\\data\\")


def kind_of(path: str | os.PathLike) -> str:
    """The model kind a file holds (``"arpa"`` for ARPA files), without reading its weights."""
    from wordseq.io.modelfile import read_metadata

    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if p.is_dir():
        raise InputError(path, "is a directory, not a model file")
    if is_arpa(p):
        return "arpa"
    return str(read_metadata(p)["kind"])


def load(path: str | os.PathLike) -> Any:
    """Open any model file wordseq writes (or an ARPA file), as the object its family works with."""
    kind = kind_of(path)
    families = _families()
    if kind == "arpa":
        return families["ngram"](path)
    for prefix, loader in families.items():
        if kind == prefix or kind.startswith(prefix + "-"):
            return loader(path)
    raise InputError(path, f"model kind {kind!r} is not one this version of wordseq knows")


def summarize(path: str | os.PathLike) -> ModelSummary:
    """What ``wordseq info`` prints for any model file: the family's :class:`ModelSummary` where the loaded
    model has ``summary()``, else one built from the stored tensors; with the file's size, its verified
    digest, its provenance and final metrics. ARPA files are summarised from their ``\\data\\`` header."""
    from wordseq.io.modelfile import load_model, read_metadata

    p = Path(path)
    kind = kind_of(p)
    if kind == "arpa":
        return arpa_summary(p)
    meta = read_metadata(p)
    stored = load_model(p)  # checks the digest: truncation and corruption stop here
    summary = None
    if _known_kind(kind):
        model = load(p)
        if callable(getattr(model, "summary", None)):
            summary = model.summary()
            if not isinstance(summary, ModelSummary):
                summary = None
    if summary is None:
        summary = tensor_summary(stored)
    summary.file = str(p)
    summary.file_bytes = p.stat().st_size
    summary.integrity = f"ok (blake2b {meta['digest']})"
    provenance = dict(stored.provenance)
    if not summary.provenance:
        summary.provenance = provenance
    if not summary.metrics:
        summary.metrics = final_metrics(provenance)
    return summary


def _known_kind(kind: str) -> bool:
    return any(kind == prefix or kind.startswith(prefix + "-") for prefix in _families())


def tensor_summary(stored: ModelFile) -> ModelSummary:
    """A summary from the file alone, for models whose family has no ``summary()``: one row per stored tensor
    (name, dtype, shape, number of elements), the configuration, the vocabulary size and the family's extras."""
    rows = [
        LayerInfo(name, str(array.dtype), str(tuple(array.shape)), int(array.size))
        for name, array in sorted(stored.tensors.items())
    ]
    vocabs = {name: len(v) for name, v in stored.vocabs.items()}
    extra = dict(stored.extra)
    extra.update({f"vocabulary {name}": size for name, size in vocabs.items() if name != "vocab"})
    return ModelSummary(
        kind=stored.kind,
        config=dict(stored.config),
        vocab_size=vocabs.get("vocab"),
        layers=rows,
        extra=extra,
        layer_kind="tensors",
    )


def final_metrics(provenance: dict[str, Any]) -> dict[str, Any]:
    """The figures a model finished with: provenance ``metrics``, else the numbers of the last ``history`` entry."""
    metrics = provenance.get("metrics")
    if isinstance(metrics, dict) and metrics:
        return dict(metrics)
    history = provenance.get("history")
    if isinstance(history, list) and history and isinstance(history[-1], dict):
        last = history[-1]
        return {
            k: v for k, v in last.items() if isinstance(v, int | float) and not isinstance(v, bool) and v is not None
        }
    return {}


def arpa_summary(path: str | os.PathLike) -> ModelSummary:
    """Order, n-grams per order and vocabulary size of an ARPA file, read from its ``\\data\\`` header alone."""
    from wordseq.io.inputs import open_input

    counts: dict[int, int] = {}
    seen_data = False
    with open_input(path, "rt", errors="replace") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not seen_data:
                if line == "\\data\\":
                    seen_data = True
                elif line:
                    raise InputError(path, "not an ARPA file (expected the \\data\\ header)", number)
                continue
            if not line:
                if counts:
                    break
                continue
            if line.startswith("\\"):
                break
            key, _, value = line.partition("=")
            parts = key.split()
            if len(parts) != 2 or parts[0] != "ngram" or not parts[1].isdigit() or not value.strip().isdigit():
                raise InputError(path, f"bad ARPA header line {line[:60]!r} (expected 'ngram N=COUNT')", number)
            counts[int(parts[1])] = int(value)
    if not seen_data:
        raise InputError(path, "not an ARPA file (no \\data\\ header)")
    if not counts or sorted(counts) != list(range(1, max(counts) + 1)):
        raise InputError(path, "ARPA header does not list 'ngram N=COUNT' for every order from 1")
    p = Path(path)
    return ModelSummary(
        kind="arpa",
        config={"order": max(counts)},
        vocab_size=counts[1],
        extra={"ngrams": {str(n): c for n, c in sorted(counts.items())}},
        file=str(p),
        file_bytes=p.stat().st_size if p.is_file() else None,
        integrity="not checked (ARPA files carry no digest)",
    )
