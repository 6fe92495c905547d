"""Neural language models: the model, its files, scoring, and the ``lm train`` / ``lm perplexity`` commands."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from wordseq.cli import main as cli_main
from wordseq.config import ConfigError
from wordseq.errors import InputError
from wordseq.io.modelfile import ModelFile, load_model, save_model
from wordseq.lm.neural import NeuralLM, NeuralLMConfig, build_network, detach_state
from wordseq.lm.neural.data import check_length, check_level, encode_with, load_corpora
from wordseq.lm.neural.rnn import LockedDropout, embedding_dropout
from wordseq.lm.neural.task import evaluate_lm
from wordseq.lm.scores import LMScore
from wordseq.nn import SCHEMES
from wordseq.text.vocab import SPECIALS, Vocab
from wordseq.train import TrainConfig


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
    return build_network(NeuralLMConfig(model=name, embed=12, hidden=12, layers=2, **kw), vocab)


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
    with pytest.raises(ConfigError, match=r"NeuralLMConfig.tied = True: needs embed = hidden"):
        NeuralLMConfig(embed=10, hidden=12, tied=True)


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


def _fitted(tmp_path, **kw) -> tuple[NeuralLM, object]:
    """A NeuralLM fitted for one short epoch on a small corpus (weights far from their initial values)."""
    corpus = _corpus(tmp_path, 60)
    settings = dict(embed=12, hidden=12, layers=2, batch_size=4, bptt=8) | kw
    train = TrainConfig(epochs=1, optimizer="adam", lr=0.02)
    return NeuralLM(train=train, **settings).fit(corpus), corpus


ARCHITECTURES = [
    *({"model": name} for name in RECURRENT),
    {"model": "lstm", "layers": 1},
    {"model": "gru", "layers": 3},
    {"model": "lstm", "tied": True},
    {"model": "lstm", "locked": True, "dropout": 0.3, "dropouti": 0.1, "dropoute": 0.1},
    {"model": "rnn", "init": "orthogonal"},
    {"model": "lstm", "level": "char", "layers": 1},
    {"model": "window", "context": 3},
    {"model": "window", "context": 2, "direct": True},
    {"model": "window", "direct": True, "tied": True, "embed": 6, "bounded_by": 3, "pad_id": 2},
    {"model": "window", "level": "char", "bounded_by": 3},
]


@pytest.mark.parametrize("arch", ARCHITECTURES, ids=lambda a: "-".join(f"{k}={v}" for k, v in a.items()))
def test_model_file_round_trip_for_every_architecture_option(tmp_path, arch):
    """Save and load give the same config, vocabulary and network: same outputs, same scores."""
    model, corpus = _fitted(tmp_path, **arch)
    path = model.save(tmp_path / "m.wsq")
    again = NeuralLM.load(path)
    assert again.config == model.config and again.vocab == model.vocab and again.history == model.history
    assert type(again.network) is type(model.network) and not again.network.training
    ids = torch.randint(0, len(model.vocab), (2, 9))
    torch.testing.assert_close(again.network(ids)[0], model.network(ids)[0], rtol=0, atol=0)
    assert again.evaluate(corpus) == model.evaluate(corpus)
    assert again.generate("w1", 6, seed=3) == model.generate("w1", 6, seed=3)
    net = again.network
    if arch["model"] == "window":
        assert net.bounded_by == arch.get("bounded_by") and net.pad_id == arch.get("pad_id", 3)
        assert (net.direct is not None) == arch.get("direct", False)
    if arch.get("tied"):
        weight = net.embedding.weight if arch["model"] == "window" else net.encoder.weight
        assert net.decoder.weight is weight
        assert "decoder.weight" not in load_model(path).tensors  # the tied matrix is stored once
    if arch.get("level") == "char":
        assert again.tokenizer.kind == "char" and again.evaluate(corpus).level == "char"


def test_files_of_the_earlier_layout_still_load(tmp_path):
    """A file whose config is ``{"model": {...}, "tokenizer": {...}, "level": ...}`` (wordseq 0.x's layout,
    which lost a window model's direct connections) reads as the same model."""
    model, corpus = _fitted(tmp_path, model="window", context=2, direct=True, embed=8, hidden=8)
    new = load_model(model.save(tmp_path / "new.wsq"))
    c = model.config
    arch = {k: getattr(c, k) for k in ("model", "embed", "hidden", "layers", "dropout", "dropouti", "dropoute")}
    arch |= {k: getattr(c, k) for k in ("locked", "tied", "init", "init_scale", "context")} | {"vocab_size": 34}
    old = {"model": arch, "tokenizer": model.tokenizer.config(), "level": "word"}
    save_model(tmp_path / "old.wsq", ModelFile("neural-lm", old, new.tensors, {"vocab": model.vocab}))
    again = NeuralLM.load(tmp_path / "old.wsq")
    assert again.config.direct and again.config.context == 2
    assert again.evaluate(corpus, bptt=8) == model.evaluate(corpus)  # the old layout kept no bptt


def test_load_refuses_other_model_kinds_and_mismatched_weights(tmp_path):
    path = save_model(tmp_path / "n.wsq", ModelFile("ngram", {}, {"x": np.zeros(2)}, {"vocab": _vocab(10)}))
    with pytest.raises(InputError, match="is a 'ngram' model, expected 'neural-lm'"):
        NeuralLM.load(path)
    model, _ = _fitted(tmp_path)
    mf = load_model(model.save(tmp_path / "m.wsq"))
    config = model.config.replace(hidden=16).to_dict()
    save_model(tmp_path / "bad.wsq", ModelFile("neural-lm", config, mf.tensors, {"vocab": model.vocab}))
    with pytest.raises(InputError, match=r"bad\.wsq: weights do not fit the model configuration"):
        NeuralLM.load(tmp_path / "bad.wsq")


def test_fit_history_evaluate_and_summary(tmp_path):
    model, corpus = _fitted(tmp_path, tied=True)
    assert len(model.history) == 1 and model.stopped == ""
    h = model.history[0]
    assert {"train_loss_nats", "train_perplexity", "seconds", "tokens", "tokens_per_second"} <= set(h)
    assert h["train_perplexity"] == pytest.approx(np.exp(h["train_loss_nats"]))
    score = model.evaluate(corpus)
    assert isinstance(score, LMScore) and score.level == "word" and score.sentences == 60
    ids = np.asarray(encode_with(corpus, model.tokenizer, model.vocab)[0])
    loss, n = evaluate_lm(model.network, ids, 10, 8, eos_id=3)
    assert score.tokens == n == len(ids) and score.loss_nats == pytest.approx(loss)
    summary = model.summary()
    assert summary.kind == "neural-lm" and summary.vocab_size == len(model.vocab)
    assert summary.total_params == sum(p.numel() for p in model.network.parameters())  # tied: counted once
    assert [r.name for r in summary.layers] == ["encoder", "rnns.0", "drop_in", "drop", "decoder"]
    assert summary.layers[-1].output_shape == f"(1, 8, {len(model.vocab)})"  # one stream of bptt tokens
    assert "train_perplexity" in summary.metrics and "total parameters" in summary.text()


def test_unfitted_model_says_so():
    with pytest.raises(Exception, match="has not been trained or loaded"):
        NeuralLM().evaluate([1, 2, 3])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "transformer"}, r"NeuralLMConfig.model = 'transformer': must be one of 'lstm'"),
        ({"hidden": 0}, r"NeuralLMConfig.hidden = 0: must be an integer >= 1"),
        ({"dropout": 1.0}, r"NeuralLMConfig.dropout = 1.0: must be a number >= 0 and < 1"),
        ({"level": "byte"}, r"NeuralLMConfig.level = 'byte': must be one of 'word', 'char'"),
        ({"level": "char", "tokenizer": "word"}, r"NeuralLMConfig.tokenizer = 'word': a character-level model"),
        ({"bptt": 0}, r"NeuralLMConfig.bptt = 0: must be an integer >= 1"),
        ({"bounded_by": -1}, r"NeuralLMConfig.bounded_by = -1: must be an integer >= 0 \(or None\)"),
    ],
)
def test_config_errors_name_the_field(changes, message):
    with pytest.raises(ConfigError, match=message):
        NeuralLMConfig(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lr": 0.0}, r"TrainConfig.lr = 0.0: must be a number > 0"),
        ({"epochs": 0}, r"TrainConfig.epochs = 0: must be an integer >= 1"),
        ({"clip": -1.0}, r"TrainConfig.clip = -1.0: must be a number >= 0"),
        ({"optimizer": "lbfgs"}, r"TrainConfig.optimizer = 'lbfgs': must be one of 'sgd', 'adam'"),
        ({"schedule": "cosine"}, r"TrainConfig.schedule = 'cosine': must be one of 'none', 'step', 'plateau'"),
        ({"device": "tpu"}, r"TrainConfig.device = 'tpu': must be a torch device"),
    ],
)
def test_train_config_errors_name_the_field(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)
    with pytest.raises(ConfigError, match=message):
        NeuralLMConfig().replace(train=TrainConfig().replace(**changes))


