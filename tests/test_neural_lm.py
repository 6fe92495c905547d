"""Neural language models: the model, its files, scoring, and the ``lm train`` / ``lm perplexity`` commands."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from wordseq.cli import main as cli_main
from wordseq.errors import InputError, WordseqError
from wordseq.io.modelfile import ModelFile, save_model
from wordseq.lm.neural import build_model, detach_state, load_lm, model_config, save_lm
from wordseq.lm.neural.data import check_length, check_level, encode_with, load_corpora
from wordseq.lm.neural.model import LockedDropout, embedding_dropout
from wordseq.lm.neural.task import evaluate_lm
from wordseq.text.vocab import SPECIALS, Vocab


@pytest.fixture
def run_cli(capsys):
    """Run ``wordseq ARGS`` in this process (much faster than a subprocess); returns returncode, stdout, stderr."""

    def run(*args: str) -> SimpleNamespace:
        capsys.readouterr()
        code = cli_main(list(args))
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return run


RECURRENT = ["lstm", "gru", "rnn", "rnn-relu", "peephole", "coupled"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(name="lstm", vocab=40, **kw):
    torch.manual_seed(0)
    return build_model(model_config(vocab_size=vocab, model=name, embed=12, hidden=12, layers=2, **kw))


@pytest.mark.parametrize("name", RECURRENT)
@pytest.mark.parametrize("locked", [False, True])
def test_state_carried_across_chunks_equals_one_pass(name, locked):
    """Reading a sequence in pieces, passing the state on, gives the same logits as reading it at once."""
    model = _model(name, dropout=0.5, locked=locked).eval()
    ids = torch.randint(0, 40, (3, 11))
    whole, _ = model(ids, model.init_state(3))
    state = model.init_state(3)
    pieces = []
    for chunk in ids.split(4, dim=1):
        logits, state = model(chunk, state)
        state = detach_state(state)
        pieces.append(logits)
    torch.testing.assert_close(torch.cat(pieces, dim=1), whole, rtol=1e-5, atol=1e-5)
    assert whole.shape == (3, 11, 40)


def test_tying_shares_one_matrix_and_needs_equal_sizes():
    model = _model("lstm", tied=True)
    assert model.decoder.weight is model.encoder.weight
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in _model("lstm").parameters()) - 40 * 12
    with pytest.raises(WordseqError, match="--tied needs"):
        build_model(model_config(vocab_size=40, embed=10, hidden=12, tied=True))


def test_locked_dropout_uses_one_mask_for_all_time_steps():
    torch.manual_seed(0)
    drop = LockedDropout(0.5).train()
    y = drop(torch.ones(7, 4, 30))
    assert torch.equal(y, y[:1].expand_as(y))  # the same mask at every step
    assert set(y.unique().tolist()) == {0.0, 2.0}
    assert torch.equal(drop.eval()(torch.ones(7, 4, 30)), torch.ones(7, 4, 30))


def test_embedding_dropout_drops_whole_words():
    torch.manual_seed(0)
    embed = torch.nn.Embedding(50, 8)
    ids = torch.arange(50).repeat(3, 1)  # every word three times
    out = embedding_dropout(embed, ids, 0.5, training=True)
    dropped = (out == 0).all(dim=-1)
    assert torch.equal(dropped, dropped[:1].expand_as(dropped))  # a word is dropped everywhere or nowhere
    assert 10 < int(dropped[0].sum()) < 40
    kept = ~dropped[0]
    torch.testing.assert_close(out[0, kept], embed.weight[kept] * 2)


def test_bf16_output_layer_is_close_to_float32():
    model = _model("lstm", vocab=500).eval()
    ids = torch.randint(0, 500, (4, 9))
    ref, _ = model(ids)
    model.bf16_output = True
    low, _ = model(ids)
    assert low.dtype == torch.bfloat16
    assert float((low.float() - ref).abs().max().detach()) < 0.02


def _vocab(n):
    words = [f"w{i}" for i in range(n - len(SPECIALS))]
    return Vocab(list(SPECIALS) + words, [0] * len(SPECIALS) + list(range(n - len(SPECIALS), 0, -1)), SPECIALS)


@pytest.mark.parametrize("name", RECURRENT)
def test_model_file_round_trip(tmp_path, name):
    tied = name == "lstm"
    config = model_config(vocab_size=40, model=name, embed=12, hidden=12, layers=2, tied=tied)
    torch.manual_seed(1)
    model = build_model(config).eval()
    path = save_lm(tmp_path / "m.wsq", model, config, _vocab(40), {"kind": "char"}, "char", {"note": "x"})
    lm = load_lm(path)
    ids = torch.randint(0, 40, (2, 6))
    assert torch.equal(lm.model(ids)[0], model(ids)[0])
    assert not lm.model.training and lm.level == "char" and lm.tokenizer.kind == "char"
    assert lm.vocab == _vocab(40) and lm.config == config and lm.provenance["note"] == "x"
    if tied:
        assert lm.model.decoder.weight is lm.model.encoder.weight


def test_load_lm_refuses_other_model_kinds(tmp_path):
    path = save_model(tmp_path / "n.wsq", ModelFile("ngram", {}, {"x": np.zeros(2)}, {"vocab": _vocab(10)}))
    with pytest.raises(InputError, match="is a 'ngram' model, expected 'neural-lm'"):
        load_lm(path)


def test_evaluation_counts_every_token_and_does_not_depend_on_windows():
    model = _model("lstm").eval()
    ids = np.random.default_rng(0).integers(4, 40, 101)
    one, n1 = evaluate_lm(model, ids, batch=1, bptt=1000, eos_id=3)
    chunked, n2 = evaluate_lm(model, ids, batch=1, bptt=7, eos_id=3)
    assert n1 == n2 == 101  # every token, the first too (after </s>)
    assert chunked == pytest.approx(one, rel=1e-5)
    # by hand: log-probabilities of each next token, reading </s> + ids in one pass
    x = torch.from_numpy(np.concatenate([[3], ids]))[None]
    with torch.no_grad():
        logp = torch.log_softmax(model(x[:, :-1])[0], -1)[0]
    manual = -float(logp[torch.arange(101), x[0, 1:]].mean())
    assert one == pytest.approx(manual, rel=1e-5)
    _, n = evaluate_lm(model, ids, batch=7, bptt=5, eos_id=3)  # 101 = 7 * 14 + 3: the tail is scored too
    assert n == 101


def test_corpus_shorter_than_one_window_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match=r"c\.txt: 12 tokens is shorter than one BPTT window"):
        check_length(tmp_path / "c.txt", 12, batch=20, bptt=35)


def test_word_model_refuses_character_text(tmp_path):
    train = tmp_path / "train.txt"
    train.write_text("the quick brown fox jumps over the lazy dog\n" * 20)
    chars = tmp_path / "chars.txt"
    chars.write_text("t h e _ q u i c k _ b r o w n\n" * 5)
    corpus = load_corpora(train, level="word")
    ids = corpus.vocab.encode(["t", "h", "e", "_", "q", "u", "i", "c", "k"])
    with pytest.raises(InputError, match="chars.txt: .*unknown"):
        check_level(chars, ids, corpus.vocab, "word")
    # characters that happen to be words of the vocabulary: caught by their length
    vocab = Vocab(list(SPECIALS) + ["the", "a", "b", "fox"], [0, 0, 0, 5, 50, 1, 1, 50], SPECIALS)
    with pytest.raises(InputError, match="looks like character-level text"):
        check_level(chars, np.array([5, 6, 5, 6, 5, 3]), vocab, "word")
    check_level(train, np.array([4, 7, 4, 3]), vocab, "word")  # word text passes


def test_char_model_refuses_text_written_at_another_level(tmp_path):
    """A model of the Penn Treebank's character version ("t h e _ c a t") asked for plain word-level text."""
    train = tmp_path / "chars.txt"
    train.write_text("t h e _ c a t _ s a t\n" * 30)
    words = tmp_path / "words.txt"
    words.write_text("the cat sat on the mat\n" * 5)
    corpus = load_corpora(train, level="char")
    ids, _ = encode_with(words, corpus.tokenizer, corpus.vocab)
    with pytest.raises(InputError, match="words.txt: spaces are 22% of the characters here but were 45%"):
        check_level(words, ids, corpus.vocab, "char")
    same, _ = encode_with(train, corpus.tokenizer, corpus.vocab)
    check_level(train, same, corpus.vocab, "char")


