"""Text generation from any neural LM: greedy decoding, sampling (temperature, top-k, top-p) and beam search.

The functions take a model with the common interface (``init_state(batch_size, device)`` and
``forward(ids (B, T), state) -> (logits (B, T, V), state)``), token ids and plain settings, never a file.

* **Sampling** (:func:`sample_ids`) draws each token from ``softmax(logits / temperature)``, optionally limited to
  the ``top_k`` most likely tokens and then to the nucleus: the smallest set of most likely tokens whose
  probability adds up to at least ``top_p`` (Holtzman et al. 2020). The order is that of Hugging Face's
  ``generate``: temperature, then top-k, then top-p. ``temperature=0`` is greedy decoding (the argmax, ties
  to the lowest id). Tokens are yielded one at a time as they are produced, so a caller can print them at once.
  Each draw inverts the cumulative distribution with one uniform number from a seeded ``torch.Generator``
  on the CPU (faster than ``torch.multinomial`` for one draw), so a seed gives the same random numbers on
  any device (the text can still differ where a device computes slightly different logits).
* **Beam search** (:func:`beam_search`) keeps the ``beam`` most probable partial sequences. At every step it
  extends each live hypothesis by every token and keeps the ``beam`` best extensions; an extension that ends
  with ``</s>`` is complete and leaves the beam, which shrinks (so a beam of 1 is exactly greedy decoding).
  Complete hypotheses, and those still live after ``max_tokens``, are ranked by their log-probability divided
  by ``length ** length_penalty`` (``0``: the plain probability, which favours short outputs; ``1``: the mean
  log-probability per token). The search stops early once no live hypothesis can still beat the ``n_best``
  complete ones.

The prompt is read after a ``</s>``, so the model starts as it started every line in training.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import Tensor, nn

from wordseq.errors import WordseqError
from wordseq.text.tokenize import NEWLINE, Tokenizer
from wordseq.text.vocab import BOS, EOS, PAD, UNK, Vocab

# -- the next-token distribution --------------------------------------------------------------------


def check_sampling(temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> None:
    """Refuse settings that define no distribution, with a message naming the option."""
    if not (temperature >= 0.0 and math.isfinite(temperature)):
        raise WordseqError(f"temperature must be a finite number >= 0, got {temperature}")
    if top_k < 0:
        raise WordseqError(f"top-k must be >= 0 (0: no limit), got {top_k}")
    if not 0.0 < top_p <= 1.0:
        raise WordseqError(f"top-p must be in (0, 1], got {top_p}")


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Logits with all but the ``k`` largest of each row set to ``-inf`` (``k = 0``: unchanged).

    Exactly ``k`` survive in each row (ties at the boundary are broken arbitrarily).
    """
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    keep = torch.topk(logits, k, dim=-1, sorted=False).indices
    mask = torch.ones_like(logits, dtype=torch.bool).scatter_(-1, keep, False)
    return logits.masked_fill(mask, -math.inf)


