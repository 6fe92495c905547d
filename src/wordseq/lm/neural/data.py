"""Language-model data: corpora read at the word or character level, encoded with one vocabulary.

Words use any wordseq tokenizer (whitespace by default, as for the Penn Treebank); characters use the
``char`` tokenizer, spaces included. Either way each line ends with ``</s>``, which is predicted like any
other token (for characters it stands for the newline). The vocabulary comes from the training corpus; tokens
of the validation and test corpora that it lacks become ``<unk>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wordseq.errors import InputError, WordseqError
from wordseq.text.encode import encode_corpus
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import SPECIALS, Vocab

LEVELS = ("word", "char")


def tokenizer_for(level: str, tokenizer: Tokenizer | None = None) -> Tokenizer:
    """The tokenizer of a level: ``char`` for characters, the given one (default whitespace) for words."""
    if level not in LEVELS:
        raise WordseqError(f"unknown level {level!r}; choose word or char")
    if level == "char":
        if tokenizer is not None and tokenizer.kind != "char" and tokenizer.kind != "whitespace":
            raise WordseqError(f"--level char reads characters; it cannot use the {tokenizer.kind!r} tokenizer")
        lower = tokenizer.lower if tokenizer else False
        nfkc = tokenizer.nfkc if tokenizer else False
        return Tokenizer(kind="char", lower=lower, nfkc=nfkc)
    tokenizer = tokenizer or Tokenizer()
    if tokenizer.kind == "char":
        raise WordseqError("the char tokenizer makes a character-level model: use --level char")
    return tokenizer


@dataclass
class LMCorpus:
    """Encoded training (and optional validation and test) corpora sharing one vocabulary."""

    level: str
    tokenizer: Tokenizer
    vocab: Vocab
    train: np.ndarray
    valid: np.ndarray | None = None
    test: np.ndarray | None = None
    paths: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str | None] = field(default_factory=dict)

    @property
    def eos_id(self) -> int:
        return self.vocab.stoi["</s>"]


def load_corpora(
    train: str | os.PathLike,
    valid: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
    level: str = "word",
    tokenizer: Tokenizer | None = None,
    min_count: int = 1,
    max_vocab: int | None = None,
) -> LMCorpus:
    """Read and encode the corpora; the vocabulary is built from ``train``."""
    tokenizer = tokenizer_for(level, tokenizer)
    enc = encode_corpus(
        train, tokenizer, min_count=min_count, max_size=max_vocab, specials=SPECIALS, desc="reading train"
    )
    corpus = LMCorpus(level, tokenizer, enc.vocab, np.asarray(enc.ids, dtype=np.int64))
    corpus.paths["train"] = str(train)
    corpus.fingerprints["train"] = enc.corpus_hash
    for name, path in (("valid", valid), ("test", test)):
        if path is None:
            continue
        ids, digest = encode_with(path, tokenizer, enc.vocab)
        check_level(path, ids, enc.vocab, level)
        setattr(corpus, name, ids)
        corpus.paths[name] = str(path)
        corpus.fingerprints[name] = digest
    return corpus


def encode_with(path: str | os.PathLike, tokenizer: Tokenizer, vocab: Vocab) -> tuple[np.ndarray, str | None]:
    """Encode a corpus with a fixed vocabulary (unknown tokens -> ``<unk>``)."""
    enc = encode_corpus(path, tokenizer, vocab=vocab, desc=f"reading {Path(str(path)).name}")
    return np.asarray(enc.ids, dtype=np.int64), enc.corpus_hash


def mean_token_length(ids: np.ndarray, vocab: Vocab) -> float:
    """Mean length in characters of the known, non-special tokens of ``ids``."""
    return _mean_length(np.bincount(ids, minlength=len(vocab)), vocab)


def _mean_length(counts: np.ndarray, vocab: Vocab) -> float:
    """Mean length in characters of the non-special tokens, weighted by ``counts`` (one per vocabulary id)."""
    lengths = np.array([len(t) for t in vocab.itos], dtype=np.float64)
    counts = counts.astype(np.float64)
    counts[: vocab.n_specials] = 0
    return float(lengths @ counts / counts.sum()) if counts.sum() else 0.0


def check_level(path: str | os.PathLike, ids: np.ndarray, vocab: Vocab, level: str) -> None:
    """Refuse text that does not look like the model's level: a word model given characters (tokens of one
    character where the vocabulary's words are longer), a character model given text whose words are written
    unlike its training text (e.g. the Penn Treebank's characters-separated-by-spaces version against plain
    words: the share of spaces differs more than twofold), or any text that is mostly unknown tokens."""
    n = len(ids)
    unk = vocab.unk_id
    if n == 0:
        raise InputError(path, "empty corpus (no tokens)")
    if unk is not None:
        rate = float(np.count_nonzero(ids == unk)) / n
        if rate > 0.5:
            raise InputError(
                path,
                f"{rate:.0%} of the tokens are unknown to the model's {level}-level vocabulary; "
                f"is this text of the kind the model was trained on?",
            )
    if level == "char" and " " in vocab.stoi:
        space = vocab.stoi[" "]
        train_share = float(vocab.counts[space]) / max(1, int(vocab.counts.sum()))
        test_share = float(np.count_nonzero(ids == space)) / n
        if abs(train_share - test_share) > 0.1 and not 0.5 <= test_share / max(train_share, 1e-9) <= 2.0:
            raise InputError(
                path,
                f"spaces are {test_share:.0%} of the characters here but were {train_share:.0%} "
                f"of the character model's training text: is this text tokenized differently "
                f"(e.g. word-level text for a model of space-separated characters)?",
            )
    if level == "word":
        train_len = _mean_length(vocab.counts, vocab)
        test_len = mean_token_length(ids, vocab)
        if train_len >= 2.0 and 0 < test_len <= 1.2:
            raise InputError(
                path,
                f"looks like character-level text (tokens of {test_len:.1f} characters on "
                f"average), but this is a word-level model (its words average "
                f"{train_len:.1f} characters)",
            )


def check_length(path: str | os.PathLike, n_tokens: int, batch: int, bptt: int) -> None:
    """A clear error for a corpus too short to fill one BPTT window in each of ``batch`` streams."""
    need = batch * (bptt + 1)
    if n_tokens < need:
        raise InputError(
            path,
            f"{n_tokens} tokens is shorter than one BPTT window: {batch} streams x "
            f"{bptt + 1} tokens need {need}; use a smaller --batch or --bptt",
        )
