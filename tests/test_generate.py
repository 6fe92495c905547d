"""Text generation: sampling follows softmax(logits / T) restricted to the top-k and the nucleus (checked by
chi-square tests on stub models with known logits, seeded); greedy is the argmax; beam search with beam 1 is
greedy and a wide beam finds the best sequence (against brute force); prompts, detokenization and the CLI."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare
from torch import nn

from wordseq.cli import main
from wordseq.errors import WordseqError
from wordseq.lm.neural import NeuralLM
from wordseq.lm.neural import generate as gen
from wordseq.lm.neural.window import WindowLM
from wordseq.text.tokenize import Tokenizer
from wordseq.text.vocab import Vocab

EOS = 3

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class FixedLM(nn.Module):
    """The same logits after every token; counts its forward calls."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.as_tensor(logits, dtype=torch.float32)
        self.calls = 0

    def init_state(self, batch_size, device=None):
        return None

    def forward(self, ids, state):
        self.calls += 1
        B, T = ids.shape
        return self.logits.expand(B, T, -1), state


class TrigramLM(nn.Module):
    """Logits ``table[previous, current]``; the previous token is carried in an RNN-shaped state (1, B, 1),
    so beam search must reorder the state along dim 1 to get the right answers."""

    def __init__(self, table):
        super().__init__()
        self.table = torch.as_tensor(table, dtype=torch.float64)

    def init_state(self, batch_size, device=None):
        return torch.zeros(1, batch_size, 1, dtype=torch.long)

    def forward(self, ids, state):
        prev = state[0, :, 0]
        out = []
        for t in range(ids.shape[1]):
            out.append(self.table[prev, ids[:, t]])
            prev = ids[:, t]
        return torch.stack(out, 1), prev.view(1, -1, 1)


def random_trigram(V, seed, scale=2.0):
    return TrigramLM(torch.randn(V, V, V, generator=torch.Generator().manual_seed(seed)) * scale)


LOGITS = torch.tensor([2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0])
N = 4000


def draw(logits=LOGITS, n=N, seed=0, **kw):
    return np.array(list(gen.sample_ids(FixedLM(logits), [], n, seed=seed, **kw)))


def counts(tokens, V=len(LOGITS)):
    return np.bincount(tokens, minlength=V)


def assert_matches(tokens, probs, support=None):
    """Chi-square goodness of fit of the drawn tokens to ``probs`` over ``support`` (default: all tokens)."""
    probs = np.asarray(probs, dtype=np.float64)
    support = np.arange(len(probs)) if support is None else np.asarray(support)
    observed = counts(tokens, len(probs))
    assert observed.sum() == observed[support].sum(), "a token outside the support was drawn"
    expected = probs[support] / probs[support].sum() * len(tokens)
    p = chisquare(observed[support], expected).pvalue
    assert p > 1e-3, f"frequencies {observed[support]} do not fit {expected.round(1)} (p = {p:.2g})"


# -- temperature, top-k, top-p ------------------------------------------------------------------------


@pytest.mark.parametrize("T", [0.5, 1.0, 2.0])
def test_temperature_frequencies_match_softmax(T):
    tokens = draw(temperature=T, seed=int(T * 10))
    assert_matches(tokens, torch.softmax(LOGITS / T, 0).numpy())


def test_the_chi_square_check_can_tell_temperatures_apart():
    tokens = draw(temperature=2.0, seed=5)
    observed = counts(tokens)
    expected = torch.softmax(LOGITS.double(), 0).numpy()
    assert chisquare(observed, expected / expected.sum() * N).pvalue < 1e-6


def test_top_k_draws_only_the_k_best():
    tokens = draw(top_k=3, seed=1)
    assert set(tokens.tolist()) == {0, 1, 2}
    assert_matches(tokens, torch.softmax(LOGITS, 0).numpy(), support=[0, 1, 2])
    shuffled = LOGITS[torch.tensor([5, 2, 7, 0, 1, 3, 6, 4])]  # the best three are now ids 3, 4, 1
    assert set(draw(shuffled, n=500, top_k=3).tolist()) == {3, 4, 1}


