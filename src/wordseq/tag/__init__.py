"""Sequence tagging: part-of-speech tags, named entities and chunks with a window classifier or a
bidirectional recurrent tagger (character features, optional CRF); the formats they read and write
(CoNLL-U, IOB column files, tokenized text) and conlleval-exact span scores."""

from wordseq.tag.crf import CRF
from wordseq.tag.formats import TaggedSentence, read_iob, read_tagged, read_text
from wordseq.tag.metrics import ColumnScore, SpanScore, span_scores
from wordseq.tag.model import (
    BiLSTMTagger,
    BiLSTMTaggerConfig,
    TagEvaluation,
    Tagger,
    TaggerConfig,
    WindowTagger,
    WindowTaggerConfig,
    load_tagger,
)
from wordseq.tag.schemes import repair, spans, to_scheme

__all__ = [
    "BiLSTMTagger",
    "BiLSTMTaggerConfig",
    "CRF",
    "ColumnScore",
    "SpanScore",
    "TagEvaluation",
    "TaggedSentence",
    "Tagger",
    "TaggerConfig",
    "WindowTagger",
    "WindowTaggerConfig",
    "load_tagger",
    "read_iob",
    "read_tagged",
    "read_text",
    "repair",
    "span_scores",
    "spans",
    "to_scheme",
]
