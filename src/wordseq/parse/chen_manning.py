"""Chen & Manning's (2014) transition-based neural dependency parser.

A feed-forward network scores the transitions of a parser state from 48 embedded features (18 words,
18 tags, 12 arc labels; :mod:`wordseq.parse.features`) through one hidden layer with the cube activation
(ReLU and tanh as options), trained on the static oracle's transitions with AdaGrad, dropout and a small L2
penalty. With ``oracle="dynamic"`` (arc-hybrid), epochs from ``explore_start`` on train with error exploration
(Goldberg & Nivre 2012): the examples come from parsing the training sentences with the current network,
each state labelled with a least-cost transition by the dynamic oracle, the parser following its own
prediction (with probability ``explore_p`` when it is wrong); non-projective trees take part too.

At parsing time the products of the hidden layer with the embeddings of the most frequent words (and of
every tag and label) at each position are computed once (the paper's pre-computation trick), so a
state costs 48 row look-ups instead of a matrix product. Decoding is greedy or a small beam; greedy decoding
advances all sentences in lockstep, and for arc-standard and arc-hybrid keeps the states, features and moves
in compiled code (:mod:`wordseq.parse._cm_kernel`; arc-eager and the beam use the Python states), with the
Python decoder's trees.

    parser = ChenManningParser(system="arc-standard").fit("train.conllu", valid="dev.conllu")
    parser.evaluate("test.conllu").las
"""

from __future__ import annotations

import math
import os
import time
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
    WORD_SPECIALS,
    build_vocab,
    copy_vectors,
    extend_vocab,
    normalise,
    padded_ids,
    sentence_tags,
)
from wordseq.parse.evaluate import ParseScore, attachment_scores
from wordseq.parse.features import N_FEATURES, N_LABEL_POSITIONS, N_POSITIONS, features
from wordseq.parse.transitions import SYSTEMS, State, TransitionSystem, make_system
from wordseq.parse.tree import is_projective
from wordseq.parse.treebank import TreebankData, gold_heads, gold_relations, read_treebank, with_tree
from wordseq.text.conllu import Sentence
from wordseq.text.vocab import Vocab
from wordseq.train import TrainConfig

ACTIVATIONS = ("cube", "relu", "tanh")
ORACLES = ("static", "dynamic")
_COMPILED_SYSTEMS = ("arc-standard", "arc-hybrid")  # greedy decoding in compiled code (parse/_cm_kernel.py)


def _default_train() -> TrainConfig:
    # the paper's optimiser: AdaGrad, lr 0.01, L2 1e-8 (on EWT it beats Adam at lr 0.001 in the first epochs)
    return TrainConfig(epochs=10, optimizer="adagrad", lr=0.01, weight_decay=1e-8)