def _nucleus_drop(sorted_probs: Tensor, p: float) -> Tensor:
    """For probabilities sorted in falling order: which lie outside the nucleus of mass ``p``. A token is in
    the nucleus when the mass of the tokens before it is still short of ``p``."""
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    drop = mass_before >= p
    drop[..., 0] = False
    return drop


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Logits outside each row's nucleus set to ``-inf``: the nucleus is the smallest set of most likely
    tokens whose total probability is at least ``p`` (the single most likely token at the least)."""
    if p >= 1.0:
        return logits
    sorted_probs, order = torch.sort(torch.softmax(logits, dim=-1), dim=-1, descending=True, stable=True)
    drop = torch.zeros_like(sorted_probs, dtype=torch.bool).scatter_(-1, order, _nucleus_drop(sorted_probs, p))
    return logits.masked_fill(drop, -math.inf)


def next_token_probs(logits: Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> Tensor:
    """The distribution sampling draws from, for logits ``(..., V)``: temperature, then top-k, then top-p.

    ``temperature = 0`` gives all the mass to the argmax.
    """
    check_sampling(temperature, top_k, top_p)
    return _probs(logits.float(), temperature, top_k, top_p)


def _probs(logits: Tensor, temperature: float, top_k: int, top_p: float) -> Tensor:
    if temperature == 0.0:
        return torch.zeros_like(logits).scatter_(-1, logits.argmax(-1, keepdim=True), 1.0)
    if temperature != 1.0:
        logits = logits / temperature
    V = logits.shape[-1]
    if 0 < top_k < V:
        # The nucleus of the top k needs only the k survivors sorted, not the whole vocabulary.
        values, index = torch.topk(logits, top_k, dim=-1, sorted=True)
        probs = torch.softmax(values, dim=-1)
    elif top_p < 1.0:
        # The nucleus is usually a small part of the vocabulary: sort the k most likely tokens, k growing
        # until they hold mass p (a full sort of 10,000 probabilities costs ten times more).
        all_probs = torch.softmax(logits, dim=-1)
        k = min(64, V)
        while True:
            probs, index = torch.topk(all_probs, k, dim=-1, sorted=True)
            if k == V or bool((probs.sum(-1) >= top_p).all()):
                break
            k = min(4 * k, V)
    else:
        return torch.softmax(logits, dim=-1)
    if top_p < 1.0:
        probs = probs.masked_fill(_nucleus_drop(probs, top_p), 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return torch.zeros_like(logits).scatter_(-1, index, probs)


def draw(probs: Tensor, generator: torch.Generator | None = None) -> int:
    """One token id drawn from ``probs`` (1-D, non-negative, summing to anything positive) by inverting the
    cumulative distribution: one uniform number and a binary search. For one draw from a large vocabulary
    this is some 20 times faster than ``torch.multinomial`` on a CPU; zero-probability tokens are never drawn.
    """
    cdf = torch.cumsum(probs, dim=0, dtype=torch.float64)
    u = torch.rand((), generator=generator, dtype=torch.float64) * cdf[-1]
    return min(int(torch.searchsorted(cdf, u, right=True)), len(cdf) - 1)


# -- sampling ---------------------------------------------------------------------------------------


def _prime(model: nn.Module, prompt: Sequence[int], eos_id: int | None, device) -> tuple[Tensor, object]:
    """Feed ``</s>`` and the prompt; return the logits for the first new token and the state after it."""
    ids = ([eos_id] if eos_id is not None else []) + [int(i) for i in prompt]
    if not ids:
        raise WordseqError("nothing to start from: an empty prompt and no </s> token")
    state = cast(Any, model).init_state(1, device)
    logits, state = model(torch.tensor([ids], dtype=torch.long, device=device), state)
    return logits[0, -1], state


@contextmanager
def _eval_mode(model: nn.Module):
    """The model in eval mode (no dropout) for the duration, then back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _model_device(model: nn.Module):
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def sample_ids(
    model: nn.Module,
    prompt: Sequence[int],
    max_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    eos_id: int | None = 3,
    stop_at_eos: bool = False,
    banned_ids: Iterable[int] = (),
    generator: torch.Generator | None = None,
    seed: int | None = None,
) -> Iterator[int]:
    """Yield up to ``max_tokens`` new token ids continuing ``prompt``, each as soon as it is drawn.

    ``temperature = 0`` is greedy decoding. ``banned_ids`` are never produced (``<pad>``, ``<s>``: tokens a
    model never had to predict). With ``stop_at_eos`` generation ends after the first ``</s>`` (yielded).
    Randomness comes from ``generator``, or a fresh CPU generator seeded with ``seed`` (``None``: from torch's
    global RNG). ``eos_id`` is read before the prompt (``None``: nothing is).
    """
    check_sampling(temperature, top_k, top_p)
    if max_tokens < 0:
        raise WordseqError(f"the number of tokens to generate must be >= 0, got {max_tokens}")
    if generator is None:
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(seed)
        else:
            generator.seed()
    with _eval_mode(model):
        device = _model_device(model)
        banned = sorted(set(int(i) for i in banned_ids))
        logits, state = _prime(model, prompt, eos_id, device)
        for n in range(max_tokens):
            logits = logits.float().cpu()
            if banned:
                logits = logits.clone()
                logits[banned] = -math.inf
            if temperature == 0.0:
                token = int(logits.argmax())
            else:
                token = draw(_probs(logits, temperature, top_k, top_p), generator)
            yield token
            if (stop_at_eos and token == eos_id) or n == max_tokens - 1:
                return
            out, state = model(torch.tensor([[token]], dtype=torch.long, device=device), state)
            logits = out[0, -1]


