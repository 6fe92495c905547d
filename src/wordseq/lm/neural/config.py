"""The settings of a neural language model, in one validated dataclass: the architecture, how text is read,
and (nested) how it is trained. Every default is written here and nowhere else; the CLI reads them from here.

This module imports no torch, so ``wordseq --help`` can show the defaults without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wordseq.config import Config
from wordseq.train.config import TrainConfig

# model name -> wordseq.nn cell name (None: not recurrent)
MODELS: dict[str, str | None] = {
    "lstm": "lstm",
    "gru": "gru",
    "rnn": "rnn",
    "rnn-relu": "rnn-relu",
    "peephole": "lstm-peephole",
    "coupled": "lstm-coupled",
    "window": None,
}
LEVELS = ("word", "char")
INITS = ("uniform", "xavier", "orthogonal", "identity")  # wordseq.nn.SCHEMES (checked equal by the tests)
TOKENIZERS = ("whitespace", "word", "char")


def lm_training() -> TrainConfig:
    """The training recipe neural LMs start from: SGD at lr 1 with norm clipping at 5, the rate divided by 4
    whenever validation does not improve."""
    return TrainConfig(clip=5.0, schedule="plateau")


@dataclass
class NeuralLMConfig(Config):
    """A neural LM: a recurrent network (``model`` one of lstm, gru, rnn, rnn-relu, peephole, coupled) or
    Bengio et al.'s fixed-window model (``model="window"``), over words or characters.

    Recurrent models: ``layers``; ``dropout`` between layers and before the output (Zaremba et al. 2014);
    ``locked`` variational dropout, one mask for all time steps (Gal & Ghahramani 2016), with ``dropouti`` on
    the embeddings (None: ``dropout``); ``dropoute`` drops whole words from the embedding table; ``init``
    ``uniform`` draws every weight from U(-init_scale, init_scale). ``tied`` shares the input and output
    embeddings (recurrent models need ``embed == hidden``). Window model: ``context`` tokens of context,
    ``direct`` connections from the embeddings to the output, ``pad_id`` what a fresh window holds (None:
    the id of ``</s>``), ``bounded_by`` an id (usually that of ``</s>``) no window reaches back across.
    """

    # architecture
    model: str = "lstm"
    embed: int = 200
    hidden: int = 200
    layers: int = 2
    dropout: float = 0.0
    dropouti: float | None = None
    dropoute: float = 0.0
    locked: bool = False
    tied: bool = False
    init: str = "uniform"
    init_scale: float = 0.1
    context: int = 4
    direct: bool = False
    pad_id: int | None = None
    bounded_by: int | None = None
    # data: how text is read and cut into batches
    level: str = "word"
    tokenizer: str = "whitespace"
    lower: bool = False
    nfkc: bool = False
    keep_apostrophes: bool = True
    keep_hyphens: bool = True
    punctuation: str = "split"
    min_count: int = 1
    max_vocab: int | None = None
    batch_size: int = 20  # parallel streams in training (the global batch under torchrun)
    bptt: int = 35  # truncated BPTT window (time steps), in training and scoring
    eval_batch_size: int = 10  # parallel streams when scoring held-out text
    # how to train
    train: TrainConfig = field(default_factory=lm_training)

    def validate(self) -> None:
        self.check_choice("model", MODELS)
        for name in ("embed", "hidden", "layers", "context"):
            self.check_range(name, lo=1, integer=True)
        for name in ("dropout", "dropoute"):
            self.check_range(name, lo=0.0, hi=1.0, hi_open=True)
        self.check_range("dropouti", lo=0.0, hi=1.0, hi_open=True, optional=True)
        self.check_choice("init", INITS)
        self.check_range("init_scale", lo=0.0, lo_open=True)
        if self.tied and self.model != "window" and self.embed != self.hidden:
            self.fail("tied", f"needs embed = hidden in a recurrent model (embed {self.embed}, hidden {self.hidden})")
        self.check_range("pad_id", lo=0, integer=True, optional=True)
        self.check_range("bounded_by", lo=0, integer=True, optional=True)
        self.check_choice("level", LEVELS)
        self.check_choice("tokenizer", TOKENIZERS)
        if self.level == "char" and self.tokenizer not in ("whitespace", "char"):
            self.fail("tokenizer", "a character-level model reads characters: whitespace or char")
        if self.level == "word" and self.tokenizer == "char":
            self.fail("tokenizer", "the char tokenizer makes a character-level model: set level to 'char'")
        self.check_choice("punctuation", ("split", "drop"))
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("max_vocab", lo=1, integer=True, optional=True)
        for name in ("batch_size", "bptt", "eval_batch_size"):
            self.check_range(name, lo=1, integer=True)
        if not isinstance(self.train, TrainConfig):
            self.fail("train", "must be a TrainConfig")

    def tokenizer_settings(self) -> dict[str, object]:
        """The settings of the tokenizer this model reads text with (``Tokenizer(**settings)``)."""
        kind = "char" if self.level == "char" else self.tokenizer
        return {
            "kind": kind,
            "lower": self.lower,
            "nfkc": self.nfkc,
            "keep_apostrophes": self.keep_apostrophes,
            "keep_hyphens": self.keep_hyphens,
            "punctuation": self.punctuation,
        }
