"""wordseq: classic NLP from counts to recurrent networks.

``wordseq.load(path)`` opens any model file wordseq writes (or an ARPA file) as the model it holds.
"""

from typing import Any

from wordseq._version import __version__
from wordseq.errors import WordseqError


def load(path: Any) -> Any:
    """Open any wordseq model file (or ARPA file) as the model it holds; see :func:`wordseq.models.load`."""
    from wordseq.models import load as _load

    return _load(path)


__all__ = ["WordseqError", "__version__", "load"]
