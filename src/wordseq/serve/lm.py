"""The language-model panel's operations, for n-gram and neural models alike: generation from a prompt
(temperature, top-k, top-p, or beam search), streamed one token at a time with the token's probability and
the most likely alternatives, and the per-token probabilities and perplexity of pasted text.

Both families are seen through :class:`LMView`: the tokens of a text, the next-token log-probabilities
(natural log) after a context, and how a context grows by one token. Probabilities reported are the
model's own (temperature 1, no top-k or top-p); the sampling settings change only which token is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wordseq.serve.limits import Limits
from wordseq.serve.requests import ApiError, Fields

ALTERNATIVES = 5
LN10 = math.log(10.0)


@dataclass
class Context:
    """A context the model has read: the log-probabilities of the next token, and the model's state."""

    logprobs: np.ndarray
    state: Any = None
    ids: list[int] = field(default_factory=list)


class LMView:
    """What the API needs of a language model; :class:`NgramView` and :class:`NeuralView` implement it."""

    itos: list[str]
    eos: int
    stops_at_eos: bool  # a sentence model ends at </s>; a neural model reads </s> as a line end and goes on
    banned: list[int]  # ids never generated (<s>, <pad>)

    def tokens(self, text: str) -> tuple[list[str], list[int]]:
        """The tokens of ``text`` as the model reads them (a line end as ``</s>``) and their ids."""
        raise NotImplementedError

    def start(self, ids: list[int]) -> Context:
        """The context after a sentence start and ``ids``."""
        raise NotImplementedError

    def advance(self, context: Context, token: int) -> Context:
        """The context after one more token."""
        raise NotImplementedError

    def score(self, ids: list[int]) -> np.ndarray:
        """log p (natural log) of each of ``ids`` then of ``</s>``, after a sentence start: ``(len(ids) + 1, V)``
        log-probability rows, one per predicted position."""
        context = self.start([])
        rows = []
        for token in ids:
            rows.append(context.logprobs)
            context = self.advance(context, token)
        rows.append(context.logprobs)
        return np.stack(rows)

    def piece(self, token: int, at_line_start: bool) -> str:
        """The text one generated token adds."""
        if token == self.eos:
            return "\n"
        return self.itos[token] if at_line_start else " " + self.itos[token]


class NgramView(LMView):
    """An n-gram model: the context is the token history since ``<s>``; each step is one
    :meth:`~wordseq.lm.ngram.model.NgramModel.distribution` (log10, converted to natural log)."""

    stops_at_eos = True

    def __init__(self, model: Any) -> None:
        from wordseq.lm.ngram.counts import special_ids

        if model.vocab is None:
            raise ApiError(422, "this n-gram model has no tables")
        self.model = model
        self.itos = list(model.vocab.itos)
        self.bos, self.eos, pad = special_ids(model.vocab)
        self.banned = [i for i in (self.bos, pad) if i >= 0]

    def tokens(self, text: str) -> tuple[list[str], list[int]]:
        words = self.model.tokenizer(text)
        return words, [int(i) for i in self.model.encode(words)]

    def _logprobs(self, history: list[int]) -> np.ndarray:
        return np.asarray(self.model.distribution(history), dtype=np.float64) * LN10

    def start(self, ids: list[int]) -> Context:
        history = [self.bos, *ids]
        return Context(self._logprobs(history), None, history)

    def advance(self, context: Context, token: int) -> Context:
        history = [*context.ids, token]
        return Context(self._logprobs(history), None, history)

    def piece(self, token: int, at_line_start: bool) -> str:
        return "" if token == self.eos else super().piece(token, at_line_start)  # a sentence ends at </s>


