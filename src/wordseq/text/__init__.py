"""Text pipeline: tokenizers, vocabulary, corpus streaming, encoding with a disk cache, batching."""

from wordseq.text.batching import bptt_windows, lm_streams, pad_batch, sentences
from wordseq.text.corpus import read_blocks, read_lines, resolve_paths
from wordseq.text.encode import Encoded, encode_corpus
from wordseq.text.tokenize import Tokenizer, get_tokenizer
from wordseq.text.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SPECIALS",
    "UNK",
    "Encoded",
    "Tokenizer",
    "Vocab",
    "bptt_windows",
    "encode_corpus",
    "get_tokenizer",
    "lm_streams",
    "pad_batch",
    "read_blocks",
    "read_lines",
    "resolve_paths",
    "sentences",
]
