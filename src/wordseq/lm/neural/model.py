"""The neural language model as an estimator: :class:`NeuralLM` (kind ``"neural-lm"``).

    lm = NeuralLM(model="lstm", embed=200, hidden=200, train=TrainConfig(epochs=10))  # or NeuralLM(config)
    lm.fit("train.txt", valid="valid.txt")     # through wordseq.train.fit; lm.history: one dict per epoch
    lm.evaluate("test.txt")                    # an LMScore: loss_nats, perplexity, bits_per_token, ...
    lm.generate("the king", max_tokens=20)     # a list of texts
    lm.save("lm.wsq"); NeuralLM.load("lm.wsq")

The network is an :class:`~wordseq.lm.neural.rnn.RNNLM` or a :class:`~wordseq.lm.neural.window.WindowLM`,
made by :func:`build_network` from the config's architecture fields and the vocabulary size. The model file
holds the config (so the same network is rebuilt, and text is read the way the training text was), the
vocabulary and the weights.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import nn

from wordseq.errors import InputError, WordseqError
from wordseq.estimator import Estimator, ModelSummary
from wordseq.io.modelfile import ModelFile, load_model, save_model
from wordseq.lm.neural.config import NeuralLMConfig
from wordseq.lm.neural.data import LMCorpus, check_length, check_level, encode_with, load_corpora
from wordseq.lm.neural.generate import (
    Detokenizer,
    beam_search,
    check_sampling,
    encode_prompt,
    never_generated,
    sample_ids,
)
from wordseq.lm.neural.rnn import RNNLM, set_bf16_output
from wordseq.lm.neural.task import LMTask, evaluate_lm, plain
from wordseq.lm.neural.window import WindowLM
from wordseq.lm.scores import LMScore
from wordseq.nn.summary import module_layers
from wordseq.nn.weights import load_weights, weights_for_file
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import EOS, Vocab
from wordseq.train import distributed as dist
from wordseq.train.loop import History, fit

KIND = "neural-lm"
Text = str | os.PathLike | Sequence[str | os.PathLike]


def build_network(config: NeuralLMConfig, vocab_size: int) -> nn.Module:
    """The network a config describes, for a vocabulary of ``vocab_size`` tokens (freshly initialized)."""
    if config.model == "window":
        return WindowLM(vocab_size, config)
    return RNNLM(vocab_size, config)


def _ids(data: Any) -> np.ndarray | None:
    """The token ids of an in-memory corpus (an ``Encoded`` corpus or an array of ids), else None."""
    if hasattr(data, "ids") and hasattr(data, "vocab"):
        return np.asarray(data.ids, dtype=np.int64)
    if isinstance(data, np.ndarray | torch.Tensor) or (isinstance(data, list) and data and isinstance(data[0], int)):
        return np.asarray(data, dtype=np.int64)
    return None


class NeuralLM(Estimator[NeuralLMConfig]):
    """A neural language model over words or characters: recurrent (LSTM, GRU, Elman, variants) or
    fixed-window. See the module docstring for the whole interface."""

    kind: ClassVar[str] = KIND
    config_class: ClassVar[type[NeuralLMConfig]] = NeuralLMConfig

    def __init__(self, config: NeuralLMConfig | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.network: nn.Module | None = None  # the torch module, once fitted or loaded
        self.vocab: Vocab | None = None
        self.provenance: dict[str, Any] = {}
        self.stopped = ""  # why the last fit stopped before its last epoch ("" if it ran them all)

    # ------------------------------------------------------------------ reading text

    @property
    def tokenizer(self) -> Tokenizer:
        """How this model reads text (the training text's way)."""
        return Tokenizer(**self.config.tokenizer_settings())  # type: ignore[arg-type]

    @property
    def eos_id(self) -> int:
        return self._vocab().stoi[EOS]

    def _vocab(self) -> Vocab:
        if self.vocab is None or self.network is None:
            raise WordseqError("this NeuralLM has not been trained or loaded yet (call fit or NeuralLM.load)")
        return self.vocab

    def _net(self) -> nn.Module:
        self._vocab()
        assert self.network is not None
        return self.network

    def _encode(self, data: Any) -> np.ndarray:
        """Ids of held-out text read with this model's tokenizer and vocabulary (checked to be of its level)."""
        return _read(data, self.tokenizer, self._vocab(), self.config.level)

    # ------------------------------------------------------------------ training

    def _corpus(self, data: Any, valid: Any) -> LMCorpus:
        c = self.config
        ids = _ids(data)
        if ids is None:
            valid_path = valid if valid is None or _ids(valid) is None else None
            corpus = load_corpora(data, valid_path, None, c.level, self.tokenizer, c.min_count, c.max_vocab)
        else:
            if not hasattr(data, "vocab"):
                raise WordseqError("training ids need their vocabulary: pass an Encoded corpus (ids and vocab)")
            corpus = LMCorpus(c.level, self.tokenizer, data.vocab, ids)
            corpus.paths["train"] = "(in memory)"
            corpus.fingerprints["train"] = getattr(data, "corpus_hash", None)
        if valid is not None and corpus.valid is None:
            corpus.valid = _read(valid, corpus.tokenizer, corpus.vocab, c.level)
        return corpus

    def fit(  # type: ignore[override]  # named options instead of **kwargs
        self,
        data: Any,
        valid: Any = None,
        *,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> Self:
        """Train a fresh network on ``data`` (a path, paths, a directory or glob, or an ``Encoded`` corpus),
        watching ``valid`` (the same forms, or ids) for the schedule and early stopping, with truncated BPTT
        through :func:`wordseq.train.fit`. ``checkpoint``: written after every epoch; ``resume=True``
        continues from it exactly. ``log`` receives one line per epoch (None: quiet). Returns the model."""
        c = self.config
        corpus = self._corpus(data, valid)
        check_length(corpus.paths.get("train", "train"), len(corpus.train), c.batch_size, c.bptt)
        torch.manual_seed(c.train.seed)
        network = build_network(c, len(corpus.vocab))
        set_bf16_output(network, c.train.bf16)
        if log is not None and dist.is_main():
            n_params = sum(p.numel() for p in network.parameters())
            log(
                f"{c.model} LM, {n_params:,} parameters, vocabulary {len(corpus.vocab):,} ({c.level}s), "
                f"{len(corpus.train):,} training tokens, {'bfloat16 products' if c.train.bf16 else 'float32'}"
            )
        task = LMTask(
            corpus.train,
            corpus.valid,
            None,
            c.batch_size,
            c.bptt,
            c.eval_batch_size,
            eos_id=corpus.eos_id,
            level=c.level,
            device=c.train.device,
        )
        recipe = {k: v for k, v in c.to_dict().items() if k != "train"}
        meta = {
            **{f"config.{k}": v for k, v in recipe.items()},
            "train_data": corpus.fingerprints.get("train"),
            "world_size": dist.world_size(),
        }
        ckpt = None if checkpoint is None else Path(checkpoint)
        history: History = fit(network, task, c.train, checkpoint=ckpt, resume=resume, meta=meta, log=log)
        network.eval()
        self.network, self.vocab = network, corpus.vocab
        self.history = history.records()
        self.stopped = history.stopped
        self.provenance = {
            "corpus": corpus.paths,
            "corpus_digest": corpus.fingerprints.get("train"),
            "history": self.history,
            "stopped": history.stopped,
            "precision": "bfloat16 products, float32 weights" if c.train.bf16 else "float32",
        }
        return self

    # ------------------------------------------------------------------ scoring and writing

    def evaluate(self, data: Any, *, batch_size: int | None = None, bptt: int | None = None) -> LMScore:
        """Score held-out text (a path, paths, or ids): loss in nats per predicted token, every token counted
        (the first after an implied ``</s>``), the state carried across windows. ``batch_size``/``bptt``
        default to the config's ``eval_batch_size``/``bptt``; they change the result only slightly."""
        net, vocab = self._net(), self._vocab()
        ids = self._encode(data)
        device = next(net.parameters()).device
        batch = self.config.eval_batch_size if batch_size is None else batch_size
        loss, n = evaluate_lm(net, ids, batch, bptt or self.config.bptt, self.eos_id, device)
        oov = int(np.count_nonzero(ids == vocab.unk_id)) if vocab.unk_id is not None else 0
        lines = int(np.count_nonzero(ids == self.eos_id))
        return LMScore(loss, n, sentences=lines, oov=oov, level=self.config.level)

    def generate(
        self,
        prompt: str = "",
        max_tokens: int = 60,
        *,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        beam: int = 0,
        length_penalty: float = 1.0,
        num_samples: int = 1,
        stop_at_eos: bool = False,
        no_unk: bool = False,
        seed: int = 0,
    ) -> list[str]:
        """``num_samples`` continuations of ``prompt``, each returned with the prompt in front: sampled
        (``temperature``, then ``top_k``, then ``top_p``; ``temperature=0`` is greedy) or, with ``beam`` > 0,
        the best hypotheses of a beam search up to the end of the line. ``no_unk`` never writes ``<unk>``."""
        net, vocab = self._net(), self._vocab()
        check_sampling(temperature, top_k, top_p)
        if num_samples < 1 or max_tokens < 1:
            raise WordseqError(f"need num_samples >= 1 and max_tokens >= 1, got {num_samples} and {max_tokens}")
        ids = encode_prompt(prompt, self.tokenizer, vocab).ids
        banned = never_generated(vocab, no_unk=no_unk)
        at_start = not prompt or prompt[-1].isspace()

        def text(tokens: Sequence[int]) -> str:
            return prompt + Detokenizer(vocab, self.config.level, at_line_start=at_start).text(tokens)

        if beam:
            hyps = beam_search(
                net,
                ids,
                max_tokens,
                beam,
                length_penalty=length_penalty,
                n_best=num_samples,
                eos_id=self.eos_id,
                banned_ids=banned,
            )
            return [text(h.tokens) for h in hyps]
        generator = torch.Generator().manual_seed(seed)
        texts = []
        for _ in range(num_samples):
            tokens = sample_ids(
                net, ids, max_tokens, temperature=temperature, top_k=top_k, top_p=top_p, stop_at_eos=stop_at_eos,
                eos_id=self.eos_id, banned_ids=banned, generator=generator,
            )  # fmt: skip
            texts.append(text(list(tokens)))
        return texts

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model file (kind ``neural-lm``) atomically: config, vocabulary, weights, provenance."""
        net, vocab = self._net(), self._vocab()
        tensors = weights_for_file(plain(net))
        return save_model(path, ModelFile(KIND, self.config.to_dict(), tensors, {"vocab": vocab}, self.provenance))

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | torch.device = "cpu") -> Self:
        """Read a model file written by :meth:`save` (or by wordseq 0.x's ``lm train``); the network is on
        ``device`` and in eval mode."""
        mf = load_model(path, KIND)
        config = _config_from_file(path, mf.config, list(mf.tensors))
        vocab = Vocab.from_stored(mf.vocab)
        network = build_network(config, len(vocab))
        load_weights(network, dict(mf.tensors), path)
        model = cls(config)
        model.network, model.vocab, model.provenance = network.to(device).eval(), vocab, dict(mf.provenance)
        model.history = list(mf.provenance.get("history", []))
        return model

    def summary(self) -> ModelSummary:
        """Kind, configuration, the network's layers (output shapes for one stream of ``bptt`` tokens) and
        parameter counts, provenance and the last epoch's figures."""
        net, vocab = self._net(), self._vocab()
        device = next(net.parameters()).device
        example = torch.zeros(1, self.config.bptt, dtype=torch.long, device=device)
        layers = module_layers(net, (example,))
        last = self.history[-1] if self.history else {}
        metrics = {k: v for k, v in last.items() if "loss" in k or "perplexity" in k or "bits" in k}
        provenance = {k: v for k, v in self.provenance.items() if k != "history"}
        return ModelSummary(KIND, self.config.to_dict(), len(vocab), layers, provenance, metrics)


def _read(data: Any, tokenizer: Tokenizer, vocab: Vocab, level: str) -> np.ndarray:
    """The ids of ``data``: given as ids (or an ``Encoded`` corpus), or read from a path with ``tokenizer`` and
    ``vocab`` (unknown tokens become ``<unk>``) and checked to look like text of the model's ``level``."""
    ids = _ids(data)
    if ids is not None:
        return ids
    ids, _ = encode_with(data, tokenizer, vocab)
    check_level(data if isinstance(data, str | os.PathLike) else "text", ids, vocab, level)
    return ids


def _config_from_file(path: str | os.PathLike, stored: dict[str, Any], tensors: Sequence[str]) -> NeuralLMConfig:
    """The config of a model file; files of wordseq 0.x (``{"model": {...}, "tokenizer": {...}, "level": ...}``)
    are read too."""
    if isinstance(stored.get("model"), dict):  # the earlier layout
        try:
            old = dict(stored["model"])
            old.pop("vocab_size", None)
            tok = dict(stored.get("tokenizer", {}))
            level = stored["level"]
            kind = tok.pop("kind", "whitespace")
            stored = {**old, **tok, "level": level, "tokenizer": "whitespace" if kind == "char" else kind}
            if old.get("model") == "window" and "direct.weight" in tensors:  # 0.x wrote direct, but lost it
                stored["direct"] = True
        except (KeyError, TypeError) as e:
            raise InputError(path, f"incomplete neural model config ({e})") from None
    try:
        return NeuralLMConfig.from_dict(stored)
    except (TypeError, WordseqError) as e:
        raise InputError(path, f"bad neural model config: {e}") from None