def greedy_ids(model: nn.Module, prompt: Sequence[int], max_tokens: int, **kwargs) -> Iterator[int]:
    """Greedy decoding: the most likely token at every step (:func:`sample_ids` with ``temperature=0``)."""
    return sample_ids(model, prompt, max_tokens, temperature=0.0, **kwargs)


# -- beam search ------------------------------------------------------------------------------------


@dataclass
class Hypothesis:
    """A generated sequence: its ``tokens`` (ending with ``</s>`` when ``complete``), its total
    log-probability ``logprob`` and its ranking ``score`` (``logprob / len(tokens) ** length_penalty``)."""

    tokens: list[int]
    logprob: float
    score: float
    complete: bool


def _batch_dims(model: nn.Module, device):
    """The batch dimension of each tensor in the model's state, found by comparing fresh states of one and
    of two streams (dim 0 for the window model's ``(B, context)`` ids, dim 1 for the RNNs' ``(L, B, H)``)."""

    def walk(one, two):
        if one is None:
            return None
        if isinstance(one, Tensor):
            differ = [d for d in range(one.dim()) if one.shape[d] != two.shape[d]]
            if len(differ) != 1:
                raise WordseqError(f"cannot tell the batch dimension of a state of shape {tuple(one.shape)}")
            return differ[0]
        if isinstance(one, dict):
            return {k: walk(one[k], two[k]) for k in one}
        return type(one)(walk(a, b) for a, b in zip(one, two))

    lm = cast(Any, model)
    return walk(lm.init_state(1, device), lm.init_state(2, device))