@dataclass
class ChenManningConfig(Config):
    """The parser's architecture and training recipe (defaults: the paper's, except the optimiser's epochs)."""

    system: str = "arc-standard"
    activation: str = "cube"
    embed: int = 50  # tag and label embeddings, and word embeddings unless word_embed is set
    word_embed: int = 0  # word embedding size; 0: the same as embed (the paper's 50)
    hidden: int = 200
    dropout: float = 0.5
    init_range: float = 0.01
    tag_column: str = "upos"
    lower: bool = True
    min_count: int = 2  # words seen fewer times in training are <unk> (which trains <unk>'s embedding)
    max_vectors: int = 0  # with vectors: the file's most frequent words added to the vocabulary (100,000, say)
    frozen_vectors: bool = False  # with vectors: they stay fixed; a correction (from zero) is learned per word
    batch_size: int = 1000
    precompute: int = 10000  # most frequent words whose hidden-layer products are precomputed per position
    beam: int = 1
    oracle: str = "static"  # "dynamic": arc-hybrid with Goldberg & Nivre's dynamic oracle and error exploration
    explore_start: int = 2  # first epoch (1-based) whose examples come from exploration (dynamic oracle)
    explore_p: float = 0.9  # probability of following the model's wrong prediction while exploring
    train: TrainConfig = field(default_factory=_default_train)

    def validate(self) -> None:
        self.check_choice("system", SYSTEMS)
        self.check_choice("activation", ACTIVATIONS)
        self.check_range("embed", lo=1, integer=True)
        self.check_range("word_embed", lo=0, integer=True)
        self.check_range("hidden", lo=1, integer=True)
        self.check_range("dropout", lo=0.0, hi=1.0, hi_open=True)
        self.check_range("init_range", lo=0.0, lo_open=True)
        self.check_choice("tag_column", ("upos", "xpos"))
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("max_vectors", lo=0, integer=True)
        self.check_range("batch_size", lo=1, integer=True)
        self.check_range("precompute", lo=0, integer=True)
        self.check_range("beam", lo=1, integer=True)
        self.check_choice("oracle", ORACLES)
        if self.oracle == "dynamic" and self.system != "arc-hybrid":
            self.fail("oracle", f"'dynamic' needs system 'arc-hybrid' (--system arc-hybrid), not {self.system!r}")
        self.check_range("explore_start", lo=1, integer=True)
        self.check_range("explore_p", lo=0.0, hi=1.0)


def _activation(name: str) -> Callable[[Any], Any]:
    import torch

    if name == "cube":
        return lambda x: x * x * x
    if name == "relu":
        return torch.relu
    return torch.tanh


def _np_activation(name: str, x: np.ndarray) -> np.ndarray:
    if name == "cube":
        return x * x * x
    if name == "relu":
        return np.maximum(x, 0)
    return np.tanh(x)


def _make_net(n_words: int, n_tags: int, n_labels: int, n_actions: int, cfg: ChenManningConfig) -> Any:
    import torch
    from torch import nn

    class ChenManningNet(nn.Module):
        """Embeddings of the 48 features -> one hidden layer -> a score per transition."""

        def __init__(self) -> None:
            super().__init__()
            e, h = cfg.embed, cfg.hidden
            self.words = nn.Embedding(n_words, cfg.word_embed or e)
            self.pretrained = nn.Embedding(n_words, cfg.word_embed or e) if cfg.frozen_vectors else None
            self.tags = nn.Embedding(n_tags, e)
            self.labels = nn.Embedding(n_labels, e)
            self.hidden = nn.Linear(N_POSITIONS * (cfg.word_embed or e) + (N_FEATURES - N_POSITIONS) * e, h)
            self.dropout = nn.Dropout(cfg.dropout)
            self.output = nn.Linear(h, n_actions)
            self.act = _activation(cfg.activation)
            r = cfg.init_range
            for p in self.parameters():
                nn.init.uniform_(p, -r, r)
            if self.pretrained is not None:  # the fixed vectors carry the start; the correction starts at zero
                self.pretrained.weight.requires_grad_(False)
                nn.init.zeros_(self.words.weight)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            w = self.words(x[:, :N_POSITIONS])
            if self.pretrained is not None:
                w = w + self.pretrained(x[:, :N_POSITIONS])
            w = w.flatten(1)
            t = self.tags(x[:, N_POSITIONS : 2 * N_POSITIONS]).flatten(1)
            lab = self.labels(x[:, 2 * N_POSITIONS :]).flatten(1)
            z = self.act(self.hidden(torch.cat([w, t, lab], dim=1)))
            return self.output(self.dropout(z))

    return ChenManningNet()