def _corpus(tmp_path, lines=300, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(30)]
    text = "\n".join(" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(lines)) + "\n"
    path = tmp_path / f"c{seed}.txt"
    path.write_text(text)
    return path


SMALL = [
    "--embed",
    "16",
    "--hidden",
    "16",
    "--layers",
    "1",
    "--batch",
    "4",
    "--bptt",
    "10",
    "--threads",
    "1",
    "--eval-batch",
    "4",
    "-q",
]


def test_cli_train_then_perplexity(tmp_path, run_cli):
    train, test = _corpus(tmp_path, seed=0), _corpus(tmp_path, 60, seed=1)
    model = tmp_path / "m.wsq"
    r = run_cli(
        "lm",
        "train",
        str(train),
        "--valid",
        str(test),
        "--test",
        str(test),
        "-o",
        str(model),
        "--epochs",
        "2",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        *SMALL,
    )
    assert r.returncode == 0, r.stderr
    assert "epoch 2:" in r.stdout and model.exists() and (tmp_path / "m.wsq.ckpt").exists()
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    trained_ppl = float(r.stdout.split("perplexity ")[-1].split()[0])
    assert trained_ppl < 30  # 30 equally likely words: a trained model does better than uniform
    r = run_cli("lm", "perplexity", str(model), str(test), "--batch", "4", "--bptt", "10", "--threads", "1")
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.split("perplexity ")[-1].split()[0]) == pytest.approx(trained_ppl, abs=0.01)


