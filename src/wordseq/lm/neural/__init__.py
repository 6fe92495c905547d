"""Neural language models: recurrent LMs over words or characters (``model``), the fixed-window LM
(``window``), their data (``data``), files (``files``) and text generation (``generate``). Training uses the
shared loop in :mod:`wordseq.train`."""

from wordseq.lm.neural.files import LoadedLM, load_lm, save_lm
from wordseq.lm.neural.model import MODELS, RNNLM, build_model, detach_state, model_config

__all__ = ["MODELS", "RNNLM", "LoadedLM", "build_model", "detach_state", "load_lm", "model_config", "save_lm"]
