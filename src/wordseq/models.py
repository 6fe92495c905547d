"""Every model kind wordseq writes, in one index: :func:`load` opens any model file by its kind, and
:func:`summarize` gives what ``wordseq info`` prints.

This module sits above the model families (it imports each of them) and below the demo and the CLI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wordseq.errors import InputError


def _families() -> dict[str, Any]:
    """Kind prefix -> estimator class. Imported here, on first use, so that ``import wordseq`` stays light."""
    from wordseq.embed.formats import load_vectors
    from wordseq.embed.word2vec import Word2Vec
    from wordseq.lm.neural.files import load_lm
    from wordseq.lm.ngram import NgramModel
    from wordseq.seq2seq.model import Seq2Seq

    return {
        "word2vec": Word2Vec.load,
        "vectors": load_vectors,
        "ngram": NgramModel.load,
        "neural-lm": load_lm,
        "seq2seq": Seq2Seq.load,
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
