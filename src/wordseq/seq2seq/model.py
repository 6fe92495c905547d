"""The translation estimator: :class:`Seq2Seq` with its :class:`Seq2SeqConfig`, trained through
:func:`wordseq.train.fit`, decoding greedily or by beam search, scored with BLEU and chrF.

    model = Seq2Seq(attention="bahdanau", hidden=512).fit(("train.de", "train.en"), valid=("val.de", "val.en"))
    model.translate(["ein mann fährt fahrrad ."], beam=5)
    model.evaluate(("test.de", "test.en")).text()
    model.save("de-en.wsq"); Seq2Seq.load("de-en.wsq")
"""

from __future__ import annotations

import copy
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wordseq.config import Config
from wordseq.errors import InputError, WordseqError
from wordseq.estimator import Estimator, LayerInfo, ModelSummary
from wordseq.io.modelfile import ModelFile, load_model, save_model
from wordseq.nn.recurrent import CELLS
from wordseq.nn.weights import load_weights, weights_for_file
from wordseq.seq2seq.bleu import TranslationScore, corpus_bleu, detokenize, sacre_scores
from wordseq.seq2seq.data import (
    PAD_ID,
    SPECIALS,
    UNK_ID,
    EncodedPairs,
    ParallelText,
    bucket_batches,
    build_vocabs,
    encode_pairs,
    pad,
    read_parallel,
    read_tsv,
    tokenize_all,
)
from wordseq.seq2seq.decode import Hypothesis, beam_search, greedy
from wordseq.seq2seq.net import ATTENTIONS, ENCODER_CELLS, LUONG_SCORES, Seq2SeqNet
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import Vocab
from wordseq.train import distributed as dist
from wordseq.train.loop import TrainConfig, fit

KIND = "seq2seq"
MAX_SOURCE_TOKENS = 400  # longer inputs are cut here, with a notice, at translation time


def _train_defaults() -> TrainConfig:
    return TrainConfig(epochs=10, optimizer="adam", lr=1e-3, clip=1.0)


@dataclass
class Seq2SeqConfig(Config):
    """An encoder-decoder translation model and how its text is read and its vocabularies built."""

    embed: int = 256
    hidden: int = 512
    layers: int = 1
    encoder_cell: str = "gru"  # rnn | gru | lstm (torch's, for packing and bidirectionality)
    decoder_cell: str = "gru"  # any cell of wordseq.nn
    bidirectional: bool = True
    attention: str = "bahdanau"  # none | bahdanau | luong
    luong_score: str = "general"  # dot | general (luong attention only)
    input_feeding: bool = True  # luong attention: feed the attentional vector back into the decoder
    dropout: float = 0.3
    tie_embeddings: bool = False
    teacher_forcing: float = 1.0  # probability of feeding the gold previous word (epoch 1)
    teacher_forcing_decay: float = 1.0  # multiplied into the ratio each epoch
    teacher_forcing_min: float = 0.0
    label_smoothing: float = 0.0
    batch_size: int = 64
    max_len: int = 50  # training pairs with a side longer than this (tokens) are left out (0: no limit)
    min_count: int = 1
    max_vocab: int | None = None
    shared_vocab: bool = False
    tokenizer: str = "word"
    lower: bool = True
    valid_bleu: bool = True  # greedy BLEU on the validation pairs after each epoch; the best epoch is kept
    early_stop: str = "loss"  # loss | bleu: what early stopping and the plateau schedule watch
    train: TrainConfig = field(default_factory=_train_defaults)

    def validate(self) -> None:
        for name in ("embed", "hidden", "layers", "batch_size"):
            self.check_range(name, lo=1, integer=True)
        self.check_choice("encoder_cell", ENCODER_CELLS)
        self.check_choice("decoder_cell", CELLS)
        self.check_choice("attention", ATTENTIONS)
        self.check_choice("luong_score", LUONG_SCORES)
        self.check_range("dropout", 0.0, 1.0, hi_open=True)
        for name in ("teacher_forcing", "teacher_forcing_decay", "teacher_forcing_min"):
            self.check_range(name, 0.0, 1.0)
        self.check_range("label_smoothing", 0.0, 1.0, hi_open=True)
        self.check_range("max_len", lo=0, integer=True)
        self.check_range("min_count", lo=1, integer=True)
        self.check_range("max_vocab", lo=len(SPECIALS) + 1, integer=True, optional=True)
        self.check_choice("tokenizer", ("whitespace", "word", "char"))
        self.check_choice("early_stop", ("loss", "bleu"))
        if self.early_stop == "bleu" and not self.valid_bleu:
            self.fail("early_stop", "'bleu' needs valid_bleu = True")
        if self.attention == "luong" and self.luong_score == "dot" and self.bidirectional:
            self.fail(
                "luong_score", "'dot' needs equal encoder and decoder sizes: use 'general' or bidirectional=False"
            )
        if not isinstance(self.train, TrainConfig):
            self.fail("train", "must be a TrainConfig")

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        values = dict(data)
        if isinstance(values.get("train"), dict):
            train_cls: Any = TrainConfig
            values["train"] = (
                train_cls.from_dict(values["train"])
                if hasattr(train_cls, "from_dict")
                else (TrainConfig(**values["train"]))
            )
        return super().from_dict(values)

    def make_tokenizer(self) -> Tokenizer:
        return Tokenizer(kind=self.tokenizer, lower=self.lower)  # type: ignore[arg-type]