class _Precomputed:
    """The hidden layer's products with the embeddings, computed once (Chen & Manning, section 3.3)."""

    def __init__(self, net: Any, n_frequent: int, activation: str) -> None:
        sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in net.state_dict().items()}
        W, self.b = sd["hidden.weight"], sd["hidden.bias"]
        import torch

        self.W2t, self.b2 = torch.from_numpy(sd["output.weight"].T.copy()), sd["output.bias"]
        Ew, Et, El = sd["words.weight"], sd["tags.weight"], sd["labels.weight"]
        if "pretrained.weight" in sd:  # fixed vectors plus the learned correction
            Ew = Ew + sd["pretrained.weight"]
        h, ew, e = W.shape[0], Ew.shape[1], Et.shape[1]
        self.activation = activation
        self.Ew = Ew
        # one (h, dim) block per feature: (18, h, ew) for the words, (30, h, e) for the tags and labels
        self.Wpos = W[:, : N_POSITIONS * ew].reshape(h, N_POSITIONS, ew).transpose(1, 0, 2)
        blocks = W[:, N_POSITIONS * ew :].reshape(h, N_FEATURES - N_POSITIONS, e).transpose(1, 0, 2)
        self.K = min(n_frequent, len(Ew))
        # (position, word) -> hidden contribution, flattened to (18 * K, h)
        self.Tw = np.einsum("ve,jhe->jvh", Ew[: self.K], self.Wpos).reshape(-1, h)
        self.Vt, self.Vl = len(Et), len(El)
        self.Tt = np.einsum("ve,jhe->jvh", Et, blocks[:N_POSITIONS]).reshape(-1, h)
        self.Tl = np.einsum("ve,jhe->jvh", El, blocks[N_POSITIONS:]).reshape(-1, h)
        self.offw = (np.arange(N_POSITIONS) * self.K)[None, :]
        self.offt = (np.arange(N_POSITIONS) * self.Vt)[None, :]
        self.offl = (np.arange(N_LABEL_POSITIONS) * self.Vl)[None, :]

    def hidden_input(self, x: np.ndarray) -> np.ndarray:
        w = x[:, :N_POSITIONS]
        cached = w < self.K
        hid = self.Tw[np.where(cached, w + self.offw, 0)]
        if not cached.all():
            hid[~cached] = 0.0
        z = hid.sum(axis=1)
        z += self.Tt[x[:, N_POSITIONS : 2 * N_POSITIONS] + self.offt].sum(axis=1)
        z += self.Tl[x[:, 2 * N_POSITIONS :] + self.offl].sum(axis=1)
        z += self.b
        return self._add_rare(z, w, cached)

    def compiled_hidden_input(self, x: np.ndarray) -> np.ndarray:
        """:meth:`hidden_input` by the compiled kernel: the same float32 sums in the same order (equal bit
        for bit) without the gathered (rows, 18, hidden) array."""
        from wordseq.parse import _cm_kernel

        z = _cm_kernel.hidden_input(x, self.Tw, self.Tt, self.Tl, self.b, self.K, self.Vt, self.Vl)
        w = x[:, :N_POSITIONS]
        return self._add_rare(z, w, w < self.K)

    def _add_rare(self, z: np.ndarray, w: np.ndarray, cached: np.ndarray) -> np.ndarray:
        if not cached.all():  # rare words: the plain product
            rows, cols = np.nonzero(~cached)
            contrib = np.einsum("ne,nhe->nh", self.Ew[w[rows, cols]], self.Wpos[cols])
            np.add.at(z, rows, contrib)
        return z

    def output(self, z: np.ndarray) -> np.ndarray:
        """Transition scores from the hidden layer's input."""
        import torch  # the small output product runs on torch's threads (--threads), not numpy's BLAS pool

        a = _np_activation(self.activation, z)
        return (torch.from_numpy(a) @ self.W2t).numpy() + self.b2

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self.output(self.hidden_input(x))


