"""Open any classifier's model file by its kind."""

from __future__ import annotations

import os
from typing import Any

from wordseq.errors import InputError


def classifier_classes() -> dict[str, Any]:
    """Model-file kind -> classifier class."""
    from wordseq.classify.fasttext import FastTextClassifier
    from wordseq.classify.linear import LinearClassifier
    from wordseq.classify.neural import CNNClassifier, RNNClassifier
    from wordseq.classify.sentvec import VectorsClassifier

    classes = (LinearClassifier, FastTextClassifier, CNNClassifier, RNNClassifier, VectorsClassifier)
    return {c.kind: c for c in classes}


def load_classifier(path: str | os.PathLike) -> Any:
    """The classifier a model file holds, whichever kind it is (torch is imported only for neural ones)."""
    from wordseq.io.modelfile import read_metadata

    kind = read_metadata(path)["kind"]
    if kind in ("classify-linear", "classify-fasttext", "classify-vectors"):
        from wordseq.classify.fasttext import FastTextClassifier
        from wordseq.classify.linear import LinearClassifier
        from wordseq.classify.sentvec import VectorsClassifier

        light = {c.kind: c for c in (LinearClassifier, FastTextClassifier, VectorsClassifier)}
        return light[kind].load(path)
    classes = classifier_classes()
    if kind not in classes:
        raise InputError(path, f"is a {kind!r} model, not a classifier ({', '.join(sorted(classes))})")
    return classes[kind].load(path)
