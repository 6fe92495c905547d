"""What both parsers share: vocabularies built from a treebank, the tag column, word normalisation, the
model-file vocabularies, and the training configuration nested in each parser's config."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from wordseq.errors import WordseqError
from wordseq.text.conllu import Sentence
from wordseq.text.vocab import Vocab

if TYPE_CHECKING:
    from wordseq.embed import Vectors

UNK, NULL_TOKEN, ROOT_TOKEN = "<unk>", "<null>", "<root>"
WORD_SPECIALS = (UNK, NULL_TOKEN, ROOT_TOKEN)
LABEL_SPECIALS = (NULL_TOKEN,)


def normalise(form: str, lower: bool) -> str:
    return form.lower() if lower else form


def build_vocab(tokens: Sequence[list[str]], specials: Sequence[str], min_count: int = 1) -> Vocab:
    counts: Counter[str] = Counter()
    for seq in tokens:
        counts.update(seq)
    return Vocab.from_counts(counts, min_count=min_count, specials=specials)


def sentence_tags(sentence: Sentence, column: str) -> list[str]:
    return [getattr(t, column) for t in sentence.tokens]


def padded_ids(vocab: Vocab, tokens: Sequence[str]) -> list[int]:
    """Ids of [ROOT, tokens..., NULL]: index 0 is ROOT and index -1 NULL, as the parser states expect."""
    return [vocab.stoi[ROOT_TOKEN]] + vocab.encode(tokens).tolist() + [vocab.stoi[NULL_TOKEN]]


def extend_vocab(vocab: Vocab, vectors: Vectors, limit: int, lower: bool) -> Vocab:
    """``vocab`` plus the ``limit`` most frequent words of loaded ``vectors`` that it lacks (count 0), so that
    words seen only in the pre-trained vectors keep their own embedding at parsing time instead of ``<unk>``."""
    known = set(vocab.itos)
    extra: list[str] = []
    for w in vectors.words[:limit]:
        w = normalise(w, lower)
        if w not in known:
            known.add(w)
            extra.append(w)
    if not extra:
        return vocab
    counts = [int(c) for c in vocab.counts] + [0] * len(extra)
    return Vocab([*vocab.itos, *extra], counts, tuple(vocab.specials))


def init_from_vectors(
    table: np.ndarray, vocab: Vocab, path: str, lower: bool, scale: float, vectors: Vectors | None = None
) -> tuple[np.ndarray, int, str]:
    """Rows of ``table`` for words found in a vector file (any format wordseq reads); vectors of another
    dimension are projected on their leading principal components. The vectors are rescaled to standard
    deviation ``scale``. Returns the table, how many words were found, and what was done. ``vectors``: the
    file already read (it is read here otherwise)."""
    from wordseq.embed import load_vectors

    vec = vectors if vectors is not None else load_vectors(path)
    mat = vec.vectors.astype(np.float64)
    dim = table.shape[1]
    note = f"{len(vec):,} vectors of dimension {mat.shape[1]} from {path}"
    if mat.shape[1] != dim:
        sample = mat[: min(len(mat), 50000)]
        mean = sample.mean(axis=0)
        _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
        if vt.shape[0] < dim:
            raise WordseqError(
                f"{path}: {len(mat):,} vectors of dimension {mat.shape[1]} cannot be projected to {dim} "
                "dimensions; give a smaller embedding size or a file of that dimension"
            )
        mat = (mat - mean) @ vt[:dim].T
        note += f", projected to {dim} dimensions (PCA)"
    mat *= scale / max(float(mat.std()), 1e-12)
    index = vec.index
    found = 0
    out = table.copy()
    for i, w in enumerate(vocab.itos):
        j = index.get(w)
        if j is None and not lower:
            j = index.get(w.lower())
        if j is not None:
            out[i] = mat[j]
            found += 1
    return out, found, note


def copy_vectors(net: Any, vocab: Vocab, path: str, lower: bool, scale: float, vectors: Vectors | None = None) -> str:
    """Fill a parser network's word table from a vector file (:func:`init_from_vectors`): its fixed table
    ``net.pretrained`` when it has one (the learned ``net.words`` is then a correction), else ``net.words``.
    Returns the note for the model's provenance."""
    import torch

    target = net.words if getattr(net, "pretrained", None) is None else net.pretrained
    table, found, note = init_from_vectors(target.weight.detach().numpy(), vocab, path, lower, scale, vectors)
    with torch.no_grad():
        target.weight.copy_(torch.from_numpy(table))
    return f"{note}; {found:,} of {len(vocab):,} words found"