class ChenManningParser(Parser[ChenManningConfig]):
    """Chen & Manning's greedy neural transition parser (arc-standard by default)."""

    kind = "parser-chen-manning"
    config_class = ChenManningConfig

    def __init__(self, config: ChenManningConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.words: Vocab | None = None
        self.tags: Vocab | None = None
        self.labels: Vocab | None = None
        self.system: TransitionSystem | None = None
        self._pre: _Precomputed | None = None

    # ------------------------------------------------------------------ data

    def _sentence_ids(self, sentence: Sentence) -> tuple[list[int], list[int]]:
        assert self.words is not None and self.tags is not None
        cfg = self.config
        forms = [normalise(f, cfg.lower) for f in sentence.forms]
        return padded_ids(self.words, forms), padded_ids(self.tags, sentence_tags(sentence, cfg.tag_column))

    def _oracle_data(self, sentences: Sequence[Sentence]) -> tuple[np.ndarray, np.ndarray, int]:
        """Features and gold actions of every state of the static oracle, over the projective trees."""
        assert self.system is not None and self.labels is not None
        system, labels = self.system, self.labels
        X: list[list[int]] = []
        y: list[int] = []
        skipped = 0
        for sent in sentences:
            heads = gold_heads(sent)
            if not is_projective(heads):
                skipped += 1
                continue
            rel = [-1] + [labels.stoi.get(r, 1) - 1 for r in gold_relations(sent)]  # unseen relation: the first
            words, tags = self._sentence_ids(sent)
            s = system.initial(len(sent))
            while not system.is_terminal(s):
                move, label = system.oracle(s, heads, rel)
                X.append(features(s, words, tags))
                y.append(system.action(move, label))
                system._apply(s, move, label)
        return np.asarray(X, dtype=np.int64).reshape(-1, N_FEATURES), np.asarray(y, dtype=np.int64), skipped

    def _explore_data(
        self,
        sentences: Sequence[Sentence],
        p: float,
        seed: int,
        chunk: int = 2000,
        taken: list[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """Training examples of one epoch with error exploration (arc-hybrid, Goldberg & Nivre 2012): every
        sentence is parsed with the current network, all sentences in lockstep (``chunk`` at a time) in
        compiled code. Each state gives its features and a target, the highest-scoring action of least cost
        by the dynamic oracle (the gold label when its arc is gold); the parser then follows its own best
        legal action, with probability ``p`` when that is not a target action, else the target. Draws come
        from a generator seeded by ``seed``. Non-projective trees take part: the costs stay defined, though
        a state may have no zero-cost move (its target then costs the least). Returns features, targets and
        counts (states, states whose least cost is not zero, wrong predictions followed); ``taken`` collects
        the actions applied, step by step (the examples' order)."""
        from wordseq.parse import _cm_kernel as K
        from wordseq.progress import progress

        assert self.labels is not None and self.system is not None
        rng = np.random.default_rng(seed)
        pre = _Precomputed(self.net, self.config.precompute, self.config.activation)
        actions = np.array(self.system.actions, dtype=np.int64)
        stoi = self.labels.stoi
        X: list[np.ndarray] = []
        y: list[np.ndarray] = []
        stats = {"states": 0, "costly_states": 0, "followed_errors": 0}
        bar = progress(total=len(sentences), desc="exploring", unit="sentence")
        for start in range(0, len(sentences), chunk):
            part = sentences[start : start + chunk]
            st = K.States([self._sentence_ids(s) for s in part])
            gold = np.full(len(st.words), -1, dtype=np.int64)
            gold_labels = np.full(len(st.words), -1, dtype=np.int64)
            for k, sent in enumerate(part):
                o, n = int(st.off[k]), int(st.n[k])
                gold[o + 1 : o + n + 1] = gold_heads(sent)[1:]
                gold_labels[o + 1 : o + n + 1] = [stoi.get(r, 1) - 1 for r in gold_relations(sent)]
            active = st.unfinished()
            while len(active):
                x = st.features(active)
                sc = pre.output(pre.compiled_hidden_input(x))
                draws = rng.random(len(active))
                targets, least, followed, moved, active = st.explore(active, sc, draws, p, actions, gold, gold_labels)
                if taken is not None:
                    taken.append(moved)
                X.append(x)
                y.append(targets)
                stats["states"] += len(targets)
                stats["costly_states"] += int((least > 0).sum())
                stats["followed_errors"] += int(followed.sum())
            bar.update(len(part))
        bar.close()
        if not X:
            return np.zeros((0, N_FEATURES), dtype=np.int64), np.zeros(0, dtype=np.int64), stats
        return np.concatenate(X), np.concatenate(y), stats

    # ------------------------------------------------------------------ training

    def fit(  # type: ignore[override]
        self,
        data: TreebankData,
        valid: TreebankData | None = None,
        vectors: str | os.PathLike | None = None,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        log: Callable[[str], None] | None = print,
    ) -> Self:
        """Train on a treebank (CoNLL-U path or sentences) with gold trees; non-projective trees are skipped
        by the static oracle (the transition systems cannot build them) and used by the exploring epochs of
        the dynamic oracle (``oracle="dynamic"``). ``valid``: parsed after each epoch (with the tagger's tags
        if :meth:`use_tagger` set one), the best epoch (by LAS) is kept. ``vectors``: initial word embeddings
        from any vector file wordseq reads."""
        import torch

        cfg = self.config
        if cfg.frozen_vectors and vectors is None:
            raise WordseqError("frozen_vectors (--frozen-vectors) needs a vector file (--vectors FILE)")
        train = read_treebank(data)
        dev = self._tagged(read_treebank(valid), gold_tags=False) if valid is not None else None  # as parsed later
        self.words = build_vocab(
            [[normalise(f, cfg.lower) for f in s.forms] for s in train], WORD_SPECIALS, cfg.min_count
        )
        self.tags = build_vocab([sentence_tags(s, cfg.tag_column) for s in train], WORD_SPECIALS)
        self.labels = build_vocab([gold_relations(s) for s in train], LABEL_SPECIALS)
        from wordseq.embed import load_vectors

        vec = load_vectors(vectors) if vectors is not None else None  # read once, for the vocabulary and table
        if vec is not None and cfg.max_vectors:  # before the oracle data: singletons found there get an id
            self.words = extend_vocab(self.words, vec, cfg.max_vectors, cfg.lower)
            if cfg.train.weight_decay and not cfg.frozen_vectors and log:
                log(
                    f"note: with weight decay {cfg.train.weight_decay:g}, the vectors of words never seen in "
                    "training shrink towards zero as the decay alone moves them (--weight-decay 0 keeps them)"
                )
        self.system = make_system(cfg.system, len(self.labels) - 1)
        t0 = time.perf_counter()
        X, y, skipped = self._oracle_data(train)
        if log:
            log(
                f"{len(train):,} training sentences, {skipped:,} non-projective skipped; {len(y):,} transitions "
                f"({time.perf_counter() - t0:.1f} s); vocabularies: {len(self.words):,} words, {len(self.tags)} tags, "
                f"{len(self.labels) - 1} labels"
            )
        torch.manual_seed(cfg.train.seed)
        self.net = _make_net(len(self.words), len(self.tags), len(self.labels), self.system.n_actions, cfg)
        self.provenance = {"corpus": str(data) if isinstance(data, (str, os.PathLike)) else "<sentences>"}
        self.provenance["non_projective_skipped"] = skipped
        if vectors is not None:
            note = copy_vectors(self.net, self.words, os.fspath(vectors), cfg.lower, cfg.init_range, vec)
            self.provenance["vectors"] = note
            if log:
                log(self.provenance["vectors"])
        dev_data = self._oracle_data(dev)[:2] if dev is not None else None
        task = _Task(self, X, y, dev, dev_data, cfg.batch_size, cfg.train.seed, log)
        if cfg.oracle == "dynamic":
            task.explore = (train, cfg.explore_start, cfg.explore_p)
            self.provenance["explored_sentences"] = len(train)
            if log:
                log(
                    f"dynamic oracle: epochs from {cfg.explore_start} explore (p {cfg.explore_p:g}) over all "
                    f"{len(train):,} training sentences, non-projective ones included"
                )
        self._train(task, checkpoint, resume, log, valid_loss=True)
        self._pre = None
        return self

    # ------------------------------------------------------------------ parsing

    def precomputed(self) -> _Precomputed:
        """The pre-computation tables (built on first use after training or loading)."""
        self._check_trained()
        if self._pre is None:
            self._pre = _Precomputed(self.net, self.config.precompute, self.config.activation)
        return self._pre

    def scores(self, x: np.ndarray, precompute: bool = True) -> np.ndarray:
        """Transition scores for a batch of feature rows (``precompute=False``: the plain forward pass)."""
        if precompute:
            return self.precomputed().scores(x)
        import torch

        self.net.eval()
        with torch.no_grad():
            return self.net(torch.from_numpy(np.asarray(x, dtype=np.int64))).numpy()

    def parse_trees(
        self,
        sentences: Sequence[Sentence],
        beam: int | None = None,
        precompute: bool = True,
        compiled: bool = True,
    ) -> list[tuple[list[int], list[str]]]:
        """(heads, relations) for each sentence, from its forms and tags (HEAD and DEPREL are ignored).

        Greedy decoding advances all sentences in lockstep, one batched scoring per step; ``compiled``
        (arc-standard and arc-hybrid) keeps the states, features and moves in compiled code
        (:mod:`wordseq.parse._cm_kernel`), with the same trees as the Python states (``compiled=False``, and
        the only decoder of arc-eager and of the beam)."""
        self._check_trained()
        beam = self.config.beam if beam is None else beam
        ids = [self._sentence_ids(s) for s in sentences]

        def score(x: np.ndarray) -> np.ndarray:
            return self.scores(x, precompute)

        if beam > 1:
            trees = [self._beam([i], score, beam) for i in ids]
        elif compiled and self.config.system in _COMPILED_SYSTEMS:
            trees = self._greedy_compiled(ids, precompute)
        else:
            trees = self._greedy(ids, score)
        assert self.labels is not None
        itos = self.labels.itos
        return [(h[1:], [itos[lab + 1] if lab >= 0 else "dep" for lab in labs[1:]]) for h, labs in trees]

    def _greedy(
        self, ids: Sequence[tuple[list[int], list[int]]], score: Callable[[np.ndarray], np.ndarray]
    ) -> list[tuple[list[int], list[int]]]:
        assert self.system is not None
        system = self.system
        move_of = system._move_of
        actions = system.actions
        states = [system.initial(len(w) - 2) for w, _ in ids]
        active = [k for k, s in enumerate(states) if not system.is_terminal(s)]
        while active:
            x = np.array([features(states[k], *ids[k]) for k in active], dtype=np.int64)
            sc = score(x)
            legal = np.array([system.legal(states[k]) for k in active])[:, move_of]
            sc[~legal] = -np.inf
            best = sc.argmax(axis=1)
            for k, a in zip(active, best.tolist()):
                move, label = actions[a]
                system._apply(states[k], move, label)
            active = [k for k in active if not system.is_terminal(states[k])]
        return [system.finish(s) for s in states]

    def _greedy_compiled(
        self, ids: Sequence[tuple[list[int], list[int]]], precompute: bool
    ) -> list[tuple[list[int], list[int]]]:
        """:meth:`_greedy` with the states in flat arrays: the same batches in the same order at each step."""
        from wordseq.parse import _cm_kernel as K

        assert self.system is not None
        if not ids:
            return []
        code = K.COMPILED_SYSTEMS[self.config.system]
        actions = np.array(self.system.actions, dtype=np.int64)  # rows (move, label)
        st = K.States(list(ids))
        pre = self.precomputed() if precompute else None
        active = st.unfinished()
        while len(active):
            x = st.features(active)
            sc = pre.output(pre.compiled_hidden_input(x)) if pre is not None else self.scores(x, False)
            active = st.step(code, active, sc, actions)
        return [st.tree(k) for k in range(len(ids))]

    def _beam(
        self, ids: Sequence[tuple[list[int], list[int]]], score: Callable[[np.ndarray], np.ndarray], width: int
    ) -> tuple[list[int], list[int]]:
        assert self.system is not None
        system = self.system
        move_of = system._move_of
        words, tags = ids[0]
        beam: list[tuple[float, State]] = [(0.0, system.initial(len(words) - 2))]
        while not all(system.is_terminal(s) for _, s in beam):
            live = [(lp, s) for lp, s in beam if not system.is_terminal(s)]
            cands: list[tuple[float, int, int]] = [
                (lp, -1 - k, -1) for k, (lp, s) in enumerate(beam) if system.is_terminal(s)
            ]
            x = np.array([features(s, words, tags) for _, s in live], dtype=np.int64)
            sc = score(x)
            legal = np.array([system.legal(s) for _, s in live])[:, move_of]
            sc[~legal] = -np.inf
            m = sc.max(axis=1, keepdims=True)
            logp = sc - m - np.log(np.exp(sc - m).sum(axis=1, keepdims=True))
            for b, (lp, _) in enumerate(live):
                row = logp[b]
                top = np.argsort(-row)[:width]
                cands += [(lp + float(row[a]), b, int(a)) for a in top if np.isfinite(row[a])]
            cands.sort(key=lambda c: -c[0])
            new: list[tuple[float, State]] = []
            for lp, b, a in cands[:width]:
                if a < 0:
                    new.append((lp, beam[-1 - b][1]))
                    continue
                s = live[b][1].copy()
                move, label = system.actions[a]
                system._apply(s, move, label)
                new.append((lp, s))
            beam = new
        return system.finish(max(beam, key=lambda c: c[0])[1])

    def predict(self, data: TreebankData, beam: int | None = None, gold_tags: bool = False) -> list[Sentence]:
        """Parse sentences (a CoNLL-U path or sentences; their HEAD and DEPREL columns are ignored): copies
        with the trees filled in. Tags come from the parser's tagger unless ``gold_tags`` (or it has none)."""
        sentences = read_treebank(data, need_trees=False)
        tagged = self._tagged(sentences, gold_tags)
        trees = self.parse_trees(tagged, beam)
        return [with_tree(s, h, r) for s, (h, r) in zip(tagged, trees)]

    def evaluate(self, data: TreebankData, beam: int | None = None, gold_tags: bool = False) -> ParseScore:
        """UAS and LAS (CoNLL 2018 rules) on a treebank with gold trees."""
        gold = read_treebank(data)
        pred = self.predict(gold, beam, gold_tags)
        return attachment_scores(
            [([t.head for t in s.tokens], gold_relations(s)) for s in gold],  # type: ignore[misc]
            [([t.head for t in s.tokens], gold_relations(s)) for s in pred],  # type: ignore[misc]
        )

    def _vocabs(self) -> dict[str, Any]:
        return {"words": self.words, "tags": self.tags, "labels": self.labels}

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        from wordseq.io.modelfile import load_model

        mf = load_model(path, cls.kind)
        model = cls(ChenManningConfig.from_dict(mf.config))
        model.words = Vocab.from_stored(mf.vocabs["words"])
        model.tags = Vocab.from_stored(mf.vocabs["tags"])
        model.labels = Vocab.from_stored(mf.vocabs["labels"])
        model.system = make_system(model.config.system, len(model.labels) - 1)
        model.net = _make_net(
            len(model.words), len(model.tags), len(model.labels), model.system.n_actions, model.config
        )
        model._restore(mf, path)
        return model

    def summary(self) -> ModelSummary:
        layers = []
        if self.net is not None:
            for name, module in self.net.named_children():
                params = sum(p.numel() for p in module.parameters())
                shape = {
                    "words": f"(batch, {N_POSITIONS}, {self.config.word_embed or self.config.embed})",
                    "pretrained": f"(batch, {N_POSITIONS}, {self.config.word_embed or self.config.embed}), fixed",
                    "tags": f"(batch, {N_POSITIONS}, {self.config.embed})",
                    "labels": f"(batch, {N_LABEL_POSITIONS}, {self.config.embed})",
                    "hidden": f"(batch, {self.config.hidden})",
                    "dropout": f"(batch, {self.config.hidden})",
                    "output": f"(batch, {self.system.n_actions if self.system else '?'})",
                }.get(name, "")
                layers.append(LayerInfo(name, type(module).__name__, shape, params))
        extra: dict[str, Any] = {}
        if self.labels is not None and self.tags is not None:
            extra = {"tags": len(self.tags), "relations": len(self.labels) - 1, "system": self.config.system}
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


class _Task(DevEpochs):
    """The parser for :func:`wordseq.train.fit`: minibatches of oracle transitions (under torchrun each process
    takes its share of every batch); after each epoch the dev set is parsed greedily and the best epoch by LAS
    kept."""

    unit = "transition"

    def __init__(
        self,
        parser: ChenManningParser,
        X: np.ndarray,
        y: np.ndarray,
        dev: list[Sentence] | None,
        dev_data: tuple[np.ndarray, np.ndarray] | None,
        batch_size: int,
        seed: int,
        log: Callable[[str], None] | None = None,
    ) -> None:
        import torch

        self.parser = parser
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        DevEpochs.__init__(self, dev, log)
        self.dev_data = dev_data
        self.batch_size, self.seed = batch_size, seed
        # dynamic oracle: (training sentences, first exploring epoch, p); None: the static oracle's examples
        self.explore: tuple[list[Sentence], int, float] | None = None

    def batches(self, epoch: int) -> list[tuple[Any, Any]]:
        import torch

        from wordseq.train import distributed as dist

        X, y = self.X, self.y
        if self.explore is not None and epoch >= self.explore[1]:
            # examples made by the current network (the weights this epoch starts from), with draws seeded
            # by the seed and epoch, so that a resumed run makes the same ones
            sentences, _, p = self.explore
            t0 = time.perf_counter()
            Xe, ye, stats = self.parser._explore_data(sentences, p, self.seed * 1000 + epoch + 7919)
            X, y = torch.from_numpy(Xe), torch.from_numpy(ye)
            if self.log and dist.is_main():
                n = max(stats["states"], 1)
                self.log(
                    f"epoch {epoch}: explored {len(sentences):,} sentences, {stats['states']:,} transitions "
                    f"({time.perf_counter() - t0:.1f} s); wrong predictions followed {stats['followed_errors'] / n:.1%}"
                    f", states without a zero-cost move {stats['costly_states'] / n:.2%}"
                )
        g = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        order = torch.randperm(len(y), generator=g)
        bs = self.batch_size
        groups = [order[i : i + bs].tolist() for i in range(0, len(order), bs)]
        shares = dist.shares(groups)  # under torchrun: this process's share of each global batch
        return [(X[idx], y[idx]) for idx in map(torch.tensor, shares)]

    def start(self, model: Any) -> None:
        return None

    def loss(self, model: Any, batch: tuple[Any, Any], carry: Any) -> tuple[Any, int, Any]:
        import torch.nn.functional as F

        x, y = batch
        return F.cross_entropy(model(x), y), len(y), None

    def evaluate(self, model: Any, split: str) -> float | None:
        import torch
        import torch.nn.functional as F

        if split != "valid" or self.dev is None or self.dev_data is None:
            return None
        X, y = self.dev_data
        with torch.no_grad():
            loss = float(F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y)))
        self.score_dev(model, self.parser.parse_trees(self.dev, beam=1, precompute=False))
        return loss if math.isfinite(loss) else None
