"""Word vectors: word2vec (skip-gram and CBOW with negative sampling, hierarchical or full softmax), GloVe,
PPMI+SVD and count+SVD estimators, and the ``Vectors`` class that queries, evaluates and saves them.

    from wordseq.embed import Word2Vec
    model = Word2Vec(dim=100, window=5).fit("train.txt")
    model.vectors.most_similar("king")

The compiled (numba) kernels load on first use, so importing this package stays light.
"""

from wordseq.embed.count_models import PPMISVD, CountSVD, PPMIConfig, SVDConfig
from wordseq.embed.evaluate import (
    AnalogyResult,
    AnalogySection,
    EmbeddingEvaluation,
    SimilarityResult,
    evaluate_analogies,
    evaluate_similarity,
)
from wordseq.embed.formats import FORMATS, VectorData, guess_format, metadata_path, read_vectors, write_vectors
from wordseq.embed.glove import GloVe, GloVeConfig
from wordseq.embed.vectors import UnknownWordError, Vectors, load_vectors, save_vectors
from wordseq.embed.word2vec import Word2Vec, Word2VecConfig

__all__ = [
    "FORMATS",
    "PPMISVD",
    "AnalogyResult",
    "AnalogySection",
    "CountSVD",
    "EmbeddingEvaluation",
    "GloVe",
    "GloVeConfig",
    "PPMIConfig",
    "SVDConfig",
    "SimilarityResult",
    "UnknownWordError",
    "VectorData",
    "Vectors",
    "Word2Vec",
    "Word2VecConfig",
    "evaluate_analogies",
    "evaluate_similarity",
    "guess_format",
    "metadata_path",
    "load_vectors",
    "read_vectors",
    "save_vectors",
    "write_vectors",
]