def _select_rows(state, dims, index: Tensor):
    """The streams ``index`` of a state (a pytree of tensors), each along its batch dimension."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.index_select(dims, index)
    if isinstance(state, dict):
        return {k: _select_rows(state[k], dims[k], index) for k in state}
    return type(state)(_select_rows(s, d, index) for s, d in zip(state, dims))


@torch.no_grad()
def beam_search(
    model: nn.Module,
    prompt: Sequence[int],
    max_tokens: int,
    beam: int = 5,
    *,
    length_penalty: float = 1.0,
    n_best: int = 1,
    eos_id: int = 3,
    banned_ids: Iterable[int] = (),
) -> list[Hypothesis]:
    """The ``n_best`` best continuations of ``prompt`` found with a beam of width ``beam``, best first.

    A hypothesis ends at ``</s>`` or after ``max_tokens`` tokens. See the module docstring for the method.
    """
    if beam < 1:
        raise WordseqError(f"the beam width must be at least 1, got {beam}")
    if not 1 <= n_best <= beam:
        raise WordseqError(f"the number of outputs must be between 1 and the beam width {beam}, got {n_best}")
    if max_tokens < 1:
        raise WordseqError(f"the number of tokens to generate must be >= 1, got {max_tokens}")
    if not (length_penalty >= 0.0 and math.isfinite(length_penalty)):
        raise WordseqError(f"the length penalty must be a finite number >= 0, got {length_penalty}")
    with _eval_mode(model):
        return _beam_search(model, prompt, max_tokens, beam, length_penalty, n_best, eos_id, banned_ids)


def _beam_search(model, prompt, max_tokens, beam, length_penalty, n_best, eos_id, banned_ids) -> list[Hypothesis]:
    device = _model_device(model)
    banned = sorted(set(int(i) for i in banned_ids))
    dims = _batch_dims(model, device)

    def normalized(logprob: float, length: int) -> float:
        return logprob / (length**length_penalty)

    logits, state = _prime(model, prompt, eos_id, device)
    logits = logits.unsqueeze(0)  # (live, V)
    live_tokens: list[list[int]] = [[]]
    live_logprob = torch.zeros(1, dtype=torch.float64, device=device)
    done: list[Hypothesis] = []
    width = beam  # each complete hypothesis takes one place of the beam
    for step in range(1, max_tokens + 1):
        logp = torch.log_softmax(logits.double(), dim=-1)
        if banned:
            logp[:, banned] = -math.inf
        total = (live_logprob[:, None] + logp).flatten()  # every one-token extension of every live one
        k = min(width, int(torch.isfinite(total).sum()))
        if k == 0:
            break
        best = torch.topk(total, k, sorted=True)
        V = logp.shape[1]
        keep_rows, keep_tokens, keep_logprob = [], [], []
        for value, flat in zip(best.values.tolist(), best.indices.tolist()):
            row, token = divmod(flat, V)
            tokens = live_tokens[row] + [token]
            if token == eos_id or step == max_tokens:
                done.append(Hypothesis(tokens, value, normalized(value, step), token == eos_id))
                width -= token == eos_id
            else:
                keep_rows.append(row)
                keep_tokens.append(tokens)
                keep_logprob.append(value)
        if not keep_rows:
            break
        if len(done) >= n_best:
            # No live hypothesis can beat this any more: its log-probability only falls, and
            # logprob / length ** penalty is largest at the longest length.
            nth = sorted((h.score for h in done), reverse=True)[n_best - 1]
            if nth >= normalized(max(keep_logprob), max_tokens):
                break
        index = torch.tensor(keep_rows, dtype=torch.long, device=device)
        state = _select_rows(state, dims, index)
        live_tokens = keep_tokens
        live_logprob = torch.tensor(keep_logprob, dtype=torch.float64, device=device)
        step_ids = torch.tensor([[t[-1]] for t in keep_tokens], dtype=torch.long, device=device)
        out, state = model(step_ids, state)
        logits = out[:, -1]
    done.sort(key=lambda h: h.score, reverse=True)
    return done[:n_best]


# -- text in, text out ------------------------------------------------------------------------------


@dataclass
class Prompt:
    """A prompt as the model reads it: ``ids``, and the ``unknown`` tokens (distinct, in order of
    appearance) that were not in the vocabulary and were read as ``<unk>``."""

    ids: list[int]
    unknown: list[str]
    tokens: int


def encode_prompt(text: str, tokenizer: Tokenizer, vocab: Vocab) -> Prompt:
    """Tokenize ``text`` as the model's training corpus was (a line end becomes ``</s>``) and look the
    tokens up; unknown ones become ``<unk>``. Raises :class:`WordseqError` if the vocabulary has no ``<unk>``
    for them."""
    eos = vocab.stoi.get(EOS)
    ids: list[int] = []
    unknown: dict[str, None] = {}
    tokens = tokenizer.tokenize_block(text)
    for token in tokens:
        if token == NEWLINE and eos is not None:
            ids.append(eos)
            continue
        i = vocab.stoi.get(token)
        if i is None:
            unknown[token] = None
            if vocab.unk_id is None:
                raise WordseqError(
                    f"the prompt's token {token!r} is not in the model's vocabulary, which has no {UNK} to stand for it"
                )
            i = vocab.unk_id
        ids.append(i)
    return Prompt(ids, list(unknown), len(tokens))


def never_generated(vocab: Vocab, no_unk: bool = False) -> list[int]:
    """Ids a model should not produce: ``<pad>`` and ``<s>`` (never targets in training), and ``<unk>``
    when ``no_unk``."""
    names = [PAD, BOS] + ([UNK] if no_unk else [])
    return [vocab.stoi[t] for t in names if t in vocab.stoi]


class Detokenizer:
    """Turns generated ids back into text, one token at a time (for streaming).

    ``</s>`` is a line end. Characters are written as they are; words are separated by single spaces
    (none at the start of a line). ``at_line_start`` says whether the text so far ends a line (or is
    empty or ends with white space), so that no space is put before the first word.
    """

    def __init__(self, vocab: Vocab, level: str, at_line_start: bool = True) -> None:
        if level not in ("word", "char"):
            raise WordseqError(f"unknown model level {level!r} (word or char)")
        self.itos, self.level = vocab.itos, level
        self.eos = vocab.stoi.get(EOS)
        self.at_line_start = at_line_start

    def __call__(self, token: int) -> str:
        if token == self.eos:
            self.at_line_start = True
            return "\n"
        text = self.itos[token]
        if self.level == "word" and not self.at_line_start:
            text = " " + text
        self.at_line_start = False
        return text

    def text(self, ids: Iterable[int]) -> str:
        return "".join(self(i) for i in ids)
