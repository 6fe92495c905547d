"""The neural classifiers as estimators: Kim's CNN (rand, static, non-static, multichannel) and the
recurrent classifier, trained by the one loop (:func:`wordseq.train.fit`: checkpoints, resume, early
stopping, learning curves, DDP) through :class:`ClassifyTask`.

With a dev set, the weights of the epoch with the best dev accuracy are kept (Kim's early stopping on dev).
Pretrained vectors (any file wordseq reads) initialize the embedding rows of the words they cover, and the
coverage is reported; the ``keep_vectors`` most frequent words of the file join the vocabulary, so that a
word first seen at prediction time still has its pretrained vector (it is frozen in ``static`` mode).
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import Tensor, nn

from wordseq.classify.base import KIND_PREFIX, Classifier
from wordseq.classify.data import LabelledData, tokens
from wordseq.classify.nets import KimCNN, RecurrentClassifier
from wordseq.config import Config
from wordseq.errors import WordseqError
from wordseq.estimator import LayerInfo, ModelSummary
from wordseq.text.vocab import PAD, UNK, Vocab
from wordseq.train import TrainConfig

SPECIALS = (PAD, UNK)  # ids 0 and 1: padding (a zero row) and unknown words


def _adam() -> TrainConfig:
    return TrainConfig(epochs=20, optimizer="adam", lr=1e-3, patience=5)


def _train_config(value: Any) -> TrainConfig:
    """A nested training config, also from the plain dict a model file stores."""
    if isinstance(value, TrainConfig):
        return value
    if isinstance(value, dict):
        return TrainConfig(**value)
    raise TypeError(f"train must be a TrainConfig, not {type(value).__name__}")


@dataclass
class NeuralConfig(Config):
    """Settings shared by the neural classifiers: word-embedding size ``embed`` (a vector file's own
    dimension wins, with a notice), ``vectors`` (a file; ``""``: random init), vocabulary ``min_count`` and
    ``max_vocab``, ``keep_vectors``, ``lower``, ``batch_size``, ``dropout``, and ``train`` (the loop's settings)."""

    embed: int = 300
    vectors: str = ""
    min_count: int = 1
    max_vocab: int | None = None
    keep_vectors: int = 20000
    lower: bool = False
    batch_size: int = 50
    dropout: float = 0.5
    train: TrainConfig = field(default_factory=_adam)

    def validate(self) -> None:
        self.train = _train_config(self.train)
        self.check_range("embed", lo=1, integer=True)
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("max_vocab", lo=3, integer=True, optional=True)
        self.check_range("keep_vectors", lo=0, integer=True)
        self.check_range("batch_size", lo=1, integer=True)
        self.check_range("dropout", lo=0.0, hi=1.0, hi_open=True)


@dataclass
class CNNConfig(NeuralConfig):
    """Kim (2014): ``mode`` ``rand`` | ``static`` | ``non-static`` | ``multichannel``, filter ``widths`` x
    ``maps`` feature maps, dropout 0.5, ``max_norm`` on the output weight rows (0: off)."""

    mode: str = "rand"
    widths: list[int] = field(default_factory=lambda: [3, 4, 5])
    maps: int = 100
    max_norm: float = 3.0

    def validate(self) -> None:
        super().validate()
        self.check_choice("mode", ("rand", "static", "non-static", "multichannel"))
        if not self.widths or any(not isinstance(w, int) or isinstance(w, bool) or w < 1 for w in self.widths):
            self.fail("widths", "must be a non-empty list of integers >= 1")
        self.check_range("maps", lo=1, integer=True)
        self.check_range("max_norm", lo=0.0)
        if self.mode != "rand" and not self.vectors:
            self.fail("vectors", f"mode {self.mode!r} needs a word-vector file")


@dataclass
class RNNConfig(NeuralConfig):
    """A (bidirectional) ``lstm`` or ``gru`` of ``hidden`` units per direction and ``layers`` layers, pooled
    over time by ``max``, ``mean`` or the ``last`` state; ``freeze``: keep pretrained embeddings fixed."""

    hidden: int = 150
    cell: str = "lstm"
    layers: int = 1
    bidirectional: bool = True
    pooling: str = "max"
    freeze: bool = False
    max_norm: float = 0.0

    def validate(self) -> None:
        super().validate()
        self.check_range("hidden", lo=1, integer=True)
        self.check_choice("cell", ("lstm", "gru"))
        self.check_range("layers", lo=1, integer=True)
        self.check_choice("pooling", ("max", "mean", "last"))
        self.check_range("max_norm", lo=0.0)


def plain(model: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)


def pad_batch(seqs: Sequence[np.ndarray], device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """Padded ids ``(batch, longest)`` (padding 0) and lengths; an empty text becomes one ``<unk>``."""
    lengths = [max(len(s), 1) for s in seqs]
    ids = np.zeros((len(seqs), max(lengths)), dtype=np.int64)
    for i, s in enumerate(seqs):
        if len(s):
            ids[i, : len(s)] = s
        else:
            ids[i, 0] = 1
    return torch.from_numpy(ids).to(device), torch.tensor(lengths, dtype=torch.int64, device=device)


def _output_weight(model: nn.Module) -> Tensor:
    out: Any = plain(model).output
    return out.weight


def renorm_rows(weight: Tensor, max_norm: float) -> None:
    """Rescale each row of ``weight`` whose L2 norm exceeds ``max_norm`` to that norm (Kim's constraint)."""
    with torch.no_grad():
        norms = weight.norm(dim=1, keepdim=True)
        weight.mul_(torch.where(norms > max_norm, max_norm / norms, torch.ones_like(norms)))


class ClassifyTask:
    """Shuffled minibatches of texts (a fresh order per epoch, from the seed), cross-entropy per sentence;
    on the dev split it also measures accuracy and keeps the weights of the best epoch."""

    unit = "sentence"

    def __init__(
        self,
        train: list[np.ndarray],
        labels: np.ndarray,
        valid: tuple[list[np.ndarray], np.ndarray] | None,
        batch_size: int,
        seed: int,
        max_norm: float = 0.0,
        device: str = "cpu",
    ) -> None:
        self.train, self.labels, self.valid = train, labels, valid
        self.batch_size, self.seed, self.max_norm = batch_size, seed, max_norm
        self.device = torch.device(device)
        self.valid_accuracy: list[float] = []
        self.best_accuracy = -1.0
        self.best_state: dict[str, Tensor] | None = None

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the task: the dev accuracy of each epoch and the best epoch's weights."""
        return {
            "valid_accuracy": list(self.valid_accuracy),
            "best_accuracy": self.best_accuracy,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.valid_accuracy = [float(a) for a in state["valid_accuracy"]]
        self.best_accuracy = float(state["best_accuracy"])
        self.best_state = state["best_state"]

    def batches(self, epoch: int) -> list[tuple[Tensor, Tensor, Tensor]]:
        from wordseq.train import distributed as dist

        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.train))
        out = []
        groups = [order[a : a + self.batch_size].tolist() for a in range(0, len(order), self.batch_size)]
        for batch in dist.shares(groups):  # under torchrun: this process's share of each global batch
            idx = np.asarray(batch, dtype=np.int64)
            ids, lengths = pad_batch([self.train[i] for i in idx], self.device)
            out.append((ids, lengths, torch.from_numpy(self.labels[idx]).to(self.device)))
        return out

    def start(self, model: nn.Module) -> None:
        return None

    def loss(self, model: nn.Module, batch: Any, carry: Any) -> tuple[Tensor, int, Any]:
        ids, lengths, y = batch
        if self.max_norm > 0:  # the constraint after each update, applied before the next forward pass
            renorm_rows(_output_weight(model), self.max_norm)
        logits = model(ids, lengths)
        return nn.functional.cross_entropy(logits.float(), y), len(y), None

    def evaluate(self, model: nn.Module, split: str) -> float | None:
        if split != "valid" or self.valid is None:
            return None
        if self.max_norm > 0:
            renorm_rows(_output_weight(model), self.max_norm)
        seqs, y = self.valid
        total, correct = 0.0, 0
        for a in range(0, len(seqs), 500):
            ids, lengths = pad_batch(seqs[a : a + 500], self.device)
            target = torch.from_numpy(y[a : a + 500]).to(self.device)
            logits = model(ids, lengths).float()
            total += float(nn.functional.cross_entropy(logits, target, reduction="sum"))
            correct += int((logits.argmax(dim=1) == target).sum())
        acc = correct / len(seqs)
        self.valid_accuracy.append(acc)
        if acc > self.best_accuracy:
            self.best_accuracy = acc
            net = plain(model)
            net = getattr(net, "net", net)  # inside the wrapper that hides frozen parameters
            self.best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        return total / len(seqs)


class NeuralClassifier(Classifier):
    """What the CNN and the recurrent classifier share: vocabulary, pretrained vectors, the training loop,
    batched prediction and the model file (the network's state dict)."""

    config: Any

    def __init__(self, config: Any = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.vocab: Vocab | None = None
        self.net: nn.Module | None = None

    # ------------------------------------------------------------------ parts the subclasses give

    def _build(self, vocab_size: int) -> nn.Module:
        raise NotImplementedError

    def _frozen(self) -> list[nn.Parameter]:
        """Parameters kept fixed during training (pretrained embeddings in static modes)."""
        return []

    def _embedding_tables(self, net: nn.Module) -> list[nn.Embedding]:
        """The embedding tables pretrained vectors initialize."""
        return [net.embedding]  # type: ignore[list-item]

    # ------------------------------------------------------------------ training

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        assert self.vocab is not None
        stoi, unk = self.vocab.stoi, self.vocab.unk_id
        lower = self.config.lower
        return [np.asarray([stoi.get(t, unk) for t in tokens(text, lower)], dtype=np.int64) for text in texts]

    def _vectors(self) -> Any:
        if not self.config.vectors:
            return None
        from wordseq.classify.sentvec import load_word_vectors

        vec = load_word_vectors(self.config.vectors)
        if vec.dim != self.config.embed:
            warnings.warn(
                f"{self.config.vectors}: the vectors have {vec.dim} dimensions, not embed={self.config.embed}; "
                f"using {vec.dim}",
                stacklevel=3,
            )
            self.config = self.config.replace(embed=vec.dim)
        return vec

    def _fit(
        self,
        train: LabelledData,
        dev: LabelledData | None,
        checkpoint: Any = None,
        resume: bool = False,
        log: Any = None,
        vectors: Any = None,
        **kwargs: Any,
    ) -> None:
        from wordseq.train import fit

        cfg = self.config
        torch.manual_seed(cfg.train.seed)
        vec = vectors if vectors is not None else self._vectors()
        if vectors is not None and vec.dim != cfg.embed:
            self.config = cfg = cfg.replace(embed=vec.dim)
        counts: Counter[str] = Counter(t for text in train.texts for t in tokens(text, cfg.lower))
        train_types = list(counts)
        if vec is not None:  # the file's most frequent words join the vocabulary (count 0 if unseen in training)
            for w in vec.words[: cfg.keep_vectors]:
                counts.setdefault(w, 0)
                if counts[w] < cfg.min_count:
                    counts[w] = cfg.min_count
        self.vocab = Vocab.from_counts(counts, min_count=cfg.min_count, max_size=cfg.max_vocab, specials=SPECIALS)
        net = self._build(len(self.vocab))
        if vec is not None:
            self._load_vectors(net, vec, train_types)
        for p in self._frozen_of(net):
            p.requires_grad_(False)
        x, y = self.encode(train.texts), self._label_ids(train.labels)
        valid = None
        if dev is not None:
            dy = self._label_ids(dev.labels)
            keep = np.flatnonzero(dy >= 0)  # dev labels unseen in training cannot be learned: left out here
            dx = self.encode([dev.texts[i] for i in keep])
            valid = (dx, dy[keep])
        task = ClassifyTask(
            x, y, valid, cfg.batch_size, cfg.train.seed, getattr(cfg, "max_norm", 0.0), cfg.train.device
        )
        frozen_ids = {id(p) for p in self._frozen_of(net)}
        trainable = _Trainable(net, frozen_ids)
        history = fit(
            trainable,
            task,
            cfg.train,
            checkpoint=checkpoint,
            resume=resume,
            meta={"model": {k: v for k, v in cfg.to_dict().items() if k != "train"}},
            log=log,
        )
        net = trainable.net
        if task.best_state is not None:
            net.load_state_dict(task.best_state)
        if task.max_norm > 0:
            renorm_rows(_output_weight(net), task.max_norm)
        net.eval()
        self.net = net.cpu()
        for e, entry in enumerate(history.epochs):
            row: dict[str, Any] = {
                "epoch": entry.epoch,
                "train_loss_nats": entry.train_loss,
                "valid_loss_nats": entry.valid_loss,
                "seconds": entry.seconds,
                "sentences_per_s": entry.items_per_s,
            }
            if e < len(task.valid_accuracy):
                row["valid_accuracy"] = task.valid_accuracy[e]
            self.history.append(row)
        if task.best_state is not None:
            self.provenance["best_valid_accuracy"] = task.best_accuracy

    def _frozen_of(self, net: nn.Module) -> list[nn.Parameter]:
        self.net = net
        return self._frozen()

    def _load_vectors(self, net: nn.Module, vec: Any, train_types: list[str]) -> None:
        """Copy the pretrained rows in; other rows are uniform with the pretrained rows' variance."""
        assert self.vocab is not None
        rows = [(i, vec.index[w]) for i, w in enumerate(self.vocab.itos) if i >= len(SPECIALS) and w in vec.index]
        std = float(vec.vectors.std()) if vec.vectors.size else 0.25
        bound = math.sqrt(3.0) * std
        with torch.no_grad():
            for table in self._embedding_tables(net):
                table.weight.uniform_(-bound, bound)
                table.weight[0].zero_()
                if rows:
                    ours = torch.tensor([a for a, _ in rows])
                    theirs = torch.from_numpy(vec.vectors[[b for _, b in rows]])
                    table.weight[ours] = theirs.to(table.weight.dtype)
        covered = sum(1 for w in train_types if w in vec.index)
        note = (
            f"pretrained vectors cover {covered:,} of {len(train_types):,} training word types "
            f"({100 * covered / max(len(train_types), 1):.1f}%); vocabulary {len(self.vocab):,} "
            f"({len(rows):,} rows from the vector file)"
        )
        self.notes.append(note)
        self.provenance["vector_coverage"] = note

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, texts: Any) -> np.ndarray:
        if self.net is None:
            raise WordseqError("the model is not trained yet")
        seqs = self.encode(list(texts))
        out = np.zeros((len(seqs), len(self.labels)), dtype=np.float64)
        order = np.argsort([len(s) for s in seqs], kind="stable")  # similar lengths together: less padding
        self.net.eval()
        with torch.no_grad():
            for a in range(0, len(order), 256):
                idx = order[a : a + 256]
                ids, lengths = pad_batch([seqs[i] for i in idx])
                out[idx] = torch.softmax(self.net(ids, lengths).double(), dim=1).numpy()
        return out

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike) -> Any:
        if self.net is None or self.vocab is None:
            raise WordseqError("the model is not trained yet: nothing to save")
        tensors = {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        return self._save(path, tensors, {"vocab": self.vocab})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        model, mf = cls._open(path)
        model.vocab = Vocab.from_stored(mf.vocabs["vocab"])
        net = model._build(len(model.vocab))
        state = {k: torch.from_numpy(np.array(v)) for k, v in mf.tensors.items()}
        net.load_state_dict(state)
        net.eval()
        model.net = net
        return model

    def summary(self) -> ModelSummary:
        s = super().summary()
        s.vocab_size = len(self.vocab) if self.vocab is not None else None
        if self.net is not None:
            frozen = {id(p) for p in self._frozen()}
            for name, child in self.net.named_children():
                params = list(child.parameters())
                if not params:
                    continue
                n = sum(p.numel() for p in params)
                trainable = not all(id(p) in frozen for p in params)
                s.layers.append(
                    LayerInfo(name, type(child).__name__, _shape(name, child, len(self.labels)), n, trainable)
                )
        return s


def _shape(name: str, child: nn.Module, classes: int) -> str:
    if isinstance(child, nn.Embedding):
        return f"(batch, time, {child.embedding_dim})"
    if isinstance(child, nn.Linear):
        return f"(batch, {child.out_features})"
    if isinstance(child, nn.ModuleList):
        return f"{len(child)} x (batch, {getattr(child[0], 'out_channels', '?')}) pooled"
    if isinstance(child, (nn.LSTM, nn.GRU)):
        return f"(batch, time, {child.hidden_size * (2 if child.bidirectional else 1)})"
    return "-"


class _Trainable(nn.Module):
    """The network with its frozen parameters hidden from the optimizer (the loop optimizes
    ``model.parameters()``); the frozen ones stay in the state dict through the wrapped net."""

    def __init__(self, net: nn.Module, frozen: set[int]) -> None:
        super().__init__()
        self.net = net
        self._frozen = frozen

    def parameters(self, recurse: bool = True):
        return (p for p in self.net.parameters(recurse) if id(p) not in self._frozen)

    @property
    def output(self) -> nn.Module:
        return self.net.output  # type: ignore[return-value]

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        return self.net(ids, lengths)


class CNNClassifier(NeuralClassifier):
    """Kim's (2014) CNN for sentence classification."""

    kind: ClassVar[str] = f"{KIND_PREFIX}-cnn"
    config_class: ClassVar[type[Config]] = CNNConfig
    config: CNNConfig

    def _build(self, vocab_size: int) -> nn.Module:
        cfg = self.config
        channels = 2 if cfg.mode == "multichannel" else 1
        return KimCNN(vocab_size, cfg.embed, len(self.labels), cfg.widths, cfg.maps, cfg.dropout, channels)

    def _frozen(self) -> list[nn.Parameter]:
        net: Any = self.net
        if net is None:
            return []
        if self.config.mode == "static":
            return [net.embedding.weight]
        if self.config.mode == "multichannel":
            return [net.static.weight]
        return []

    def _embedding_tables(self, net: nn.Module) -> list[nn.Embedding]:
        tables = [net.embedding]
        if getattr(net, "static", None) is not None:
            tables.append(net.static)
        return tables  # type: ignore[return-value]


class RNNClassifier(NeuralClassifier):
    """A BiLSTM/BiGRU over packed sequences, pooled over time, into a softmax."""

    kind: ClassVar[str] = f"{KIND_PREFIX}-rnn"
    config_class: ClassVar[type[Config]] = RNNConfig
    config: RNNConfig

    def _build(self, vocab_size: int) -> nn.Module:
        cfg = self.config
        return RecurrentClassifier(
            vocab_size,
            cfg.embed,
            len(self.labels),
            cfg.hidden,
            cfg.cell,
            cfg.layers,
            cfg.bidirectional,
            cfg.pooling,
            cfg.dropout,
        )

    def _frozen(self) -> list[nn.Parameter]:
        net: Any = self.net
        return [net.embedding.weight] if net is not None and self.config.freeze and self.config.vectors else []