def nucleus(probs, p):
    order = np.argsort(-probs, kind="stable")
    cum = np.cumsum(probs[order])
    return sorted(order[: int(np.searchsorted(cum, p) + 1)].tolist())


@pytest.mark.parametrize("p", [0.5, 0.7, 0.9])
def test_top_p_draws_only_within_the_nucleus(p):
    probs = torch.softmax(LOGITS, 0).numpy()
    core = nucleus(probs, p)
    assert probs[core].sum() >= p and probs[core[:-1]].sum() < p
    tokens = draw(top_p=p, seed=2)
    assert set(tokens.tolist()) == set(core)
    assert_matches(tokens, probs, support=core)


def test_temperature_then_top_k_then_top_p():
    tokens = draw(temperature=0.5, top_k=5, top_p=0.9, seed=3)
    probs = torch.softmax(LOGITS / 0.5, 0).numpy()
    probs[5:] = 0  # top-k 5
    core = nucleus(probs / probs.sum(), 0.9)  # the nucleus of what top-k left
    assert_matches(tokens, probs, support=core)
    expected = np.zeros(8)
    expected[core] = probs[core] / probs[core].sum()
    np.testing.assert_allclose(gen.next_token_probs(LOGITS, 0.5, 5, 0.9).numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])  # nearly flat to peaked
def test_next_token_probs_on_a_large_vocabulary(scale):
    """The fast paths (a partial sort that grows until it holds the nucleus) give the distribution of the
    plain definition: softmax of the filtered logits."""
    logits = torch.randn(3, 5000, generator=torch.Generator().manual_seed(1)) * scale
    for T, k, p in [(1.0, 0, 0.9), (0.7, 0, 0.5), (1.3, 0, 0.99), (1.0, 50, 0.9), (1.0, 300, 1.0)]:
        expected = torch.softmax(gen.top_p_filter(gen.top_k_filter(logits / T, k), p), -1)
        torch.testing.assert_close(gen.next_token_probs(logits, T, k, p), expected, rtol=1e-4, atol=1e-7)


def test_draw_is_exact_and_skips_zeros():
    probs = torch.tensor([0.0, 0.2, 0.0, 0.5, 0.3, 0.0])
    g = torch.Generator().manual_seed(0)
    tokens = np.array([gen.draw(probs, g) for _ in range(N)])
    assert_matches(tokens, probs.numpy(), support=[1, 3, 4])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-20, 20, allow_nan=False), min_size=1, max_size=30), st.floats(0.01, 1.0), st.integers(0, 40))
def test_filters_property(values, p, k):
    logits = torch.tensor(values, dtype=torch.float64)
    kept_k = torch.isfinite(gen.top_k_filter(logits, k))
    assert kept_k.sum() == (len(values) if k == 0 else min(k, len(values)))
    assert logits[kept_k].min() >= logits[~kept_k].max() if (~kept_k).any() else True
    probs = torch.softmax(logits, 0)
    kept = torch.isfinite(gen.top_p_filter(logits, p))
    assert kept.any()
    assert probs[kept].sum() >= p - 1e-9 or kept.all()  # the nucleus holds at least p ...
    smallest = probs[kept].min()
    assert probs[kept].sum() - smallest < p + 1e-9  # ... and no token of it could be left out
    if (~kept).any():
        assert probs[~kept].max() <= smallest  # and it holds the most likely tokens


# -- greedy, seeds, streaming ---------------------------------------------------------------------------


def test_greedy_and_temperature_zero_follow_the_argmax():
    model = random_trigram(6, seed=0)
    ids = list(gen.greedy_ids(model, [4], 12, eos_id=EOS))
    assert ids == list(gen.sample_ids(model, [4], 12, temperature=0.0, eos_id=EOS, seed=9))
    prev, cur = EOS, 4
    for token in ids:  # each is the argmax after the two before it
        assert token == int(model.table[prev, cur].argmax())
        prev, cur = cur, token


def test_banned_tokens_are_never_drawn_even_as_argmax():
    assert 0 not in draw(n=300, banned_ids=[0, 2])
    assert 2 not in draw(n=300, banned_ids=[0, 2])
    assert list(gen.greedy_ids(FixedLM(LOGITS), [], 3, banned_ids=[0])) == [1, 1, 1]


