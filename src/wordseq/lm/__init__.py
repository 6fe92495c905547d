"""Language models: n-gram models estimated from counts (``wordseq.lm.ngram``) and neural language models
trained by truncated backpropagation through time (``wordseq.lm.neural``)."""
