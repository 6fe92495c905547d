"""Dozat & Manning's (2017) graph-based parser: a BiLSTM over word, character and tag features, biaffine
arc and relation scorers, and a maximum-spanning-tree decoder (Chu-Liu/Edmonds, or Eisner for projective
output) so every output is one well-formed tree with one root word.

    parser = BiaffineParser(hidden=200).fit("train.conllu", valid="dev.conllu")
    parser.evaluate("test.conllu").las
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np

from wordseq.config import Config
from wordseq.errors import WordseqError
from wordseq.estimator import LayerInfo, ModelSummary
from wordseq.parse.base import DevEpochs, Parser
from wordseq.parse.common import (
    LABEL_SPECIALS,
    ROOT_TOKEN,
    WORD_SPECIALS,
    build_vocab,
    copy_vectors,
    extend_vocab,
    normalise,
    sentence_tags,
)
from wordseq.parse.decode import chu_liu_edmonds, eisner
from wordseq.parse.evaluate import ParseScore, attachment_scores
from wordseq.parse.treebank import TreebankData, gold_heads, gold_relations, read_treebank, with_tree
from wordseq.text.conllu import Sentence
from wordseq.text.vocab import Vocab
from wordseq.train import TrainConfig

CHAR_SPECIALS = ("<unk>", "<pad>")

# the settings that shape the network and its vocabularies: a run started from a saved model (``init``) keeps
# the model's; dropout, batch size, decoder and the training recipe may change
ARCHITECTURE = (
    "embed",
    "tag_embed",
    "char_embed",
    "char_filters",
    "hidden",
    "layers",
    "arc_mlp",
    "label_mlp",
    "max_vectors",
    "frozen_vectors",
    "tag_column",
    "lower",
    "min_count",
)


def _default_train() -> TrainConfig:
    return TrainConfig(epochs=20, optimizer="adam", lr=0.002, clip=5.0)


@dataclass
class BiaffineConfig(Config):
    """Architecture and training recipe (Dozat & Manning's shape, sized for a CPU)."""

    embed: int = 100  # word embedding
    tag_embed: int = 50  # 0: no tag features (the parser then needs no tagger)
    char_embed: int = 32
    char_filters: int = 64  # character CNN (width 3, max-pooled); 0 turns characters off
    hidden: int = 200  # BiLSTM hidden size per direction
    layers: int = 2
    arc_mlp: int = 256
    label_mlp: int = 64
    dropout: float = 0.33
    word_dropout: float = 0.0  # in training, each word and each tag is replaced by <unk> with this probability
    max_vectors: int = 100_000  # with --vectors: the file's most frequent words added to the vocabulary
    # with --vectors: keep them fixed in their own table and learn a correction (started at zero) added to it, as
    # Dozat & Manning do, so that a word known only to the vectors lives in the same space as trained words
    frozen_vectors: bool = False
    tag_column: str = "upos"
    lower: bool = True
    min_count: int = 2
    batch_tokens: int = 2000
    decoder: str = "chu-liu-edmonds"
    train: TrainConfig = field(default_factory=_default_train)

    def validate(self) -> None:
        self.check_range("tag_embed", lo=0, integer=True)
        for name in ("embed", "char_embed", "hidden", "layers", "arc_mlp", "label_mlp", "batch_tokens"):
            self.check_range(name, lo=1, integer=True)
        self.check_range("char_filters", lo=0, integer=True)
        self.check_range("dropout", lo=0.0, hi=1.0, hi_open=True)
        self.check_range("word_dropout", lo=0.0, hi=1.0, hi_open=True)
        self.check_range("max_vectors", lo=0, integer=True)
        self.check_choice("tag_column", ("upos", "xpos"))
        self.check_range("min_count", lo=1, integer=True)
        self.check_choice("decoder", ("chu-liu-edmonds", "eisner"))


def _make_net(n_words: int, n_chars: int, n_tags: int, n_labels: int, cfg: BiaffineConfig) -> Any:
    import torch
    from torch import nn

    class CharCNN(nn.Module):
        """A word's characters -> embeddings -> width-3 convolution -> max over positions."""

        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(n_chars, cfg.char_embed, padding_idx=1)
            self.conv = nn.Conv1d(cfg.char_embed, cfg.char_filters, 3, padding=1)

        def forward(self, chars: torch.Tensor) -> torch.Tensor:  # (words, max_len)
            x = self.embed(chars).transpose(1, 2)
            y = self.conv(x).masked_fill((chars == 1).unsqueeze(1), -1e4)
            return torch.relu(y.max(dim=2).values)

    class Biaffine(nn.Module):
        """``x W y^T`` (+ a bias column on x and y) for each output channel."""

        def __init__(self, dim: int, out: int, bias_x: bool, bias_y: bool) -> None:
            super().__init__()
            self.bias_x, self.bias_y = bias_x, bias_y
            self.weight = nn.Parameter(torch.zeros(out, dim + bias_x, dim + bias_y))

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # (B, n, d) each -> (B, out, n, n)
            if self.bias_x:
                x = torch.cat([x, torch.ones_like(x[..., :1])], -1)
            if self.bias_y:
                y = torch.cat([y, torch.ones_like(y[..., :1])], -1)
            return torch.einsum("bxi,oij,byj->boxy", x, self.weight, y)

    def mlp(inp: int, out: int) -> nn.Module:
        return nn.Sequential(nn.Linear(inp, out), nn.LeakyReLU(0.1), nn.Dropout(cfg.dropout))

    class BiaffineNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.words = nn.Embedding(n_words, cfg.embed)
            self.pretrained = nn.Embedding(n_words, cfg.embed) if cfg.frozen_vectors else None
            if self.pretrained is not None:
                self.pretrained.weight.requires_grad_(False)
            self.tags = nn.Embedding(n_tags, cfg.tag_embed) if cfg.tag_embed else None
            self.chars = CharCNN() if cfg.char_filters else None
            inp = cfg.embed + cfg.tag_embed + (cfg.char_filters or 0)
            between = cfg.dropout if cfg.layers > 1 else 0.0  # between LSTM layers: none with one layer
            self.lstm = nn.LSTM(inp, cfg.hidden, cfg.layers, batch_first=True, bidirectional=True, dropout=between)
            self.dropout = nn.Dropout(cfg.dropout)
            self.arc_dep, self.arc_head = mlp(2 * cfg.hidden, cfg.arc_mlp), mlp(2 * cfg.hidden, cfg.arc_mlp)
            self.label_dep, self.label_head = mlp(2 * cfg.hidden, cfg.label_mlp), mlp(2 * cfg.hidden, cfg.label_mlp)
            self.arc = Biaffine(cfg.arc_mlp, 1, bias_x=True, bias_y=False)
            self.label = Biaffine(cfg.label_mlp, n_labels, bias_x=True, bias_y=True)
            if self.pretrained is None:
                nn.init.normal_(self.words.weight, std=0.1)
            else:  # the fixed vectors carry the start; words the file lacks start at zero
                nn.init.zeros_(self.words.weight)
                nn.init.zeros_(self.pretrained.weight)

        def forward(
            self, words: torch.Tensor, tags: torch.Tensor, chars: torch.Tensor | None, char_index: torch.Tensor | None
        ) -> tuple[torch.Tensor, torch.Tensor]:
            """Arc scores (B, n, n) [dependent, head] and label scores (B, n, n, L) for padded batches whose
            position 0 is ROOT."""
            parts = [self.words(words) if self.pretrained is None else self.words(words) + self.pretrained(words)]
            if self.tags is not None:
                parts.append(self.tags(tags))
            if self.chars is not None and chars is not None:
                per_type = self.chars(chars)  # one row per distinct word form in the batch
                parts.append(per_type[char_index])
            x = self.dropout(torch.cat(parts, -1))
            lengths = (words != 1).sum(1).cpu()  # pad id is 1 (<null>)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])
            h = self.dropout(h)
            arc = self.arc(self.arc_dep(h), self.arc_head(h)).squeeze(1)  # (B, dep, head)
            label = self.label(self.label_dep(h), self.label_head(h)).permute(0, 2, 3, 1)  # (B, dep, head, L)
            return arc, label

    return BiaffineNet()


class BiaffineParser(Parser[BiaffineConfig]):
    """Dozat & Manning's biaffine graph-based dependency parser."""

    kind = "parser-biaffine"
    config_class = BiaffineConfig

    def __init__(self, config: BiaffineConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.words: Vocab | None = None
        self.chars: Vocab | None = None
        self.tags: Vocab | None = None
        self.labels: Vocab | None = None

    # ------------------------------------------------------------------ batches

    def _encode(self, sentences: Sequence[Sentence]) -> list[tuple[list[int], list[int], list[str]]]:
        assert self.words is not None and self.tags is not None
        cfg = self.config
        root_w, root_t = self.words.stoi[ROOT_TOKEN], self.tags.stoi[ROOT_TOKEN]
        out = []
        for s in sentences:
            forms = [normalise(f, cfg.lower) for f in s.forms]
            w = [root_w] + self.words.encode(forms).tolist()
            t = [root_t] + self.tags.encode(sentence_tags(s, cfg.tag_column)).tolist()
            out.append((w, t, [ROOT_TOKEN] + list(s.forms)))
        return out

    def _batch(self, items: Sequence[tuple[list[int], list[int], list[str]]]) -> tuple[Any, ...]:
        import torch

        assert self.chars is not None
        n = max(len(w) for w, _, _ in items)
        words = torch.full((len(items), n), 1, dtype=torch.long)
        tags = torch.full((len(items), n), 1, dtype=torch.long)
        for b, (w, t, _) in enumerate(items):
            words[b, : len(w)] = torch.tensor(w)
            tags[b, : len(t)] = torch.tensor(t)
        chars = char_index = None
        if self.config.char_filters:
            forms: dict[str, int] = {}
            char_index = torch.zeros((len(items), n), dtype=torch.long)
            for b, (_, _, f) in enumerate(items):
                for i, form in enumerate(f):
                    char_index[b, i] = forms.setdefault(form, len(forms))
            longest = max(min(len(f), 30) for f in forms)
            chars = torch.full((len(forms), max(longest, 1)), 1, dtype=torch.long)
            stoi, unk = self.chars.stoi, 0
            for form, k in forms.items():
                ids = [stoi.get(c, unk) for c in form[:30]]
                chars[k, : len(ids)] = torch.tensor(ids)
        return words, tags, chars, char_index

    # ------------------------------------------------------------------ training

    def fit(  # type: ignore[override]
        self,
        data: TreebankData,
        valid: TreebankData | None = None,
        vectors: str | os.PathLike | None = None,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        log: Callable[[str], None] | None = print,
        init: str | os.PathLike | None = None,
    ) -> Self:
        """Train on a treebank with gold trees (non-projective ones included); with ``valid``, the dev set is
        parsed after each epoch (with the tagger's tags if :meth:`use_tagger` set one, as new text will be)
        and the best epoch by LAS is kept. ``init``: start from a saved biaffine model's weights and
        vocabularies (and architecture) instead of new ones, to train it further or on other data; the
        optimizer starts afresh (``resume`` with a checkpoint is the exact continuation of a run)."""
        train = read_treebank(data)
        dev = self._tagged(read_treebank(valid), gold_tags=False) if valid is not None else None  # as parsed later
        if init is not None:
            if vectors is not None:
                raise WordseqError("--init and --vectors do not go together: the initial model has its embeddings")
            self._start_from(init, data, log)
        else:
            self._new_network(data, train, vectors, log)
        task = _Task(self, train, dev, log)
        self._train(task, checkpoint, resume, log)
        return self

    def _start_from(self, init: str | os.PathLike, data: TreebankData, log: Callable[[str], None] | None) -> None:
        """Take the architecture, vocabularies and weights of the saved model ``init``."""
        start = type(self).load(init)
        kept = {k: getattr(start.config, k) for k in ARCHITECTURE}
        differ = [f"{k}={kept[k]!r}" for k in ARCHITECTURE if getattr(self.config, k) != kept[k]]
        self.config = self.config.replace(**kept)
        words, chars, tags, labels = start.words, start.chars, start.tags, start.labels
        assert words is not None and chars is not None and tags is not None and labels is not None  # loaded
        self.words, self.chars, self.tags, self.labels = words, chars, tags, labels
        # built again with this run's settings (its dropout), then given the saved weights
        self.net = _make_net(len(words), len(chars), len(tags), len(labels), self.config)
        self.net.load_state_dict(start.net.state_dict())
        self.provenance = {
            "corpus": str(data) if isinstance(data, (str, os.PathLike)) else "<sentences>",
            "init": {
                "model": os.path.abspath(init),
                "epochs": len(start.history),
                "best_epoch": start.metrics.get("best_epoch"),
                "train_seconds": start.provenance.get("train_seconds"),
            },
        }
        if "vectors" in start.provenance:
            self.provenance["vectors"] = start.provenance["vectors"]
        if log:
            log(
                f"starting from {init} ({len(start.history)} epochs trained); its architecture is kept"
                + (f" ({', '.join(differ)})" if differ else "")
            )

    def _new_network(
        self,
        data: TreebankData,
        train: list[Sentence],
        vectors: str | os.PathLike | None,
        log: Callable[[str], None] | None,
    ) -> None:
        """Vocabularies from the training treebank (and the vector file), and a new network."""
        import torch

        cfg = self.config
        self.words = build_vocab(
            [[normalise(f, cfg.lower) for f in s.forms] for s in train], WORD_SPECIALS, cfg.min_count
        )
        from wordseq.embed import load_vectors

        vec = load_vectors(vectors) if vectors is not None else None  # read once, for the vocabulary and table
        if vec is not None and cfg.max_vectors:
            self.words = extend_vocab(self.words, vec, cfg.max_vectors, cfg.lower)
        self.chars = build_vocab([list(f) for s in train for f in s.forms], CHAR_SPECIALS)
        self.tags = build_vocab([sentence_tags(s, cfg.tag_column) for s in train], WORD_SPECIALS)
        self.labels = build_vocab([gold_relations(s) for s in train], LABEL_SPECIALS)
        torch.manual_seed(cfg.train.seed)
        self.net = _make_net(len(self.words), len(self.chars), len(self.tags), len(self.labels), cfg)
        self.provenance = {"corpus": str(data) if isinstance(data, (str, os.PathLike)) else "<sentences>"}
        if vectors is not None:
            self.provenance["vectors"] = copy_vectors(self.net, self.words, os.fspath(vectors), cfg.lower, 0.1, vec)
            if log:
                log(self.provenance["vectors"])
        if log:
            log(
                f"{len(train):,} training sentences; vocabularies: {len(self.words):,} words, {len(self.chars):,} "
                f"characters, {len(self.tags)} tags, {len(self.labels) - 1} relations"
            )

    def _loss(self, net: Any, items: Sequence[tuple[list[int], list[int], list[str]]], heads: Any, rels: Any) -> Any:
        import torch
        import torch.nn.functional as F

        words, tags, chars, char_index = self._batch(items)
        mask = words != 1
        p = self.config.word_dropout
        if p:  # only real words (not ROOT or padding) are dropped, to <unk> (id 0)
            real = mask.clone()
            real[:, 0] = False
            words = words.masked_fill(real & (torch.rand(words.shape) < p), 0)
            tags = tags.masked_fill(real & (torch.rand(tags.shape) < p), 0)
        arc, label = net(words, tags, chars, char_index)
        mask[:, 0] = False  # ROOT is no dependent
        arc = arc.masked_fill(~(words != 1).unsqueeze(1), -1e9)  # no head among the padding
        arc_loss = F.cross_entropy(arc[mask], heads[mask])
        gold_label_scores = label[mask][torch.arange(int(mask.sum())), heads[mask]]
        label_loss = F.cross_entropy(gold_label_scores, rels[mask])
        return arc_loss + label_loss, int(mask.sum())

    # ------------------------------------------------------------------ parsing

    def scores(self, sentences: Sequence[Sentence]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence: arc log-probabilities ``[head, dependent]`` (n+1, n+1) and label scores (n+1, n+1, L)."""
        import torch

        self._check_trained()
        self.net.eval()
        items = self._encode(sentences)
        out: list[tuple[np.ndarray, np.ndarray]] = [None] * len(items)  # type: ignore[list-item]
        order = sorted(range(len(items)), key=lambda k: len(items[k][0]))
        with torch.no_grad():
            for chunk in _chunks(order, [len(items[k][0]) for k in order], self.config.batch_tokens):
                arc, label = self.net(*self._batch([items[k] for k in chunk]))
                logp = torch.log_softmax(arc, dim=2)
                for b, k in enumerate(chunk):
                    n = len(items[k][0])
                    out[k] = (logp[b, :n, :n].T.numpy().astype(np.float64), label[b, :n, :n].numpy())
        return out

    def parse_trees(self, sentences: Sequence[Sentence]) -> list[tuple[list[int], list[str]]]:
        """(heads, relations) for each sentence, from its forms and tags (HEAD and DEPREL are ignored)."""
        assert self.labels is not None
        decode = chu_liu_edmonds if self.config.decoder == "chu-liu-edmonds" else eisner
        trees = []
        for arc, label in self.scores(sentences):
            heads = decode(arc)
            n = len(heads)
            rel = label[np.arange(1, n), heads[1:], 1:].argmax(axis=1) + 1  # never <null>
            trees.append(([int(h) for h in heads[1:]], [self.labels.itos[r] for r in rel]))
        return trees

    def predict(self, data: TreebankData, gold_tags: bool = False) -> list[Sentence]:
        """Parse sentences (CoNLL-U path or sentences; HEAD and DEPREL ignored): copies with the trees filled
        in. Tags come from the parser's tagger unless ``gold_tags`` (or it has none)."""
        sentences = read_treebank(data, need_trees=False)
        sentences = self._tagged(sentences, gold_tags)
        trees = self.parse_trees(sentences)
        return [with_tree(s, h, r) for s, (h, r) in zip(sentences, trees)]

    def evaluate(self, data: TreebankData, gold_tags: bool = False) -> ParseScore:
        """UAS and LAS (CoNLL 2018 rules) on a treebank with gold trees."""
        gold = read_treebank(data)
        pred = self.predict(gold, gold_tags)
        return attachment_scores(
            [(gold_heads(s)[1:], gold_relations(s)) for s in gold],
            [(gold_heads(s)[1:], gold_relations(s)) for s in pred],
        )

    def _vocabs(self) -> dict[str, Any]:
        return {"words": self.words, "chars": self.chars, "tags": self.tags, "labels": self.labels}

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        from wordseq.io.modelfile import load_model

        mf = load_model(path, cls.kind)
        model = cls(BiaffineConfig.from_dict(mf.config))
        model.words = Vocab.from_stored(mf.vocabs["words"])
        model.chars = Vocab.from_stored(mf.vocabs["chars"])
        model.tags = Vocab.from_stored(mf.vocabs["tags"])
        model.labels = Vocab.from_stored(mf.vocabs["labels"])
        model.net = _make_net(len(model.words), len(model.chars), len(model.tags), len(model.labels), model.config)
        model._restore(mf, path)
        return model

    def summary(self) -> ModelSummary:
        layers = []
        if self.net is not None:
            for name, module in self.net.named_children():
                params = sum(p.numel() for p in module.parameters())
                layers.append(LayerInfo(name, type(module).__name__, "", params))
        extra: dict[str, Any] = {}
        if self.labels is not None and self.tags is not None:
            extra = {"tags": len(self.tags), "relations": len(self.labels) - 1, "decoder": self.config.decoder}
        if self.tagger_path:
            extra["tagger"] = self.tagger_path
        return ModelSummary(
            self.kind,
            self.config.to_dict(),
            len(self.words) if self.words is not None else None,
            layers,
            {**self.provenance, "history": self.history},
            self.metrics,
            extra,
        )


def _chunks(order: Sequence[int], lengths: Sequence[int], tokens: int) -> list[list[int]]:
    """Consecutive groups of ``order`` with at most ``tokens`` padded tokens each (lengths ascending)."""
    out: list[list[int]] = []
    cur: list[int] = []
    for k, n in zip(order, lengths):
        if cur and n * (len(cur) + 1) > tokens:
            out.append(cur)
            cur = []
        cur.append(k)
    if cur:
        out.append(cur)
    return out


class _Task(DevEpochs):
    """The parser for :func:`wordseq.train.fit`: length-bucketed batches of sentences (under torchrun each
    process takes its share of every batch), the arc and label cross-entropies; after each epoch the dev set
    is parsed and the best epoch by LAS kept."""

    unit = "word"

    def __init__(
        self,
        parser: BiaffineParser,
        train: list[Sentence],
        dev: list[Sentence] | None,
        log: Callable[[str], None] | None,
    ) -> None:
        import torch

        assert parser.labels is not None
        DevEpochs.__init__(self, dev, log)
        self.parser = parser
        self.items = parser._encode(train)
        labels = parser.labels
        self.heads = [torch.tensor(gold_heads(s)[1:]) for s in train]
        self.rels = [torch.tensor([labels.stoi.get(r, 1) for r in gold_relations(s)]) for s in train]
        self.seed = parser.config.train.seed

    def batches(self, epoch: int) -> list[list[int]]:
        from wordseq.train import distributed as dist

        rng = np.random.default_rng(self.seed * 1000 + epoch)
        lengths = np.array([len(w) for w, _, _ in self.items])
        order = np.lexsort((rng.random(len(lengths)), lengths))  # by length, ties shuffled
        groups = _chunks(order.tolist(), lengths[order].tolist(), self.parser.config.batch_tokens)
        rng.shuffle(groups)  # type: ignore[arg-type,unused-ignore]
        return dist.shares(groups)  # under torchrun: this process's share of each global batch

    def start(self, model: Any) -> None:
        return None

    def loss(self, model: Any, batch: list[int], carry: Any) -> tuple[Any, int, Any]:
        import torch

        items = [self.items[k] for k in batch]
        n = max(len(w) for w, _, _ in items)
        heads = torch.zeros((len(batch), n), dtype=torch.long)
        rels = torch.zeros((len(batch), n), dtype=torch.long)
        for b, k in enumerate(batch):
            heads[b, 1 : 1 + len(self.heads[k])] = self.heads[k]
            rels[b, 1 : 1 + len(self.rels[k])] = self.rels[k]
        loss, count = self.parser._loss(model, items, heads, rels)
        return loss, count, None

    def evaluate(self, model: Any, split: str) -> float | None:
        if split != "valid" or self.dev is None:
            return None
        las = self.score_dev(model, self.parser.parse_trees(self.dev))
        return 1.0 - las if math.isfinite(las) else None
