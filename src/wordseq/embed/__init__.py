"""Word vectors: word2vec (skip-gram and CBOW with negative sampling, hierarchical or full softmax), GloVe,
PPMI+SVD, and the ``Vectors`` class that queries and evaluates them."""
