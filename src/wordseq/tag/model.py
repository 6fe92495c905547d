"""Sequence taggers as estimators: :class:`WindowTagger` (Collobert & Weston's window classifier) and
:class:`BiLSTMTagger` (a bidirectional recurrent tagger with character features), each with an optional
linear-chain CRF and one output per tag column (``upos`` and ``xpos`` trained together, say).

    tagger = BiLSTMTagger(columns=["upos"], vectors="wiki.wsq")
    tagger.fit(train_sentences, valid=dev_sentences)      # TaggedSentence lists, or CoNLL-U / IOB paths
    tagger.evaluate(test_sentences).columns["upos"].accuracy
    tagger.tag(["I", "saw", "her"])                        # ['PRON', 'VERB', 'PRON']
    tagger.save("upos.wsq"); wordseq.load("upos.wsq")

Training runs through :func:`wordseq.train.fit`. The validation figure the loop watches (early stopping,
plateau schedule) is the dev *error*: 1 − accuracy, or 1 − span F1 for a span column (``ner``,
``chunk``), averaged over the columns; the weights of the best dev epoch are the ones kept.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from wordseq.config import Config
from wordseq.errors import InputError, WordseqError
from wordseq.estimator import Estimator, LayerInfo, ModelSummary
from wordseq.tag.formats import CONLLU_TAG_COLUMNS, TaggedSentence, guess_format, read_tagged
from wordseq.tag.metrics import ColumnScore, column_score
from wordseq.tag.schemes import detect_scheme, is_span_tag
from wordseq.text.vocab import PAD, UNK, Vocab
from wordseq.train import TrainConfig

KIND_PREFIX = "tagger"
CHAR_FEATURES = ("none", "cnn", "lstm")
SPAN_COLUMNS = ("ner", "chunk")


def _tagger_train() -> TrainConfig:
    return TrainConfig(epochs=30, optimizer="adam", lr=0.002, clip=5.0, patience=4)


@dataclass
class TaggerConfig(Config):
    """Settings shared by both taggers. ``columns``: the tag columns learned together (early stopping
    watches their mean dev score); ``scheme``: ``auto`` (IOB2 or IOBES from the tags of span columns), ``iob2``,
    ``iobes``, or ``none``; ``vectors``: a word-vector file to start the word table from (its dimension
    then replaces ``embed``); ``max_vectors``: how many of its (most frequent) words to keep beside the
    training words; ``frozen_vectors``: keep the vectors fixed and learn a correction (started at zero) for
    the training words only, as Dozat & Manning do (the same words move, with far fewer weights to
    update); ``lower``: look words up lowercased (case reaches the model through ``case_embed`` and the
    characters); ``features``: input columns read beside the words, each embedded in ``feature_embed``
    dimensions (CoNLL-U column names such as ``upos``, or 1-based column numbers of an IOB file: ``"2"`` is
    CoNLL-2000's POS column), so they must be given at prediction time too."""

    columns: list[str] = field(default_factory=lambda: ["upos"])
    crf: bool = False
    scheme: str = "auto"
    embed: int = 100
    vectors: str | None = None
    max_vectors: int = 100_000
    frozen_vectors: bool = False
    lower: bool = True
    min_count: int = 1
    case_embed: int = 8
    chars: str = "cnn"
    char_embed: int = 30
    char_hidden: int = 50
    char_window: int = 3
    dropout: float = 0.5
    word_dropout: float = 0.05
    batch_size: int = 32
    features: list[str] = field(default_factory=list)
    feature_embed: int = 20
    train: TrainConfig = field(default_factory=_tagger_train)

    def validate(self) -> None:
        if isinstance(self.train, Mapping):  # read back from a model file's JSON
            self.train = TrainConfig(**self.train)
        if isinstance(self.columns, str):
            self.columns = self.columns.split("+")
        if not self.columns or not all(isinstance(c, str) and c for c in self.columns):
            self.fail("columns", "must be a non-empty list of column names")
        if len(set(self.columns)) != len(self.columns):
            self.fail("columns", "must not name a column twice")
        self.check_choice("scheme", ("auto", "iob2", "iobes", "none"))
        self.check_range("embed", lo=1, integer=True)
        self.check_range("max_vectors", lo=0, integer=True)
        if self.frozen_vectors and not self.vectors:
            self.fail("frozen_vectors", "needs vectors (a word-vector file)")
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("case_embed", lo=0, integer=True)
        self.check_choice("chars", CHAR_FEATURES)
        self.check_range("char_embed", lo=1, integer=True)
        self.check_range("char_hidden", lo=1, integer=True)
        self.check_range("char_window", lo=1, integer=True)
        if self.char_window % 2 == 0:
            self.fail("char_window", "must be an odd integer >= 1")
        self.check_range("dropout", lo=0.0, hi=1.0, hi_open=True)
        self.check_range("word_dropout", lo=0.0, hi=1.0, hi_open=True)
        self.check_range("batch_size", lo=1, integer=True)
        if isinstance(self.features, str):
            self.features = [self.features] if self.features else []
        self.features = [str(f) for f in self.features]
        if len(set(self.features)) != len(self.features) or set(self.features) & set(self.columns):
            self.fail("features", "must name each input column once, and no column that is tagged")
        for f in self.features:
            if not f.isdigit() and f not in CONLLU_TAG_COLUMNS:
                self.fail(
                    "features", f"{f!r}: give a CoNLL-U column ({', '.join(CONLLU_TAG_COLUMNS)}) or a column number"
                )
            if f.isdigit() and int(f) < 1:
                self.fail("features", f"{f!r}: column numbers start at 1")
        self.check_range("feature_embed", lo=1, integer=True)


@dataclass
class WindowTaggerConfig(TaggerConfig):
    """The window classifier: ``window`` words on each side, a hidden layer of ``hidden`` units."""

    window: int = 2
    hidden: int = 300
    chars: str = "none"

    def validate(self) -> None:
        super().validate()
        self.check_range("window", lo=0, integer=True)
        self.check_range("hidden", lo=1, integer=True)


@dataclass
class BiLSTMTaggerConfig(TaggerConfig):
    """The bidirectional tagger: ``layers`` stacked layers of ``cell`` with ``hidden`` units per direction."""

    cell: str = "lstm"
    hidden: int = 100
    layers: int = 1

    def validate(self) -> None:
        from wordseq.nn import CELLS

        super().validate()
        self.check_choice("cell", CELLS)
        self.check_range("hidden", lo=1, integer=True)
        self.check_range("layers", lo=1, integer=True)


@dataclass
class TagEvaluation:
    """Scores per column, and the speed of tagging (sentences per second, batched)."""

    columns: dict[str, ColumnScore]
    sentences: int
    tokens: int
    seconds: float
    sentences_per_second: float

    @property
    def accuracy(self) -> float:
        return next(iter(self.columns.values())).accuracy

    @property
    def f1(self) -> float | None:
        return next(iter(self.columns.values())).span_f1

    def text(self) -> str:
        lines = [s.text() for s in self.columns.values()]
        lines.append(
            f"{self.sentences:,} sentences, {self.tokens:,} tokens tagged in {self.seconds:.2f} s "
            f"({self.sentences_per_second:,.0f} sentences/s)"
        )
        return "\n".join(lines)


Data = str | os.PathLike | Sequence[TaggedSentence]


class Tagger(Estimator[TaggerConfig]):
    """What both taggers share: vocabularies, encoding, training through the loop, decoding, files."""

    kind: ClassVar[str] = KIND_PREFIX
    config_class: ClassVar[type[Config]] = TaggerConfig

    def __init__(self, config: TaggerConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.net: Any = None
        self.words: Vocab | None = None
        self.chars: Vocab | None = None
        self.feats: dict[str, list[str]] = {}  # input column -> its values (0: padding, 1: unknown)
        self.tags: dict[str, list[str]] = {}
        self.schemes: dict[str, str | None] = {}
        self.word_dim = self.config.embed
        self.provenance: dict[str, Any] = {}
        self._log: Any = None

    # ------------------------------------------------------------------ data

    def _read(self, data: Data, what: str) -> list[TaggedSentence]:
        if isinstance(data, (str, os.PathLike)):
            fmt = guess_format(data)
            if fmt == "text":
                raise InputError(os.fspath(data), f"{what} data must be CoNLL-U or a column (IOB) file with tags")
            column = "+".join(self.config.columns) if fmt == "conllu" else self.config.columns[0]
            return read_tagged(data, fmt, column, features=self.config.features)
        sents = list(data)
        for s in sents:
            missing = [c for c in [*self.config.columns, *self.config.features] if c not in s.tags]
            if missing:
                raise WordseqError(f"{what} sentence at line {s.line} has no {', '.join(missing)} tags")
        return sents

    def _build_vocabs(self, train: Sequence[TaggedSentence]) -> np.ndarray | None:
        cfg = self.config
        lower = cfg.lower
        counts = Counter(w.lower() if lower else w for s in train for w in s.words)
        chars = Counter(c for s in train for w in s.words for c in w)
        vectors = None
        tokens = [w for w, c in counts.items() if c >= cfg.min_count]
        word_counts = [counts[w] for w in tokens]
        if cfg.vectors:
            from wordseq.embed import load_vectors

            vecs = load_vectors(cfg.vectors)
            known = set(tokens)
            extra = [w for w in vecs.words[: cfg.max_vectors] if w not in known and w not in (PAD, UNK)]
            tokens += extra
            word_counts += [0] * len(extra)
            self.word_dim = int(vecs.vectors.shape[1])
            vectors = vecs
        else:
            self.word_dim = cfg.embed
        self.words = Vocab([PAD, UNK, *tokens], [0, 0, *word_counts], (PAD, UNK))
        self.chars = Vocab([PAD, UNK, *chars], [0, 0, *chars.values()], (PAD, UNK))
        self.feats = {}
        for f in cfg.features:
            values = Counter(v for s in train for v in s.tags[f])
            self.feats[f] = [PAD, UNK, *(v for v, _ in values.most_common())]
        self.tags = {}
        self.schemes = {}
        for c in cfg.columns:
            tag_counts = Counter(t for s in train for t in s.tags[c])
            self.tags[c] = [t for t, _ in tag_counts.most_common()]
            span = c in SPAN_COLUMNS or (cfg.scheme != "none" and all(is_span_tag(t) for t in tag_counts))
            if cfg.scheme == "none" or not span or not all(is_span_tag(t) for t in tag_counts):
                self.schemes[c] = None
            else:
                self.schemes[c] = detect_scheme(set(tag_counts)) if cfg.scheme == "auto" else cfg.scheme
        if vectors is None:
            return None
        table = np.zeros((len(self.words), self.word_dim), dtype=np.float32)
        rng = np.random.default_rng(cfg.train.seed)
        scale = float(np.std(vectors.vectors[: min(len(vectors), 10_000)])) or 0.1
        table[:] = rng.normal(0.0, scale, size=table.shape)
        table[0] = 0.0
        for i, w in enumerate(self.words.itos):
            j = vectors.index.get(w)
            if j is not None:
                table[i] = vectors.vectors[j]
        return table

    def _example_batch(self) -> tuple[Any, ...]:
        """One sentence of two words as a batch (the shapes in :meth:`summary`: batch 1, 2 words)."""
        from wordseq.tag.data import make_batch

        example = TaggedSentence(["the", "example"], {c: [t[0]] * 2 for c, t in self.tags.items() if t})
        example.tags.update({f: [UNK] * 2 for f in self.feats})
        return (make_batch(self._encode([example]), [0]),)

    def _encode(self, sentences: Sequence[TaggedSentence], with_tags: bool = True) -> list[Any]:
        from wordseq.tag.data import encode

        assert self.words is not None and self.chars is not None
        tags = {c: [s.tags[c] for s in sentences] for c in self.config.columns} if with_tags else None
        index = {c: {t: i for i, t in enumerate(ts)} for c, ts in self.tags.items()}
        feats = {f: [s.tags[f] for s in sentences] for f in self.feats}
        words = [s.words for s in sentences]
        return encode(
            words, self.words, self.chars, self.config.lower, tags, index, feats=feats, feat_index=self._feat_index()
        )

    def _feat_index(self) -> dict[str, dict[str, int]]:
        return {f: {v: i for i, v in enumerate(vs)} for f, vs in self.feats.items()}

    def _trained_words(self) -> int:
        """Rows of the word table that training words (and padding, unknown) hold: the vector file's extra
        words come after them, with a count of 0."""
        assert self.words is not None
        return 2 + int(np.count_nonzero(self.words.counts[2:]))

    # ------------------------------------------------------------------ network

    def _encoder(self, in_dim: int) -> Any:
        raise NotImplementedError

    def _build_net(self) -> Any:
        from wordseq.tag.network import TaggerNet, WordFeatures

        cfg = self.config
        assert self.words is not None and self.chars is not None
        features = WordFeatures(
            len(self.words),
            self.word_dim,
            len(self.chars),
            cfg.chars,
            cfg.char_embed,
            cfg.char_hidden,
            cfg.char_window,
            cfg.case_embed,
            cfg.word_dropout,
            self.words.unk_id or 1,
            {f: len(vs) for f, vs in self.feats.items()},
            cfg.feature_embed,
            self._trained_words() if cfg.frozen_vectors else 0,
        )
        net = TaggerNet(
            features, self._encoder(features.out_dim), {c: len(t) for c, t in self.tags.items()}, cfg.crf, cfg.dropout
        )
        if net.crfs is not None:
            for c, scheme in self.schemes.items():
                if scheme:
                    net.crfs[c].constrain(self.tags[c], scheme)  # type: ignore[operator]
        return net

    # ------------------------------------------------------------------ training

    def fit(
        self,
        data: Data,
        valid: Data | None = None,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        log: Any = print,
        **kwargs: Any,
    ) -> Self:
        """Train on tagged sentences (or a CoNLL-U / column file), early-stopping on ``valid``."""
        import torch

        from wordseq.tag.task import TaggingTask
        from wordseq.train import fit as train_fit

        if kwargs:
            raise TypeError(f"fit() got unexpected arguments: {', '.join(kwargs)}")
        train = [s for s in self._read(data, "training") if len(s)]
        if not train:
            raise WordseqError("no training sentences")
        dev = [s for s in self._read(valid, "validation") if len(s)] if valid is not None else []
        torch.manual_seed(self.config.train.seed)
        table = self._build_vocabs(train)
        self.net = self._build_net()
        if table is not None:
            with torch.no_grad():
                target = self.net.features.fixed if self.config.frozen_vectors else self.net.features.words
                target.weight.copy_(torch.from_numpy(table))
        self._log = log
        task = TaggingTask(self, self._encode(train), dev, checkpoint)
        t0 = time.perf_counter()
        model_settings = {k: v for k, v in self.config.to_dict().items() if k != "train"}  # the loop checks those
        meta = {"model": model_settings, "train_sentences": len(train), "valid_sentences": len(dev)}
        history = train_fit(
            self.net,
            task,
            self.config.train,
            checkpoint=None if checkpoint is None else Path(checkpoint),
            resume=resume,
            meta=meta,
            log=log,
        )
        task.restore_best(self.net)
        self.net.eval()
        self.history = []
        for e, extra in zip(history.epochs, task.scores_by_epoch(len(history.epochs))):
            self.history.append(
                {
                    "epoch": e.epoch,
                    "lr": e.lr,
                    "train_loss_nats": e.train_loss,
                    "valid_error": e.valid_loss,
                    **extra,
                    "seconds": e.seconds,
                    "train_tokens_per_s": e.items_per_s,
                }
            )
        self.provenance = {
            "corpus": os.fspath(data) if isinstance(data, (str, os.PathLike)) else f"{len(train)} sentences",
            "train_sentences": len(train),
            "train_seconds": round(time.perf_counter() - t0, 1),
            "stopped": history.stopped,
            "best_epoch": task.best_epoch,
            "history": self.history,
        }
        return self

    # ------------------------------------------------------------------ prediction

    def _check_trained(self) -> None:
        if self.net is None:
            raise WordseqError("the tagger is not trained: call fit() or load a model file first")

    def predict(
        self,
        sentences: Sequence[Sequence[str]],
        max_tokens: int = 4096,
        batch_size: int = 512,
        features: Sequence[Mapping[str, Sequence[str]]] | None = None,
    ) -> list[dict[str, list[str]]]:
        """Tags of each sentence (lists of words), per column; an empty sentence gets empty lists. A tagger
        with input columns (``config.features``) needs their values: ``features[i][column]`` per word."""
        import torch

        from wordseq.tag.data import encode, length_batches, make_batch

        self._check_trained()
        assert self.words is not None and self.chars is not None
        feats = None
        if self.feats:
            if features is None or len(features) != len(sentences):
                raise WordseqError(
                    f"this tagger also reads the input column(s) {', '.join(self.feats)}: give their values "
                    "(a CoNLL-U or column file that has them, not plain text)"
                )
            feats = {f: [fs[f] for fs in features] for f in self.feats}
        self.net.eval()
        device = next(self.net.parameters()).device
        encoded = encode(
            sentences, self.words, self.chars, self.config.lower, feats=feats, feat_index=self._feat_index()
        )
        out: list[dict[str, list[str]]] = [{c: [] for c in self.config.columns} for _ in sentences]
        with torch.inference_mode():
            for idx in length_batches([len(e) for e in encoded], batch_size, max_tokens):
                batch = make_batch([encoded[i] for i in idx], idx).to(device)
                decoded = self.net.decode(batch)
                for c, paths in decoded.items():
                    names = self.tags[c]
                    for i, path in zip(idx, paths):
                        out[i][c] = [names[t] for t in path]
        return out

    def features_of(self, sentences: Sequence[TaggedSentence]) -> list[dict[str, list[str]]] | None:
        """The input-column values of tagged sentences, as :meth:`predict` takes them (None: no input columns)."""
        if not self.feats:
            return None
        return [{f: s.tags[f] for f in self.feats} for s in sentences]

    def tag(self, words: Sequence[str], column: str | None = None) -> list[str]:
        """The tags of one sentence in ``column`` (default: the first)."""
        return self.predict([list(words)])[0][column or self.config.columns[0]]

    def seen_word(self, word: str) -> bool:
        """Whether ``word`` (lowercased if the model lowercases) occurred in the training data."""
        assert self.words is not None
        i = self.words.stoi.get(word.lower() if self.config.lower else word)
        return i is not None and int(self.words.counts[i]) > 0

    def evaluate(self, data: Data) -> TagEvaluation:
        """Token accuracy (overall, per tag, on unseen words) and, for span columns, span P/R/F1."""
        self._check_trained()
        sents = self._read(data, "test")
        t0 = time.perf_counter()
        predicted = self.predict([s.words for s in sents], features=self.features_of(sents))
        seconds = time.perf_counter() - t0
        scores = {}
        for c in self.config.columns:
            scores[c] = column_score(
                c,
                [s.words for s in sents],
                [s.tags[c] for s in sents],
                [p[c] for p in predicted],
                self.seen_word,
                set(self.tags[c]),
                self.schemes.get(c) is not None,
            )
        n_tok = sum(len(s) for s in sents)
        return TagEvaluation(scores, len(sents), n_tok, seconds, len(sents) / seconds if seconds > 0 else math.inf)

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike) -> Path:
        from wordseq.io.modelfile import ModelFile, save_model

        self._check_trained()
        assert self.words is not None and self.chars is not None
        tensors = {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        vocabs: dict[str, Any] = {"vocab": self.words, "chars": self.chars}
        for c, ts in self.tags.items():
            vocabs[f"tags.{c}"] = Vocab(ts, np.zeros(len(ts), dtype=np.int64))
        for f, vs in self.feats.items():
            vocabs[f"features.{f}"] = Vocab(vs, np.zeros(len(vs), dtype=np.int64))
        extra = {"word_dim": self.word_dim, "schemes": self.schemes, "columns": list(self.tags)}
        prov = {k: v for k, v in self.provenance.items()}
        return save_model(path, ModelFile(self.kind, self.config.to_dict(), tensors, vocabs, prov, extra))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        import torch

        from wordseq.io.modelfile import load_model

        mf = load_model(path, cls.kind) if cls.kind != KIND_PREFIX else load_model(path, tuple(KINDS))
        klass = KINDS[mf.kind]
        try:
            config = klass.config_class.from_dict(mf.config)
            model = klass(config)  # type: ignore[arg-type]
            model.words = Vocab.from_stored(mf.vocabs["vocab"])
            model.chars = Vocab.from_stored(mf.vocabs["chars"])
            model.tags = {c: list(mf.vocabs[f"tags.{c}"].itos) for c in mf.extra["columns"]}
            model.feats = {f: list(mf.vocabs[f"features.{f}"].itos) for f in model.config.features}
            model.schemes = dict(mf.extra["schemes"])
            model.word_dim = int(mf.extra["word_dim"])
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(path, f"incomplete tagger model file ({e})") from None
        model.net = model._build_net()
        state = {k: torch.from_numpy(np.array(v)) for k, v in mf.tensors.items()}
        missing, unexpected = model.net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise InputError(
                path, f"weights do not match the model config (missing {missing}, unexpected {unexpected})"
            )
        model.net.eval()
        model.provenance = dict(mf.provenance)
        model.history = list(mf.provenance.get("history", []))
        return model  # type: ignore[return-value]

    def summary(self) -> ModelSummary:
        layers: list[LayerInfo] = []
        if self.net is not None:
            from wordseq.nn.summary import module_layers

            layers = [row for row in module_layers(self.net, self._example_batch()) if row.params]
        extra = {"columns": ", ".join(f"{c} ({len(t)} tags)" for c, t in self.tags.items())}
        extra["schemes"] = ", ".join(f"{c}: {s or '-'}" for c, s in self.schemes.items())
        history = self.provenance.get("history") or []
        metrics = {k: v for k, v in (history[-1] if history else {}).items() if k.startswith("valid_")}
        prov = {k: v for k, v in self.provenance.items() if k != "history"}
        return ModelSummary(
            self.kind,
            self.config.to_dict(),
            len(self.words) if self.words is not None else None,
            layers,
            prov,
            metrics,
            extra,
        )


class WindowTagger(Tagger):
    """Collobert & Weston's window classifier: ±k words' features → hidden layer → softmax (or a CRF)."""

    kind: ClassVar[str] = "tagger-window"
    config_class: ClassVar[type[Config]] = WindowTaggerConfig
    config: WindowTaggerConfig

    def __init__(self, config: WindowTaggerConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)

    def _encoder(self, in_dim: int) -> Any:
        from wordseq.tag.network import WindowEncoder

        return WindowEncoder(in_dim, self.config.window, self.config.hidden)


class BiLSTMTagger(Tagger):
    """A bidirectional recurrent tagger with character features, optionally with a CRF output layer."""

    kind: ClassVar[str] = "tagger-bilstm"
    config_class: ClassVar[type[Config]] = BiLSTMTaggerConfig
    config: BiLSTMTaggerConfig

    def __init__(self, config: BiLSTMTaggerConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)

    def _encoder(self, in_dim: int) -> Any:
        from wordseq.tag.network import BiRecurrent

        c = self.config
        return BiRecurrent(c.cell, in_dim, c.hidden, c.layers, c.dropout)


KINDS: dict[str, type[Tagger]] = {WindowTagger.kind: WindowTagger, BiLSTMTagger.kind: BiLSTMTagger}


def load_tagger(path: str | os.PathLike) -> Tagger:
    """Open a tagger model file of either kind."""
    return Tagger.load(path)


def copy_state(net: Any) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in copy.copy(net.state_dict()).items()}