def test_config_round_trips_through_its_dict_and_inits_match_nn():
    config = NeuralLMConfig(model="gru", train=TrainConfig(epochs=3, optimizer="adam", lr=0.002))
    assert NeuralLMConfig.from_dict(config.to_dict()) == config
    assert isinstance(NeuralLMConfig.from_dict(config.to_dict()).train, TrainConfig)
    from wordseq.lm.neural.config import INITS

    assert INITS == SCHEMES


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--batch", "0"], "wordseq: error: --batch 0: must be an integer >= 1"),
        (["--lr", "-1"], "wordseq: error: --lr -1.0: must be a number > 0"),
        (["--hidden", "0"], "wordseq: error: --hidden 0: must be an integer >= 1"),
        (["--eval-batch", "0"], "wordseq: error: --eval-batch 0: must be an integer >= 1"),
        (["--level", "char", "--tokenizer", "word"], "wordseq: error: --tokenizer word: a character-level"),
        (["--tied", "--embed", "8"], "wordseq: error: --tied True: needs embed = hidden"),
    ],
)
def test_cli_config_errors_name_the_option(tmp_path, run_cli, flags, expected):
    r = run_cli("lm", "train", str(_corpus(tmp_path, 30)), "-o", str(tmp_path / "m.wsq"), *flags)
    assert r.stderr.startswith(expected) and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.wsq").exists()


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
    full, resumed = NeuralLM.load(tmp_path / "full.wsq").network, NeuralLM.load(part).network
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_cli_precision_defaults_to_the_hardware_and_fp32_opts_out(tmp_path, run_cli):
    from wordseq.train.precision import fast_bf16

    train = _corpus(tmp_path)
    r = run_cli("lm", "train", str(train), "-o", str(tmp_path / "d.wsq"), "--epochs", "1", *SMALL)
    assert r.returncode == 0, r.stderr
    default = NeuralLM.load(tmp_path / "d.wsq")
    assert default.config.train.bf16 is fast_bf16("cpu")
    assert ("bfloat16 products, the default" in r.stdout) is fast_bf16("cpu")
    assert default.provenance["precision"] == ("bfloat16 products, float32 weights" if fast_bf16() else "float32")
    r = run_cli("lm", "train", str(train), "-o", str(tmp_path / "f.wsq"), "--epochs", "1", "--fp32", *SMALL)
    assert r.returncode == 0 and "precision: float32 (--fp32)" in r.stdout
    assert NeuralLM.load(tmp_path / "f.wsq").config.train.bf16 is False
    with pytest.raises(SystemExit) as stop:
        run_cli("lm", "train", str(train), "-o", str(tmp_path / "x.wsq"), "--bf16", "--fp32", *SMALL)
    assert stop.value.code == 2
    # --resume alone continues in the checkpoint's precision; asking for the other one is refused by name
    r = run_cli("lm", "train", str(train), "-o", str(tmp_path / "f.wsq"), "--epochs", "2", "--resume", *SMALL)
    assert r.returncode == 0 and "precision: float32, as the checkpoint was trained" in r.stdout, r.stderr
    r = run_cli("lm", "train", str(train), "-o", str(tmp_path / "f.wsq"), "--epochs", "3", "--resume", "--bf16", *SMALL)
    assert r.returncode == 1 and "cannot resume" in r.stderr and "bf16: False in the checkpoint, True now" in r.stderr


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
    assert "bits/char" in r.stdout and "bits per character" in r.stdout.split("test:")[1]
    assert NeuralLM.load(tmp_path / "c.wsq").config.level == "char"


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
    assert "cannot resume" in r.stderr and "config.embed: 16 in the checkpoint, 24 now" in r.stderr

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


def test_build_network_makes_the_window_model():
    model = build_network(NeuralLMConfig(model="window", context=3, embed=8, hidden=16), 30)
    logits, _state = model(torch.randint(0, 30, (2, 5)), model.init_state(2))
    assert logits.shape == (2, 5, 30) and model.context == 3


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
    assert NeuralLM.load(tmp_path / "lstm.wsq").config.level == "word"
    assert ctx.results["neural"]["perplexity"] == pytest.approx(ppl, abs=0.05)
