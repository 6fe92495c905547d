"""N-gram language models: counting, estimation (MLE, add-k, absolute discounting, Kneser-Ney, modified
Kneser-Ney), ARPA files, vectorized scoring and perplexity, sampling.

>>> model = NgramModel.train("train.txt", order=5, smoothing="mkn")
>>> model.perplexity("test.txt")
>>> model.save("model.arpa"); NgramModel.load("model.arpa")
"""

from wordseq.lm.ngram.counts import NgramCounts, count_ngrams
from wordseq.lm.ngram.estimate import SMOOTHING, DiscountWarning, estimate
from wordseq.lm.ngram.model import NgramModel, Perplexity

__all__ = ["SMOOTHING", "DiscountWarning", "NgramCounts", "NgramModel", "Perplexity", "count_ngrams", "estimate"]