def build_net(config: Seq2SeqConfig, src_vocab: int, tgt_vocab: int) -> Seq2SeqNet:
    return Seq2SeqNet(
        src_vocab,
        tgt_vocab,
        embed=config.embed,
        hidden=config.hidden,
        layers=config.layers,
        encoder_cell=config.encoder_cell,
        decoder_cell=config.decoder_cell,
        bidirectional=config.bidirectional,
        attention=config.attention,
        luong_score=config.luong_score,
        input_feeding=config.input_feeding,
        dropout=config.dropout,
        tie_embeddings=config.tie_embeddings,
        pad_id=PAD_ID,
    )


def _plain(model: nn.Module) -> Seq2SeqNet:
    return model.module if hasattr(model, "module") else model  # type: ignore[return-value]


def _batch_tensors(pairs: EncodedPairs, idx: Any, device: torch.device) -> tuple[Tensor, Tensor, Tensor, int]:
    """Source, source lengths, target (``<s>`` words ``</s>``, padded) and the number of target tokens a loss
    counts (words and ``</s>``), known here so that no step waits for the device to count them."""
    src, lengths = pad([pairs.src[i] for i in idx])
    tgt, tgt_lengths = pad([pairs.tgt[i] for i in idx], bos=True, eos=True)
    return (
        torch.from_numpy(src).to(device),
        torch.from_numpy(lengths),
        torch.from_numpy(tgt).to(device),
        int(tgt_lengths.sum()) - len(idx),  # without the <s> of each
    )