def test_stop_at_eos():
    logits = torch.full((8,), -5.0)
    logits[EOS] = 5.0
    assert list(gen.sample_ids(FixedLM(logits), [], 50, seed=0, stop_at_eos=True)) == [EOS]
    assert len(list(gen.sample_ids(FixedLM(logits), [], 50, seed=0))) == 50


def test_seed_reproduces_the_text():
    model = WindowLM(30, context=3, embed=8, hidden=16)
    a = list(gen.sample_ids(model, [5, 6], 40, seed=7))
    assert a == list(gen.sample_ids(model, [5, 6], 40, seed=7))
    assert a != list(gen.sample_ids(model, [5, 6], 40, seed=8))


def test_generation_runs_without_dropout_and_restores_the_mode():
    model = WindowLM(30, context=2, embed=8, hidden=16, dropout=0.5)
    model.train()
    a = list(gen.greedy_ids(model, [5], 20))
    assert model.training
    assert a == list(gen.greedy_ids(model, [5], 20))  # no dropout noise
    assert gen.beam_search(model, [5], 20, beam=1)[0].tokens[:5] == a[:5]
    assert model.training


def test_tokens_are_yielded_as_they_are_produced():
    model = FixedLM(LOGITS)
    stream = gen.sample_ids(model, [1, 2], 1000, seed=0)
    assert model.calls == 0  # nothing computed before the first token is asked for
    first = list(itertools.islice(stream, 3))
    assert len(first) == 3 and model.calls == 3  # the prompt, then one step per further token


def test_bad_sampling_settings():
    for kw, message in [
        (dict(temperature=-1), "temperature"),
        (dict(top_k=-1), "top-k"),
        (dict(top_p=0.0), "top-p"),
        (dict(top_p=1.5), "top-p"),
    ]:
        with pytest.raises(WordseqError, match=message):
            next(gen.sample_ids(FixedLM(LOGITS), [], 5, **kw))


# -- beam search ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_beam_one_is_greedy(seed):
    model = random_trigram(7, seed, scale=1.0)
    greedy = list(gen.greedy_ids(model, [5], 15, eos_id=EOS, stop_at_eos=True))
    [best] = gen.beam_search(model, [5], 15, beam=1, eos_id=EOS)
    assert best.tokens == greedy
    window = WindowLM(25, context=2, embed=6, hidden=8)
    torch.manual_seed(seed)
    torch.nn.init.normal_(window.decoder.weight, std=2.0)
    greedy = list(gen.greedy_ids(window, [7, 8], 10, stop_at_eos=True))
    assert gen.beam_search(window, [7, 8], 10, beam=1)[0].tokens == greedy


def test_beam_finds_what_greedy_misses():
    """After </s>: A 0.5, B 0.4; after A the best is </s> at 0.35, after B </s> at 0.9.
    Greedy takes A, </s> (0.175); a beam of 2 finds B, </s> (0.36)."""
    A, B, V = 4, 5, 6
    probs = torch.full((V, V), 0.1 / 4)
    probs[EOS, [0, 1, 2, EOS]] = 0.1 / 4
    probs[EOS, A], probs[EOS, B] = 0.5, 0.4
    probs[A] = torch.tensor([0.1 / 3, 0.1 / 3, 0.1 / 3, 0.35, 0.3, 0.25])
    probs[B] = torch.tensor([0.025, 0.025, 0.025, 0.9, 0.0125, 0.0125])
    table = torch.log(probs).expand(V, V, V)  # table[prev, cur] = log P(. | cur): a bigram model
    model = TrigramLM(table)
    assert list(gen.greedy_ids(model, [], 2, stop_at_eos=True)) == [A, EOS]
    best, second = gen.beam_search(model, [], 2, beam=2, n_best=2)
    assert best.tokens == [B, EOS] and best.complete
    assert best.logprob == pytest.approx(math.log(0.36))
    assert second.tokens == [A, EOS] and second.logprob == pytest.approx(math.log(0.175))