def test_cli_resume_continues_to_the_uninterrupted_result(tmp_path, run_cli):
    train = _corpus(tmp_path)
    opts = [
        "--epochs",
        "3",
        "--dropout",
        "0.3",
        "--optimizer",
        "sgd",
        "--lr",
        "1",
        "--momentum",
        "0.9",
        "--valid",
        str(train),
        *SMALL,
    ]
    assert run_cli("lm", "train", str(train), "-o", str(tmp_path / "full.wsq"), *opts).returncode == 0
    part = tmp_path / "part.wsq"
    assert run_cli("lm", "train", str(train), "-o", str(part), *opts[:1], "1", *opts[2:]).returncode == 0
    r = run_cli("lm", "train", str(train), "-o", str(part), "--resume", *opts)
    assert r.returncode == 0 and "resumed from" in r.stdout and "epoch 1:" not in r.stdout.split("resumed")[1]
    full, resumed = load_lm(tmp_path / "full.wsq").model, load_lm(part).model
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_cli_char_level_reports_bits_per_character(tmp_path, run_cli):
    train = _corpus(tmp_path, 80)
    r = run_cli(
        "lm",
        "train",
        str(train),
        "--level",
        "char",
        "--test",
        str(train),
        "-o",
        str(tmp_path / "c.wsq"),
        "--epochs",
        "1",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        *SMALL,
    )
    assert r.returncode == 0, r.stderr
    assert "bits/char" in r.stdout
    assert load_lm(tmp_path / "c.wsq").level == "char"


def test_cli_bad_input(tmp_path, run_cli):
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("a b c\n")
    r = run_cli("lm", "train", str(tiny), "-o", str(tmp_path / "t.wsq"), "--threads", "1")
    assert r.returncode == 1 and "shorter than one BPTT window" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "t.wsq").exists()

    train = _corpus(tmp_path)
    out = tmp_path / "m.wsq"
    assert run_cli("lm", "train", str(train), "-o", str(out), "--epochs", "1", *SMALL).returncode == 0
    r = run_cli("lm", "train", str(train), "-o", str(out), "--epochs", "2", "--resume", "--embed", "24", *SMALL[2:])
    assert r.returncode == 1
    assert "cannot resume" in r.stderr and "model.embed: 16 in the checkpoint, 24 now" in r.stderr

    r = run_cli(
        "lm",
        "train",
        str(train),
        "-o",
        str(tmp_path / "x.wsq"),
        "--lr",
        "1e9",
        "--clip",
        "0",
        "--model",
        "rnn-relu",
        "--init",
        "identity",
        *SMALL,
    )
    assert r.returncode == 1 and "training diverged" in r.stderr and "lower --lr" in r.stderr
    assert not (tmp_path / "x.wsq").exists()


def test_build_model_window_when_available():
    pytest.importorskip("wordseq.lm.neural.window")
    model = build_model(model_config(vocab_size=30, model="window", context=3, embed=8, hidden=16))
    logits, _state = model(torch.randint(0, 30, (2, 5)), model.init_state(2))
    assert logits.shape == (2, 5, 30)


def test_demo_step_reports_perplexity_beside_the_ngram_model(tmp_path):
    from wordseq.demo import DemoContext, split_corpus
    from wordseq.demo.neural import neural_step

    corpus = _corpus(tmp_path, 400)
    train, valid = split_corpus(corpus, tmp_path)
    ctx = DemoContext(corpus, tmp_path, train, valid, quick=True, threads=1)
    ctx.results["ngram"] = {"perplexity": 123.4}
    lines = neural_step(ctx)
    assert lines[0].startswith("neural LM: 1-layer LSTM")
    ppl = float(lines[1].split("perplexity ")[1].split()[0])
    assert 1 < ppl < 40 and "n-gram model on the same data: 123.4" in lines[2]
    assert load_lm(tmp_path / "lstm.wsq").level == "word"
    assert ctx.results["neural"]["perplexity"] == pytest.approx(ppl, abs=0.05)
