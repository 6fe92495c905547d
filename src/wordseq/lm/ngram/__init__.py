"""N-gram language models: counting, estimation (MLE, add-k, absolute discounting, Kneser-Ney, modified
Kneser-Ney), ARPA files, vectorized scoring, text generation.

>>> from wordseq.lm.ngram import NgramConfig, NgramModel
>>> model = NgramModel(NgramConfig(order=5, smoothing="mkn")).fit("train.txt")   # or NgramModel(order=5)
>>> model.evaluate("test.txt").perplexity            # an LMScore; model.score(s) is log10, as KenLM's
>>> model.generate(num_samples=3, seed=0)
>>> model.save("model.arpa"); NgramModel.load("model.arpa")
>>> model = NgramModel.load("model.wsq", mmap=True).index()   # memory-mapped; probing tables for many queries
"""

from wordseq.lm.ngram.arpa import ArpaTables, ArpaWarning, read_arpa, write_arpa
from wordseq.lm.ngram.counts import NgramCounts, count_ngrams
from wordseq.lm.ngram.estimate import SMOOTHING, DiscountWarning, estimate
from wordseq.lm.ngram.generate import generate_sentences
from wordseq.lm.ngram.model import NgramConfig, NgramModel

__all__ = [
    "SMOOTHING",
    "ArpaTables",
    "ArpaWarning",
    "DiscountWarning",
    "NgramConfig",
    "NgramCounts",
    "NgramModel",
    "count_ngrams",
    "estimate",
    "generate_sentences",
    "read_arpa",
    "write_arpa",
]
