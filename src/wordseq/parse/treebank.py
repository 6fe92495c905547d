"""Treebanks for the parsers: CoNLL-U sentences read and checked, and their gold trees as head arrays.

Training data must hold one well-formed tree per sentence (no cycle, one root, every head inside the
sentence, no missing HEAD); a bad one is an :class:`~wordseq.errors.InputError` naming the file and the
sentence's first line. At prediction time the HEAD and DEPREL columns are ignored.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wordseq.errors import InputError
from wordseq.parse.tree import is_projective
from wordseq.text.conllu import Sentence, read_conllu, tree_errors

TreebankData = str | os.PathLike | Sequence[Sentence]


def read_treebank(data: TreebankData | Iterable[str | os.PathLike], need_trees: bool = True) -> list[Sentence]:
    """Sentences from a CoNLL-U path (or several, or sentences already read); with ``need_trees`` every
    sentence must hold one well-formed tree."""
    if isinstance(data, (str, os.PathLike)):
        paths: list[str | os.PathLike] = [data]
    elif isinstance(data, Sequence) and all(isinstance(s, Sentence) for s in data):
        sentences = list(data)
        if need_trees:
            for s in sentences:
                check_tree(s, "<sentences>")
        return sentences
    else:
        paths = list(data)  # type: ignore[arg-type]
    out: list[Sentence] = []
    for path in paths:
        sents = read_conllu(path)
        if need_trees:
            for s in sents:
                check_tree(s, path)
        out += sents
    if not out:
        raise InputError(paths[0] if paths else "<none>", "no sentences")
    return out


def check_tree(sentence: Sentence, path: object) -> None:
    """Raise an InputError naming the file and the sentence's first line unless its heads form one tree."""
    problems = tree_errors(sentence)
    if problems:
        raise InputError(path, "not a dependency tree: " + "; ".join(problems), line=sentence.line)


def gold_heads(sentence: Sentence) -> list[int]:
    """The head array of a sentence's tree: ``[-1, head of word 1, ..., head of word n]``."""
    return [-1] + [int(t.head) for t in sentence.tokens]  # type: ignore[arg-type]


def gold_relations(sentence: Sentence) -> list[str]:
    return [t.deprel for t in sentence.tokens]


@dataclass
class TreebankStats:
    sentences: int
    words: int
    non_projective: int


def treebank_stats(sentences: Sequence[Sentence]) -> TreebankStats:
    """Sentence and word counts, and how many trees are non-projective."""
    nonproj = sum(1 for s in sentences if not is_projective(gold_heads(s)))
    return TreebankStats(len(sentences), sum(len(s) for s in sentences), nonproj)


def with_tree(sentence: Sentence, heads: Sequence[int], relations: Sequence[str]) -> Sentence:
    """A copy of the sentence whose HEAD and DEPREL columns hold the given tree (``heads[k]`` for word k+1)."""
    if len(heads) != len(sentence.tokens) or len(relations) != len(sentence.tokens):
        raise ValueError(f"a tree of {len(heads)} heads and {len(relations)} relations for {len(sentence)} words")
    out = sentence.copy()
    for t, h, r in zip(out.tokens, heads, relations):
        t.head, t.deprel = int(h), r
    return out