class NeuralView(LMView):
    """A neural LM (recurrent or fixed-window): the context is the network's state after the tokens read,
    starting after a ``</s>`` as every training line did."""

    stops_at_eos = False

    def __init__(self, model: Any) -> None:
        from wordseq.lm.neural.generate import never_generated

        if model.network is None or model.vocab is None:
            raise ApiError(422, "this neural language model has no network")
        self.model = model
        self.net = model.network.eval()
        self.vocab = model.vocab
        self.itos = list(model.vocab.itos)
        self.eos = int(model.eos_id)
        self.banned = never_generated(model.vocab)
        self.level = model.config.level
        self.tokenizer = model.tokenizer

    def tokens(self, text: str) -> tuple[list[str], list[int]]:
        from wordseq.text.tokenize import NEWLINE
        from wordseq.text.vocab import EOS

        unk = self.vocab.unk_id
        names, ids = [], []
        for token in self.tokenizer.tokenize_block(text):
            if token == NEWLINE:
                names.append(EOS)
                ids.append(self.eos)
                continue
            i = self.vocab.stoi.get(token, unk)
            if i is None:
                raise ApiError(422, f"the token {token!r} is not in the model's vocabulary, which has no <unk>")
            names.append(token)
            ids.append(int(i))
        return names, ids

    def _run(self, ids: list[int], state: Any) -> tuple[np.ndarray, Any]:
        import torch

        with torch.no_grad():
            device = next(self.net.parameters()).device
            if state is None:
                state = self.net.init_state(1, device)
            logits, state = self.net(torch.tensor([ids], dtype=torch.long, device=device), state)
            logp = torch.log_softmax(logits[0].float(), dim=-1).cpu().numpy().astype(np.float64)
        return logp, state

    def start(self, ids: list[int]) -> Context:
        logp, state = self._run([self.eos, *ids], None)
        return Context(logp[-1], state, [*ids])

    def advance(self, context: Context, token: int) -> Context:
        logp, state = self._run([token], context.state)
        return Context(logp[-1], state, [*context.ids, token])

    def score(self, ids: list[int]) -> np.ndarray:
        logp, _ = self._run([self.eos, *ids], None)  # one pass: row t predicts ids[t], the last row </s>
        return logp

    def piece(self, token: int, at_line_start: bool) -> str:
        if self.level == "char":
            return "\n" if token == self.eos else self.itos[token]
        return super().piece(token, at_line_start)


def view_of(model: Any) -> LMView:
    """The :class:`LMView` of an n-gram or neural language model."""
    if hasattr(model, "distribution") and hasattr(model, "order"):
        return NgramView(model)
    return NeuralView(model)


# -- sampling ---------------------------------------------------------------------------------------