def brute_force(model, prompt, V, max_tokens, alpha, banned=()):
    """Every sequence that ends with </s> within max_tokens, or runs to max_tokens, with its score."""
    allowed = [t for t in range(V) if t not in banned]
    found = []

    def extend(seq, logprob, state, logits):
        logp = torch.log_softmax(logits.double(), -1)
        for t in allowed:
            s, lp = seq + [t], logprob + float(logp[t])
            if t == EOS or len(s) == max_tokens:
                found.append((lp / len(s) ** alpha, s))
            else:
                out, st2 = model(torch.tensor([[t]]), state)
                extend(s, lp, st2, out[0, -1])

    out, state = model(torch.tensor([[EOS] + prompt]), model.init_state(1))
    extend([], 0.0, state, out[0, -1])
    return sorted(found, key=lambda x: -x[0])


@pytest.mark.parametrize("seed, alpha", [(0, 0.0), (1, 1.0), (2, 0.6), (3, 1.0)])
def test_wide_beam_finds_the_best_sequences(seed, alpha):
    V, L = 5, 4
    model = random_trigram(V, seed)
    exact = brute_force(model, [1, 2], V, L, alpha, banned=[0])
    hyps = gen.beam_search(model, [1, 2], L, beam=V**L, n_best=3, length_penalty=alpha, banned_ids=[0])
    assert [h.tokens for h in hyps] == [s for _, s in exact[:3]]
    assert [h.score for h in hyps] == pytest.approx([score for score, _ in exact[:3]])
    for h in hyps:
        assert h.complete == (h.tokens[-1] == EOS)
        assert h.score == pytest.approx(h.logprob / len(h.tokens) ** alpha)


def test_a_narrow_beam_is_no_worse_than_greedy():
    for seed in range(5):
        model = random_trigram(6, seed)
        greedy = gen.beam_search(model, [4], 6, beam=1, length_penalty=0.0)[0]
        wider = gen.beam_search(model, [4], 6, beam=3, length_penalty=0.0)[0]
        assert wider.score >= greedy.score - 1e-12


def test_bad_beam_settings():
    model = FixedLM(LOGITS)
    for kw, message in [
        (dict(beam=0), "beam width"),
        (dict(beam=2, n_best=3), "number of outputs"),
        (dict(length_penalty=-1), "length penalty"),
    ]:
        with pytest.raises(WordseqError, match=message):
            gen.beam_search(model, [], 5, **kw)


# -- text in, text out ------------------------------------------------------------------------------------


def word_vocab():
    return Vocab.from_counts({"the": 5, "cat": 3, "sat": 2, ".": 2})


def test_prompt_encoding_maps_unknown_words_to_unk():
    vocab = word_vocab()
    prompt = gen.encode_prompt("The cat flew\nthe dog flew", Tokenizer("word", lower=True), vocab)
    assert vocab.decode(prompt.ids) == ["the", "cat", "<unk>", "</s>", "the", "<unk>", "<unk>"]
    assert prompt.unknown == ["flew", "dog"] and prompt.tokens == 7
    chars = Vocab.from_counts({"a": 3, "b": 2})
    prompt = gen.encode_prompt("abz", Tokenizer("char"), chars)
    assert chars.decode(prompt.ids) == ["a", "b", "<unk>"] and prompt.unknown == ["z"]
    no_unk = Vocab.from_counts({"a": 1}, specials=("</s>",))
    with pytest.raises(WordseqError, match="no <unk>"):
        gen.encode_prompt("b", Tokenizer("char"), no_unk)


def test_detokenizer():
    vocab = word_vocab()
    ids = [vocab["the"], vocab["cat"], vocab["</s>"], vocab["sat"], vocab["."]]
    assert gen.Detokenizer(vocab, "word").text(ids) == "the cat\nsat ."
    assert gen.Detokenizer(vocab, "word", at_line_start=False).text(ids[:1]) == " the"
    chars = Vocab.from_counts({"a": 3, " ": 2, "b": 1})
    assert gen.Detokenizer(chars, "char").text([chars[c] for c in "a b"] + [3, chars["a"]]) == "a b\na"


def test_never_generated():
    vocab = word_vocab()
    assert vocab.decode(gen.never_generated(vocab)) == ["<pad>", "<s>"]
    assert vocab.decode(gen.never_generated(vocab, no_unk=True)) == ["<pad>", "<s>", "<unk>"]


