"""Sequence to sequence: encoder-decoder translation with attention, greedy and beam-search decoding,
BLEU and chrF scores, attention pictures."""

from wordseq.seq2seq.bleu import TranslationScore, corpus_bleu, detokenize
from wordseq.seq2seq.data import ParallelText, read_parallel, read_tsv
from wordseq.seq2seq.decode import Hypothesis, beam_search, greedy
from wordseq.seq2seq.model import Seq2Seq, Seq2SeqConfig

__all__ = [
    "Hypothesis",
    "ParallelText",
    "Seq2Seq",
    "Seq2SeqConfig",
    "TranslationScore",
    "beam_search",
    "corpus_bleu",
    "detokenize",
    "greedy",
    "read_parallel",
    "read_tsv",
]