class Seq2SeqTask:
    """What :func:`wordseq.train.fit` needs: length-bucketed batches, the masked loss, validation."""

    unit = "token"

    def __init__(
        self,
        config: Seq2SeqConfig,
        train: EncodedPairs,
        valid: EncodedPairs | None,
        valid_bleu: Callable[[nn.Module], float] | None = None,
        log: Callable[[str], None] | None = print,
    ) -> None:
        self.config = config
        self.train = train
        self.valid = valid
        self.device = torch.device(config.train.device)
        self.valid_bleu = valid_bleu
        self.teacher_forcing = config.teacher_forcing
        self.bleu_by_epoch: dict[int, float] = {}
        self.best_state: dict[str, Tensor] | None = None
        self.best_bleu = -1.0
        self.epoch = 0
        self.log = log or (lambda s: None)
        # early stopping on BLEU watches 100 - BLEU (lower is better, like a loss); the log calls it so
        self.valid_metric = "100 - BLEU" if valid_bleu is not None and config.early_stop == "bleu" else ""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the task: the best validation BLEU so far and its weights."""
        return {"best_state": self.best_state, "best_bleu": self.best_bleu, "bleu_by_epoch": dict(self.bleu_by_epoch)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_state = state["best_state"]
        self.best_bleu = float(state["best_bleu"])
        self.bleu_by_epoch = {int(k): float(v) for k, v in state["bleu_by_epoch"].items()}

    def batches(self, epoch: int) -> list[tuple[Tensor, Tensor, Tensor, int]]:
        c = self.config
        self.epoch = epoch
        self.teacher_forcing = max(c.teacher_forcing_min, c.teacher_forcing * c.teacher_forcing_decay ** (epoch - 1))
        order = bucket_batches(
            [len(s) for s in self.train.src],
            [len(t) for t in self.train.tgt],
            c.batch_size,
            seed=c.train.seed * 1009 + epoch,
        )
        # under torchrun: this process's share of each global batch
        shares = dist.shares([idx.tolist() for idx in order])
        return [_batch_tensors(self.train, idx, self.device) for idx in shares]

    def start(self, model: nn.Module) -> None:
        return None

    def loss(self, model: nn.Module, batch: tuple[Tensor, Tensor, Tensor, int], carry: Any) -> tuple[Tensor, int, Any]:
        src, lengths, tgt, n = batch
        logits = model(src, lengths, tgt[:, :-1], self.teacher_forcing)
        gold = tgt[:, 1:]
        loss = F.cross_entropy(
            logits.reshape(-1, logits.size(-1)).float(),
            gold.reshape(-1),
            ignore_index=PAD_ID,
            label_smoothing=self.config.label_smoothing,
        )
        return loss, n, None

    def evaluate(self, model: nn.Module, split: str) -> float | None:
        if split != "valid" or self.valid is None or len(self.valid) == 0:
            return None
        net = _plain(model)
        loss = validation_loss(net, self.valid, self.config.batch_size, self.device)
        if self.valid_bleu is None:
            return loss
        bleu = self.valid_bleu(net)
        self.bleu_by_epoch[self.epoch] = bleu
        self.log(f"epoch {self.epoch}: valid BLEU (greedy, lowercased tokenized) {bleu:.2f}")
        if bleu > self.best_bleu:
            self.best_bleu = bleu
            self.best_state = copy.deepcopy({k: v.detach().cpu() for k, v in net.state_dict().items()})
        return 100.0 - bleu if self.config.early_stop == "bleu" else loss


@torch.no_grad()
def validation_loss(net: Seq2SeqNet, pairs: EncodedPairs, batch_size: int, device: torch.device) -> float:
    """Mean cross-entropy (nats) per target token (``</s>`` included), teacher-forced, no smoothing."""
    total, count = 0.0, 0
    was = net.training
    net.eval()
    for idx in bucket_batches([len(s) for s in pairs.src], [len(t) for t in pairs.tgt], batch_size):
        src, lengths, tgt, n = _batch_tensors(pairs, idx, device)
        logits = net(src, lengths, tgt[:, :-1])
        gold = tgt[:, 1:]
        total += float(
            F.cross_entropy(
                logits.reshape(-1, logits.size(-1)).float(), gold.reshape(-1), ignore_index=PAD_ID, reduction="sum"
            )
        )
        count += n
    net.train(was)
    return total / max(count, 1)


def as_parallel(data: Any) -> ParallelText:
    """What a user has as parallel text: :class:`ParallelText`, a ``(source path, target path)`` pair, a
    tab-separated file (or ``.zip``) path, or a pair of sentence lists."""
    if isinstance(data, ParallelText):
        return data
    if isinstance(data, (str, os.PathLike)):
        return read_tsv(data)
    if isinstance(data, tuple) and len(data) == 2:
        a, b = data
        if isinstance(a, (str, os.PathLike)) and isinstance(b, (str, os.PathLike)):
            return read_parallel(a, b)
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                raise WordseqError(f"{len(a)} source sentences but {len(b)} target sentences")
            return ParallelText(list(a), list(b))
    raise WordseqError("parallel text must be (source file, target file), a tab-separated file or two lists")


class Seq2Seq(Estimator[Seq2SeqConfig]):
    """An encoder-decoder translation model (see the module docstring)."""

    kind = KIND
    config_class = Seq2SeqConfig

    def __init__(self, config: Seq2SeqConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.net: Seq2SeqNet | None = None
        self.src_vocab: Vocab | None = None
        self.tgt_vocab: Vocab | None = None
        self.provenance: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}
        self.data_report: dict[str, int] = {}

    # ------------------------------------------------------------------ training

    def fit(  # type: ignore[override]
        self,
        data: Any,
        valid: Any = None,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        log: Callable[[str], None] | None = print,
    ) -> Self:
        """Train on parallel text (see :func:`as_parallel`); ``valid`` is watched for early stopping and,
        with ``valid_bleu``, the epoch of best validation BLEU is the one kept."""
        c = self.config
        torch.manual_seed(c.train.seed)
        tok = c.make_tokenizer()
        text = as_parallel(data)
        src_tok, tgt_tok = tokenize_all(tok, text.src), tokenize_all(tok, text.tgt)
        self.src_vocab, self.tgt_vocab = build_vocabs(src_tok, tgt_tok, c.min_count, c.max_vocab, c.shared_vocab)
        pairs = encode_pairs(src_tok, tgt_tok, self.src_vocab, self.tgt_vocab, c.max_len, text.empty_skipped)
        if len(pairs) == 0:
            raise WordseqError(
                f"{text.source or 'the training data'}: no sentence pair left to train on ({pairs.report()})"
            )
        self.data_report = {"train_pairs": len(pairs), "too_long": pairs.too_long, "empty_skipped": pairs.empty_skipped}
        if log and dist.is_main():
            log(
                f"training data: {pairs.report()}; vocabularies: source {len(self.src_vocab):,}, target {len(self.tgt_vocab):,}"
            )
        valid_pairs = None
        bleu_fn = None
        if valid is not None:
            vtext = as_parallel(valid)
            vs, vt = tokenize_all(tok, vtext.src), tokenize_all(tok, vtext.tgt)
            valid_pairs = encode_pairs(vs, vt, self.src_vocab, self.tgt_vocab, 0, vtext.empty_skipped)
            if c.valid_bleu:
                kept = [vt[i] for i in valid_pairs.kept_index]
                src_lines = [vs[i] for i in valid_pairs.kept_index]

                def bleu_fn(net: nn.Module) -> float:
                    self.net = net  # type: ignore[assignment]
                    hyps = self._translate_tokens(src_lines, beam=1, batch_size=max(c.batch_size, 64))
                    return corpus_bleu([self._words(h[0].ids) for h in hyps], kept)

        self.net = build_net(c, len(self.src_vocab), len(self.tgt_vocab))
        task = Seq2SeqTask(c, pairs, valid_pairs, bleu_fn, log if dist.is_main() else None)
        meta = {"model": {k: v for k, v in c.to_dict().items() if k != "train"}, "src_vocab": len(self.src_vocab)}
        history = fit(
            self.net,
            task,
            c.train,
            checkpoint=Path(checkpoint) if checkpoint else None,
            resume=resume,
            meta=meta,
            log=log,
        )
        if task.best_state is not None:
            self.net.load_state_dict(task.best_state)
        self.net.eval()  # on the device it was trained on, as every estimator leaves its network
        self.history = []
        for e in history.to_list():
            entry = {
                "epoch": e["epoch"],
                "lr": e["lr"],
                "train_loss_nats": e["train_loss"],
                "valid_loss_nats": e["valid_loss"],
                "seconds": e["seconds"],
                "tokens_per_second": e["items_per_s"],
            }
            if e["epoch"] in task.bleu_by_epoch:
                entry["valid_bleu_pct"] = task.bleu_by_epoch[e["epoch"]]
            if c.early_stop == "bleu":
                entry["valid_loss_nats"] = None
            self.history.append(entry)
        if task.bleu_by_epoch:
            self.metrics["valid_bleu_pct"] = task.best_bleu
            self.metrics["best_epoch"] = max(task.bleu_by_epoch, key=lambda k: task.bleu_by_epoch[k])
        self.provenance = {"corpus": text.source, "history": self.history, **self.data_report}
        return self

    # ------------------------------------------------------------------ translation

    def _need(self) -> Seq2SeqNet:
        if self.net is None or self.src_vocab is None or self.tgt_vocab is None:
            raise WordseqError("the model is not trained: call fit() or load a model file")
        return self.net

    def _words(self, ids: Sequence[int]) -> list[str]:
        assert self.tgt_vocab is not None
        return [self.tgt_vocab.itos[i] for i in ids]

    def tokenize(self, sentences: Sequence[str]) -> list[list[str]]:
        """Source sentences as the model reads them (its tokenizer, lowercasing, length cap)."""
        tokens = tokenize_all(self.config.make_tokenizer(), list(sentences))
        for i, t in enumerate(tokens):
            if len(t) > MAX_SOURCE_TOKENS:
                warnings.warn(
                    f"sentence {i + 1} has {len(t):,} tokens; translating its first {MAX_SOURCE_TOKENS}", stacklevel=2
                )
                tokens[i] = t[:MAX_SOURCE_TOKENS]
        return tokens

    @torch.no_grad()
    def _translate_tokens(
        self,
        tokens: Sequence[Sequence[str]],
        beam: int = 5,
        alpha: float = 0.6,
        max_len_ratio: float = 2.0,
        batch_size: int = 64,
        nbest: int = 1,
        max_len: int = 200,
    ) -> list[list[Hypothesis]]:
        net = self._need()
        assert self.src_vocab is not None
        was = net.training
        net.eval()
        device = next(net.parameters()).device
        out: list[list[Hypothesis]] = [[] for _ in tokens]
        lengths = [max(len(t), 1) for t in tokens]
        for idx in bucket_batches(lengths, lengths, batch_size):
            seqs = [self.src_vocab.encode(tokens[i]).astype(np.int64) if tokens[i] else np.array([UNK_ID]) for i in idx]
            src, lens = pad(seqs)
            src_t, lens_t = torch.from_numpy(src).to(device), torch.from_numpy(lens)
            if beam == 1 and nbest == 1:
                hyps = [[h] for h in greedy(net, src_t, lens_t, max_len_ratio, max_len)]
            else:
                hyps = beam_search(net, src_t, lens_t, beam, alpha, max_len_ratio, max_len, nbest)
            for j, i in enumerate(idx):
                out[i] = hyps[j]
        net.train(was)
        return out

    def _output_tokens(self, hyp: Hypothesis, src_tokens: Sequence[str], replace_unk: bool) -> list[str]:
        words = self._words(hyp.ids)
        if replace_unk and hyp.attention is not None and src_tokens:
            words = [
                src_tokens[min(int(hyp.attention[t].argmax()), len(src_tokens) - 1)] if w == "<unk>" else w
                for t, w in enumerate(words)
            ]
        return words

    def translate(
        self,
        sentences: Sequence[str],
        beam: int = 5,
        alpha: float = 0.6,
        max_len_ratio: float = 2.0,
        batch_size: int = 64,
        replace_unk: bool = False,
        nbest: int = 1,
        tokenized: bool = False,
    ) -> list[str] | list[list[tuple[str, float]]]:
        """Translations of ``sentences`` (detokenized; ``tokenized`` gives space-separated tokens). With
        ``nbest > 1``, each sentence's ``nbest`` best as ``(translation, log-probability)`` pairs.
        ``replace_unk`` replaces each ``<unk>`` output by the source word it attends to most."""
        src_tokens = self.tokenize(sentences)
        hyps = self._translate_tokens(src_tokens, beam, alpha, max_len_ratio, batch_size, nbest)
        join = " ".join if tokenized else detokenize
        if nbest > 1:
            return [
                [(join(self._output_tokens(h, s, replace_unk)), h.log_prob) for h in hs]
                for hs, s in zip(hyps, src_tokens)
            ]
        return [join(self._output_tokens(hs[0], s, replace_unk)) for hs, s in zip(hyps, src_tokens)]

    def attention(self, sentence: str, beam: int = 1) -> tuple[list[str], list[str], np.ndarray]:
        """Source tokens, output tokens (with ``</s>``) and the attention matrix ``(output, source)``."""
        if self.config.attention == "none":
            raise WordseqError("this model has no attention (it was trained with attention none)")
        tokens = self.tokenize([sentence])
        hyp = self._translate_tokens(tokens, beam=beam)[0][0]
        assert hyp.attention is not None
        return tokens[0], self._words(hyp.ids) + ["</s>"], hyp.attention.numpy()

    def score(self, src: Sequence[str], tgt: Sequence[str]) -> list[float]:
        """Log-probability (nats) of each target sentence given its source under the model."""
        self._need()
        assert self.src_vocab is not None and self.tgt_vocab is not None
        tok = self.config.make_tokenizer()
        s_ids = [self.src_vocab.encode(t).astype(np.int64) for t in tokenize_all(tok, list(src))]
        t_ids = [self.tgt_vocab.encode(t).astype(np.int64) for t in tokenize_all(tok, list(tgt))]
        return self.score_ids(s_ids, t_ids)

    @torch.no_grad()
    def score_ids(self, src: Sequence[np.ndarray], tgt: Sequence[np.ndarray]) -> list[float]:
        net = self._need()
        was = net.training
        net.eval()
        pairs = EncodedPairs(list(src), list(tgt))
        s, lens, t, _ = _batch_tensors(pairs, list(range(len(src))), next(net.parameters()).device)
        logp = torch.log_softmax(net(s, lens, t[:, :-1]).float(), -1)
        gold = t[:, 1:]
        token = logp.gather(2, gold.unsqueeze(2)).squeeze(2).masked_fill(gold == PAD_ID, 0.0)
        net.train(was)
        return token.sum(1).tolist()

    # ------------------------------------------------------------------ evaluation

    def evaluate(
        self,
        data: Any,
        beam: int = 5,
        alpha: float = 0.6,
        max_len_ratio: float = 2.0,
        batch_size: int = 64,
        replace_unk: bool = False,
        outputs: list[str] | None = None,
    ) -> TranslationScore:
        """BLEU (sacreBLEU and lowercased tokenized) and chrF of the model's translations of parallel text.
        ``outputs``, when given a list, receives the detokenized translations."""
        text = as_parallel(data)
        t0 = time.perf_counter()
        src_tokens = self.tokenize(text.src)
        hyps = self._translate_tokens(src_tokens, beam, alpha, max_len_ratio, batch_size)
        seconds = time.perf_counter() - t0
        out_tokens = [self._output_tokens(h[0], s, replace_unk) for h, s in zip(hyps, src_tokens)]
        ref_tokens = tokenize_all(Tokenizer(kind=self.config.tokenizer, lower=True), text.tgt)  # type: ignore[arg-type]
        tokenized = corpus_bleu([[w.lower() for w in h] for h in out_tokens], ref_tokens)
        detok = [detokenize(h) for h in out_tokens]
        if outputs is not None:
            outputs.extend(detok)
        sacre, signature, chrf = sacre_scores(detok, text.tgt, lowercase=self.config.lower)
        n = len(text.src)
        return TranslationScore(sacre, signature, tokenized, chrf, n, seconds, n / seconds if seconds > 0 else math.inf)

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike) -> Path:
        net = self._need()
        assert self.src_vocab is not None and self.tgt_vocab is not None
        tensors = weights_for_file(net)
        return save_model(
            path,
            ModelFile(
                KIND,
                self.config.to_dict(),
                tensors,
                {"src": self.src_vocab, "tgt": self.tgt_vocab},
                dict(self.provenance),
                {"metrics": self.metrics},
            ),
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        mf = load_model(path, KIND)
        try:
            config = Seq2SeqConfig.from_dict(mf.config)
        except WordseqError as e:
            raise InputError(path, f"bad model configuration ({e})") from None
        model = cls(config)
        model.src_vocab = Vocab.from_stored(mf.vocabs["src"])
        model.tgt_vocab = Vocab.from_stored(mf.vocabs["tgt"])
        net = build_net(config, len(model.src_vocab), len(model.tgt_vocab))
        load_weights(net, dict(mf.tensors), path)
        model.net = net.eval()
        model.provenance = dict(mf.provenance)
        model.history = list(mf.provenance.get("history", []))
        model.metrics = dict(mf.extra.get("metrics", {}))
        return model

    def summary(self) -> ModelSummary:
        layers = []
        if self.net is not None:
            seen: set[int] = set()
            for name, child in self.net.named_children():
                params = [p for p in child.parameters() if id(p) not in seen]
                seen.update(id(p) for p in params)
                layers.append(LayerInfo(name, type(child).__name__, "-", sum(p.numel() for p in params)))
        return ModelSummary(
            self.kind,
            self.config.to_dict(),
            vocab_size=len(self.tgt_vocab) if self.tgt_vocab is not None else None,
            layers=layers,
            provenance=dict(self.provenance),
            metrics=dict(self.metrics),
            extra={
                "source vocabulary": len(self.src_vocab) if self.src_vocab is not None else None,
                "target vocabulary": len(self.tgt_vocab) if self.tgt_vocab is not None else None,
            },
        )