# -- the command line ------------------------------------------------------------------------------------


@pytest.fixture
def fake_lm(monkeypatch):
    """``wordseq generate`` on a small word-level window model, without a model file."""
    vocab = Vocab.from_counts(
        {w: 10 - i for i, w in enumerate(["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "."])}
    )
    torch.manual_seed(0)
    model = WindowLM(len(vocab), context=2, embed=8, hidden=16).eval()
    torch.nn.init.normal_(model.decoder.weight, std=1.0)
    lm = NeuralLM(model="window", context=2, embed=8, hidden=16, tokenizer="word", lower=True)
    lm.network, lm.vocab = model, vocab
    loaded = []
    monkeypatch.setattr("wordseq.cli.generate._load_lm", lambda path, device: loaded.append(path) or lm)
    return lm


def cli(capsys, *args):
    code = main(["generate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_greedy_output_is_the_prompt_and_the_argmax_continuation(fake_lm, capsys):
    code, out, err = cli(capsys, "m.wsq", "--prompt", "The cat", "--greedy", "--max-tokens", "12")
    assert code == 0, err
    prompt = gen.encode_prompt("The cat", fake_lm.tokenizer, fake_lm.vocab)
    ids = list(gen.greedy_ids(fake_lm.network, prompt.ids, 12, banned_ids=gen.never_generated(fake_lm.vocab)))
    assert out == "The cat" + gen.Detokenizer(fake_lm.vocab, "word", at_line_start=False).text(ids) + (
        "" if ids[-1] == EOS else "\n"
    )
    code, out2, _ = cli(capsys, "m.wsq", "--prompt", "The cat", "--beam", "1", "--max-tokens", "12")
    assert out2.startswith("The cat")


def test_cli_seed_and_samples(fake_lm, capsys):
    _, a, _ = cli(capsys, "m.wsq", "--seed", "3", "--num-samples", "3", "--max-tokens", "20")
    _, b, _ = cli(capsys, "m.wsq", "--seed", "3", "--num-samples", "3", "--max-tokens", "20")
    _, c, _ = cli(capsys, "m.wsq", "--seed", "4", "--num-samples", "3", "--max-tokens", "20")
    assert a == b and a != c
    samples = a.split("-" * 40 + "\n")
    assert len(samples) == 3 and len(set(samples)) == 3
    assert "<pad>" not in a and "<s>" not in a


def test_cli_unknown_prompt_words_give_a_notice(fake_lm, capsys):
    code, out, err = cli(capsys, "m.wsq", "--prompt", "the zebra flew", "--max-tokens", "3", "--no-echo")
    assert code == 0
    assert "2 prompt words not in the model's vocabulary of 14 are read as <unk>" in err and "'zebra', 'flew'" in err
    assert "zebra" not in out


def test_cli_level_mismatch(fake_lm, capsys):
    code, out, err = cli(capsys, "m.wsq", "--level", "char", "--max-tokens", "3")
    assert code == 1 and out == ""
    assert "m.wsq: is a word-level model: it writes words, not characters" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--beam", "3", "--temperature", "0.5"], "--temperature cannot be used with --beam"),
        (["--beam", "2", "--num-samples", "3"], "more hypotheses than the beam"),
        (["--top-p", "0"], "top-p must be in (0, 1]"),
        (["--max-tokens", "0"], "--max-tokens must be at least 1"),
        (["--greedy", "--temperature", "2"], "contradict"),
        (["--prompt-file", "missing.txt"], "missing.txt: no such file"),
    ],
)
def test_cli_bad_options(fake_lm, capsys, args, message):
    code, _out, err = cli(capsys, "m.wsq", *args)
    assert code == 1 and message in err and err.count("\n") == 1


def test_cli_prompt_file(fake_lm, capsys, tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("the cat\n")
    code, out, _ = cli(capsys, "m.wsq", "--prompt-file", str(f), "--max-tokens", "4", "--greedy")
    assert code == 0 and out.startswith("the cat\n")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"the\ncat\n\xff\n")
    code, _, err = cli(capsys, "m.wsq", "--prompt-file", str(bad))
    assert code == 1 and f"{bad}:3: the prompt is not UTF-8 text" in err


def test_cli_streams_tokens_as_they_come(fake_lm, capsys, monkeypatch):
    """Interrupted after 5 steps, the tokens produced so far are already on stdout."""
    prompt = gen.encode_prompt("the", fake_lm.tokenizer, fake_lm.vocab).ids
    first = list(gen.greedy_ids(fake_lm.network, prompt, 5, banned_ids=gen.never_generated(fake_lm.vocab)))
    forward, calls = fake_lm.network.forward, []

    def interrupted(ids, state):
        calls.append(1)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return forward(ids, state)

    monkeypatch.setattr(fake_lm.network, "forward", interrupted)
    code, out, err = cli(capsys, "m.wsq", "--prompt", "the", "--max-tokens", "100", "--greedy", "--no-echo")
    assert code == 130 and "interrupted" in err
    assert out == gen.Detokenizer(fake_lm.vocab, "word").text(first)


def test_cli_refuses_ngram_models_and_missing_files(capsys, tmp_path):
    arpa = tmp_path / "m.arpa"
    arpa.write_text("\\data\\\nngram 1=1\n\n\\1-grams:\n-1.0\t</s>\n\n\\end\\\n")
    code, _, err = cli(capsys, str(arpa))
    assert code == 1 and "is an n-gram model" in err and "wordseq lm sample" in err
    code, _, err = cli(capsys, str(tmp_path / "none.wsq"))
    assert code == 1 and "none.wsq: no such file" in err


def test_cli_end_to_end_with_a_model_file(tmp_path, capsys):
    """A window model saved as a real model file: ``wordseq generate`` loads it and writes what the library
    functions produce (greedy in a separate process, streamed; then beam and seeded samples in this one)."""
    from support import run_cli

    vocab = Vocab.from_counts({c: 10 - i for i, c in enumerate("abcdefgh ")})
    torch.manual_seed(1)
    model = WindowLM(len(vocab), context=3, embed=6, hidden=8).eval()
    torch.nn.init.normal_(model.decoder.weight, std=2.0)
    lm = NeuralLM(model="window", context=3, embed=6, hidden=8, level="char")
    lm.network, lm.vocab = model, vocab
    path = str(lm.save(tmp_path / "chars.wsq"))
    prompt = gen.encode_prompt("abc", Tokenizer("char"), vocab).ids
    banned = gen.never_generated(vocab)
    greedy = gen.Detokenizer(vocab, "char").text(gen.greedy_ids(model, prompt, 30, banned_ids=banned))
    r = run_cli("generate", path, "--prompt", "abc", "--greedy", "--max-tokens", "30", timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == "abc" + greedy + ("" if greedy.endswith("\n") else "\n")
    best = gen.beam_search(model, prompt, 30, beam=3, banned_ids=banned)[0]
    code, out, _ = cli(capsys, path, "--prompt", "abc", "--beam", "3", "--max-tokens", "30")
    assert out.rstrip("\n") == "abc" + gen.Detokenizer(vocab, "char").text(best.tokens).rstrip("\n")
    a = cli(capsys, path, "--prompt", "abz", "--seed", "5", "--top-k", "4")
    b = cli(capsys, path, "--prompt", "abz", "--seed", "5", "--top-k", "4")
    assert a[0] == 0 and a[1] == b[1] and len(a[1]) > 100
    assert "1 prompt character not in the model's vocabulary of 13 is read as <unk>: 'z'" in a[2]
    # the estimator's generate gives the same texts
    loaded = NeuralLM.load(path)
    assert loaded.generate("abc", 30, temperature=0.0) == ["abc" + greedy]
    assert loaded.generate("abc", 30, beam=3) == ["abc" + gen.Detokenizer(vocab, "char").text(best.tokens)]
    assert loaded.generate("abz", 30, top_k=4, seed=5, num_samples=2) != loaded.generate("abz", 30, top_k=4, seed=6)
    code, _, err = cli(capsys, path, "--level", "word")
    assert code == 1 and "is a character-level model: it writes characters, not words" in err
