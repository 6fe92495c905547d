"""wordseq: classic NLP from counts to recurrent networks."""

__version__ = "0.1.0"

from wordseq.errors import WordseqError

__all__ = ["WordseqError", "__version__"]