def sampling_probs(logprobs: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """The distribution a token is drawn from: ``softmax(logprobs / temperature)`` limited to the ``top_k``
    most likely tokens (0: all), then to the nucleus of mass ``top_p``; ``temperature = 0`` is the argmax."""
    finite = np.isfinite(logprobs)
    if not finite.any():
        raise ApiError(422, "the model gives every token probability 0 after this context")
    if temperature == 0.0:
        p = np.zeros_like(logprobs)
        p[int(np.argmax(np.where(finite, logprobs, -np.inf)))] = 1.0
        return p
    z = np.where(finite, logprobs / temperature, -np.inf)
    z = z - z.max()
    p = np.exp(z)
    candidates = np.flatnonzero(p > 0)  # the tokens still in the running, in no particular order
    if 0 < top_k < len(candidates):
        candidates = candidates[np.argpartition(-p[candidates], top_k - 1)[:top_k]]
    if top_p < 1.0:
        candidates = candidates[np.argsort(-p[candidates], kind="stable")]
        cumulative = np.cumsum(p[candidates]) / p[candidates].sum()
        n = int(np.searchsorted(cumulative, top_p - 1e-12)) + 1  # the smallest prefix with mass >= top_p
        candidates = candidates[:n]
    out = np.zeros_like(p)
    out[candidates] = p[candidates]
    return out / out.sum()


def alternatives(view: LMView, logprobs: np.ndarray, n: int = ALTERNATIVES) -> list[dict[str, Any]]:
    """The ``n`` most likely next tokens with their probabilities."""
    n = min(n, len(logprobs))
    best = np.argpartition(-logprobs, n - 1)[:n]
    best = best[np.argsort(-logprobs[best], kind="stable")]
    return [{"token": view.itos[i], "prob": float(math.exp(logprobs[i]))} for i in best.tolist()]


def _token_event(view: LMView, logprobs: np.ndarray, token: int, piece: str) -> dict[str, Any]:
    return {
        "token": view.itos[token],
        "text": piece,
        "prob": float(math.exp(logprobs[token])),
        "alternatives": alternatives(view, logprobs),
    }


@dataclass
class GenerationSettings:
    prompt: str
    max_tokens: int
    temperature: float
    top_k: int
    top_p: float
    beam: int
    seed: int | None


def generation_settings(body: Fields, limits: Limits) -> GenerationSettings:
    """The generation fields, checked (422 naming the field; more than ``max_tokens`` tokens is refused)."""
    return GenerationSettings(
        prompt=body.text("prompt", ""),
        max_tokens=body.integer("max_tokens", min(50, limits.max_tokens), lo=1, hi=limits.max_tokens),
        temperature=body.number("temperature", 1.0, lo=0.0, hi=100.0),
        top_k=body.integer("top_k", 0, lo=0),
        top_p=body.number("top_p", 1.0, lo=0.0, hi=1.0, lo_open=True),
        beam=body.integer("beam", 1, lo=1, hi=limits.max_beam),
        seed=body.optional_integer("seed"),
    )


def generation(model: Any, body: Fields, limits: Limits) -> Iterator[dict[str, Any]]:
    """Check the request, then return an iterator of the stream's events: one per generated token, then
    ``{"done": true, "text", "tokens"}``. Each ``next()`` does one step's work (the caller runs it in the
    thread pool, holding the model's lock only for that step)."""
    settings = generation_settings(body, limits)
    view = view_of(model)
    _, prompt_ids = view.tokens(settings.prompt)
    if len(prompt_ids) > limits.max_text_tokens:
        raise ApiError(422, f"the prompt has {len(prompt_ids)} tokens; the limit is {limits.max_text_tokens}")
    if settings.beam > 1:
        return _beam_events(view, prompt_ids, settings)
    return _sample_events(view, prompt_ids, settings)


def _at_line_start(prompt: str) -> bool:
    return not prompt or prompt[-1].isspace()


def _sample_events(view: LMView, prompt_ids: list[int], s: GenerationSettings) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(s.seed)
    context = view.start(prompt_ids)
    at_start = _at_line_start(s.prompt)
    text, n = s.prompt, 0
    for n in range(1, s.max_tokens + 1):
        logprobs = context.logprobs.copy()
        logprobs[view.banned] = -np.inf
        p = sampling_probs(logprobs, s.temperature, s.top_k, s.top_p)
        token = int(rng.choice(len(p), p=p)) if s.temperature > 0 else int(np.argmax(p))
        piece = view.piece(token, at_start)
        at_start = token == view.eos
        text += piece
        yield _token_event(view, context.logprobs, token, piece)
        if token == view.eos and view.stops_at_eos:
            break
        if n < s.max_tokens:
            context = view.advance(context, token)
    yield {"done": True, "text": text, "tokens": n}


@dataclass
class _Hyp:
    logprob: float
    tokens: list[int]
    events: list[dict[str, Any]]
    context: Context
    done: bool = False

    def normalized(self) -> float:
        return self.logprob / max(1, len(self.tokens))


def _beam_events(view: LMView, prompt_ids: list[int], s: GenerationSettings) -> Iterator[dict[str, Any]]:
    """Beam search for the sequence of highest mean log-probability per token (it ends at ``</s>`` or after
    ``max_tokens``); then its tokens are streamed like sampled ones."""
    live = [_Hyp(0.0, [], [], view.start(prompt_ids))]
    done: list[_Hyp] = []
    for step in range(s.max_tokens):
        candidates: list[tuple[float, _Hyp, int]] = []
        for hyp in live:
            logprobs = hyp.context.logprobs.copy()
            logprobs[view.banned] = -np.inf
            k = min(s.beam, int(np.isfinite(logprobs).sum()))
            if k == 0:
                continue
            best = np.argpartition(-logprobs, k - 1)[:k]
            candidates += [(hyp.logprob + float(logprobs[t]), hyp, int(t)) for t in best.tolist()]
        candidates.sort(key=lambda c: -c[0])
        live = []
        for total, hyp, token in candidates[: s.beam]:
            event = _token_event(view, hyp.context.logprobs, token, "")
            new = _Hyp(total, [*hyp.tokens, token], [*hyp.events, event], hyp.context)
            if token == view.eos:
                new.done = True
                done.append(new)
            elif step < s.max_tokens - 1:
                new.context = view.advance(hyp.context, token)
                live.append(new)
            else:
                done.append(new)
        if not live:
            break
    if not done:
        raise ApiError(422, "the model gives every token probability 0 after this prompt")
    best_hyp = max(done, key=_Hyp.normalized)
    at_start = _at_line_start(s.prompt)
    text = s.prompt
    for token, event in zip(best_hyp.tokens, best_hyp.events):
        event["text"] = view.piece(token, at_start)
        at_start = token == view.eos
        text += event["text"]
        yield event
    yield {"done": True, "text": text, "tokens": len(best_hyp.tokens)}


# -- scoring ----------------------------------------------------------------------------------------


def score(model: Any, body: Fields, limits: Limits) -> dict[str, Any]:
    """Each token's probability and the likeliest alternatives, and the text's perplexity (``</s>`` at the
    end counted as a predicted token, as in training)."""
    text = body.text("text", nonempty=True)
    view = view_of(model)
    names, ids = view.tokens(text)
    if len(ids) > limits.max_text_tokens:
        raise ApiError(422, f"the text has {len(ids)} tokens; the limit is {limits.max_text_tokens}")
    rows = view.score(ids)
    tokens = []
    nats = 0.0
    for name, token, logprobs in zip([*names, view.itos[view.eos]], [*ids, view.eos], rows):
        lp = float(logprobs[token])
        nats -= lp
        tokens.append({"token": name, "prob": math.exp(lp), "alternatives": alternatives(view, logprobs)})
    n = len(tokens)
    return {
        "tokens": tokens,
        "nats": nats,
        "nats_per_token": nats / n,
        "perplexity": math.exp(nats / n) if math.isfinite(nats) and nats / n < 700 else math.inf,
        "tokens_scored": n,
    }


HANDLERS = {"score": score}
