"""Data-parallel training: two CPU processes (torchrun, gloo) train the same model as one process does on the
same global batch, for the language models, the taggers, the translation models, the neural text classifiers
and the parsers."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from support import ROOT
from wordseq.lm.neural import NeuralLM, build_network
from wordseq.seq2seq import Seq2Seq
from wordseq.seq2seq.model import build_net
from wordseq.tag.model import load_tagger

needs_gloo = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(), reason="torch built without gloo"
)


def _corpus(path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(25)]
    path.write_text("\n".join(" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(200)) + "\n")
    return path


def _train(args, nproc, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "OMP_NUM_THREADS": "1",
        "WORDSEQ_CACHE": str(tmp_path / f"cache{nproc}"),
    }
    if nproc == 1:
        cmd = [sys.executable, "-m", "wordseq", *args]
    else:
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={nproc}",
            "-m",
            "wordseq",
            *args,
        ]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


@needs_gloo
def test_two_processes_match_one_on_the_same_global_batch(tmp_path):
    corpus = _corpus(tmp_path / "c.txt")
    common = [
        "lm",
        "train",
        str(corpus),
        "--valid",
        str(corpus),
        "--embed",
        "16",
        "--hidden",
        "16",
        "--layers",
        "2",
        "--batch",
        "8",
        "--bptt",
        "10",
        "--epochs",
        "2",
        "--optimizer",
        "sgd",
        "--lr",
        "1",
        "--momentum",
        "0.5",
        "--clip",
        "1",
        "--schedule",
        "step",
        "--decay-start",
        "1",
        "-q",
        "--threads",
        "1",
        "--fp32",  # equal to float rounding; bfloat16 products round each process's share differently
    ]
    one = _train(common + ["-o", str(tmp_path / "one.wsq")], 1, tmp_path)
    two = _train(common + ["-o", str(tmp_path / "two.wsq")], 2, tmp_path)
    one_lm = NeuralLM.load(tmp_path / "one.wsq")
    a, b = one_lm.network, NeuralLM.load(tmp_path / "two.wsq").network
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5, msg=name)
    # the per-epoch training losses (summed over both processes) agree too
    loss = lambda out: [
        line.split("train loss ")[1].split()[0] for line in out.stdout.splitlines() if "train loss" in line
    ]
    assert loss(one) == loss(two) and len(loss(one)) == 2
    # and training moved the weights well away from the shared initialization, so the match is not trivial
    torch.manual_seed(0)
    init = build_network(one_lm.config, len(one_lm.vocab))
    moved = max(float((p - q).abs().max()) for p, q in zip(a.state_dict().values(), init.state_dict().values()))
    assert moved > 1e-2


def _same_weights(a: dict, b: dict, start: dict) -> None:
    """Two state dicts agree to float precision, and training moved them well away from ``start``."""
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-5, msg=name)
    assert max(float((a[k].float() - start[k].float()).abs().max()) for k in a) > 1e-2


def _tagged(path, sentences, seed):
    """A CoNLL-U file whose tags follow from the words (with an ambiguous word resolved by its neighbour)."""
    rng = np.random.default_rng(seed)
    lexicon = {f"n{i}": "NOUN" for i in range(8)} | {f"v{i}": "VERB" for i in range(5)} | {"the": "DET", "a": "DET"}
    words = list(lexicon) + ["run"]
    out = []
    for _ in range(sentences):
        sent = list(rng.choice(words, rng.integers(2, 9)))
        lines = []
        for i, w in enumerate(sent, 1):
            tag = lexicon.get(w) or ("NOUN" if i > 1 and lexicon.get(sent[i - 2]) == "DET" else "VERB")
            lines.append(f"{i}\t{w}\t{w}\t{tag}\t_\t_\t_\t_\t_\t_")
        out.append("\n".join(lines) + "\n")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@needs_gloo
def test_tagger_two_processes_match_one(tmp_path):
    """``wordseq tag train`` (BiLSTM-CRF with character CNN features) under torchrun: each process takes half of
    every batch of 8 sentences (batches of unequal token counts: the losses are weighted by each share's
    tokens), and both end with the weights one process reaches on the whole batches."""
    train = _tagged(tmp_path / "train.conllu", 60, 0)
    dev = _tagged(tmp_path / "dev.conllu", 12, 1)
    common = ["tag", "train", str(train), "--dev", str(dev), "--column", "upos", "--model", "bilstm-crf"]
    common += ["--embed", "12", "--hidden", "12", "--char-embed", "8", "--char-hidden", "8", "--dropout", "0"]
    common += ["--word-dropout", "0", "--batch", "8", "--epochs", "2", "--optimizer", "sgd", "--lr", "0.1"]
    common += ["--momentum", "0.5", "--clip", "5", "--threads", "1", "-q"]
    _train(common + ["-o", str(tmp_path / "one.wsq")], 1, tmp_path)
    two = _train(common + ["-o", str(tmp_path / "two.wsq")], 2, tmp_path)
    assert two.stdout.count("wrote ") == 2  # the model and its learning curve, written once
    a, b = load_tagger(tmp_path / "one.wsq"), load_tagger(tmp_path / "two.wsq")
    torch.manual_seed(a.config.train.seed)  # the initial weights, built as fit builds them
    start = a._build_net().state_dict()
    _same_weights(a.net.state_dict(), b.net.state_dict(), start)
    losses = [[h["train_loss_nats"] for h in m.provenance["history"]] for m in (a, b)]
    assert len(losses[0]) == 2 and losses[0] == pytest.approx(losses[1], rel=1e-5)


@needs_gloo
def test_translation_two_processes_match_one(tmp_path):
    """``wordseq translate train`` under torchrun: each process takes half of every batch of 16 pairs (of unequal
    target lengths, so the losses are weighted by each share's tokens); validation runs in both."""
    rng = np.random.default_rng(0)
    letters = list("abcdefgh")
    src = [" ".join(rng.choice(letters, rng.integers(2, 7))) for _ in range(96)]
    (tmp_path / "s").write_text("\n".join(src) + "\n", encoding="utf-8")
    (tmp_path / "t").write_text("\n".join(" ".join(reversed(s.split())) for s in src) + "\n", encoding="utf-8")
    common = ["translate", "train", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t")]
    common += ["--valid-src", str(tmp_path / "s"), "--valid-tgt", str(tmp_path / "t"), "--tokenizer", "whitespace"]
    common += ["--embed", "16", "--hidden", "16", "--dropout", "0", "--batch", "16", "--epochs", "2"]
    common += ["--optimizer", "sgd", "--lr", "0.5", "--clip", "5", "--no-valid-bleu", "--threads", "1", "-q"]
    _train(common + ["-o", str(tmp_path / "one.wsq")], 1, tmp_path)
    two = _train(common + ["-o", str(tmp_path / "two.wsq")], 2, tmp_path)
    assert two.stdout.count("wrote ") == 1
    a, b = Seq2Seq.load(tmp_path / "one.wsq"), Seq2Seq.load(tmp_path / "two.wsq")
    torch.manual_seed(a.config.train.seed)  # the initial weights, built as fit builds them
    start = build_net(a.config, len(a.src_vocab), len(a.tgt_vocab)).state_dict()
    _same_weights(a.net.state_dict(), b.net.state_dict(), start)
    losses = [[h["train_loss_nats"] for h in m.history] for m in (a, b)]
    assert len(losses[0]) == 2 and losses[0] == pytest.approx(losses[1], rel=1e-5)


def _labelled(path, n, seed):
    """label<TAB>text lines whose label follows from a cue word among filler words."""
    rng = np.random.default_rng(seed)
    cues = {"pos": ["good", "great"], "neg": ["bad", "awful"]}
    fill = ["the", "film", "was", "a", "plot", "and", "it", "really", "very", "cast"]
    lines = []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = list(rng.choice(fill, rng.integers(1, 7)))
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(cues[label])))
        lines.append(f"{label}\t{' '.join(words)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _classifier_two_processes_match_one(tmp_path, options):
    from wordseq.classify import load_classifier

    train, dev = _labelled(tmp_path / "train.tsv", 60, 0), _labelled(tmp_path / "dev.tsv", 16, 1)
    common = ["classify", "train", str(train), "--dev", str(dev), "--embed", "8", "--dropout", "0", "--batch", "8"]
    common += ["--epochs", "2", "--optimizer", "sgd", "--lr", "0.5", "--threads", "1", "-q", *options]
    one = _train(common + ["-o", str(tmp_path / "one.wsq")], 1, tmp_path)
    two = _train(common + ["-o", str(tmp_path / "two.wsq")], 2, tmp_path)
    # the first process alone reports and writes the model
    assert two.stdout.count("dev accuracy") == one.stdout.count("dev accuracy") == 1
    assert two.stderr.count("model written to") == 1
    a, b = load_classifier(tmp_path / "one.wsq"), load_classifier(tmp_path / "two.wsq")
    torch.manual_seed(a.config.train.seed)  # the initial weights, built as fit builds them
    start = a._build(len(a.vocab)).state_dict()
    _same_weights(a.net.state_dict(), b.net.state_dict(), start)
    losses = [[h["train_loss_nats"] for h in m.history] for m in (a, b)]
    assert len(losses[0]) == 2 and losses[0] == pytest.approx(losses[1], rel=1e-5)


@needs_gloo
def test_cnn_classifier_two_processes_match_one(tmp_path):
    """``wordseq classify train --model cnn`` under torchrun: each process takes half of every batch of 8 texts,
    and both end with the weights one process reaches on the whole batches (max-norm constraint on)."""
    _classifier_two_processes_match_one(tmp_path, ["--model", "cnn", "--widths", "2,3", "--maps", "4"])


@needs_gloo
@pytest.mark.slow  # the same sharing as the CNN / biaffine tests, which run by default
def test_rnn_classifier_two_processes_match_one(tmp_path):
    """``wordseq classify train --model rnn`` (a BiGRU over packed sequences of unequal lengths) likewise."""
    _classifier_two_processes_match_one(tmp_path, ["--model", "rnn", "--cell", "gru", "--hidden", "8"])


def test_a_model_that_is_not_torch_trains_in_the_first_torchrun_process_alone(tmp_path, monkeypatch, capsys):
    """Under torchrun (seen here through its environment variables) the linear, NBSVM, fastText-style and
    mean-vector models are trained by the first process, which says so; the others stop at once, writing
    nothing (one code path for all four; the linear model is the quickest)."""
    from wordseq.cli import main

    train = _labelled(tmp_path / "train.tsv", 40, 0)
    model = "linear"
    args = ["classify", "train", str(train), "--model", model, "-q"]
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert main([*args, "-o", str(tmp_path / "rank1.wsq")]) == 0
    assert capsys.readouterr() == ("", "") and not (tmp_path / "rank1.wsq").exists()
    monkeypatch.setenv("RANK", "0")
    assert main([*args, "-o", str(tmp_path / "rank0.wsq")]) == 0
    err = capsys.readouterr().err
    assert f"note: --model {model} does not train data-parallel; the first of the 2 torchrun processes" in err
    assert (tmp_path / "rank0.wsq").exists()


EXCERPT = ROOT / "tests" / "data" / "parse" / "ewt-excerpt.conllu"  # 26 sentences, non-projective trees too


def _parsers_two_processes_match_one(tmp_path, options):
    common = ["parse", "train", str(EXCERPT), "--dev", str(EXCERPT), "--dropout", "0", "--epochs", "2"]
    common += ["--threads", "1", "-q", *options]
    one = _train(common + ["-o", str(tmp_path / "one.wsq")], 1, tmp_path)
    two = _train(common + ["-o", str(tmp_path / "two.wsq")], 2, tmp_path)
    assert two.stdout.count("wrote ") == one.stdout.count("wrote ") == 1  # the first process writes the model
    assert two.stdout.count("dev UAS") == one.stdout.count("dev UAS") == 1
    from wordseq.parse.files import load_parser

    return load_parser(tmp_path / "one.wsq"), load_parser(tmp_path / "two.wsq")


def _same_history(a, b) -> None:
    losses = [[h["train_loss_nats"] for h in m.history] for m in (a, b)]
    assert len(losses[0]) == 2 and losses[0] == pytest.approx(losses[1], rel=1e-5)
    assert [h["valid_las"] for h in a.history] == [h["valid_las"] for h in b.history]


@needs_gloo
def test_biaffine_parser_two_processes_match_one(tmp_path):
    """``wordseq parse train --model biaffine`` under torchrun: each process takes every other sentence of each
    batch of at most 100 tokens (shares of unequal word counts: the losses are weighted by them)."""
    from wordseq.parse.biaffine import _chunks, _make_net
    from wordseq.parse.treebank import read_treebank

    lengths = sorted(len(s) + 1 for s in read_treebank(EXCERPT))
    assert min(len(c) for c in _chunks(list(range(len(lengths))), lengths, 100)) >= 2  # no batch left out
    options = ["--model", "biaffine", "--embed", "16", "--hidden", "16", "--batch", "100"]
    a, b = _parsers_two_processes_match_one(tmp_path, options + ["--optimizer", "sgd", "--lr", "0.5"])
    torch.manual_seed(a.config.train.seed)  # the initial weights, built as fit builds them
    start = _make_net(len(a.words), len(a.chars), len(a.tags), len(a.labels), a.config).state_dict()
    _same_weights(a.net.state_dict(), b.net.state_dict(), start)
    _same_history(a, b)


@needs_gloo
@pytest.mark.slow  # the same sharing as the CNN / biaffine tests, which run by default
def test_chen_manning_parser_two_processes_match_one(tmp_path):
    """``wordseq parse train --model chen-manning`` under torchrun: each process takes half of every batch of
    64 oracle transitions. (Plain SGD and ReLU: AdaGrad's first steps divide tiny gradients by their own size,
    which turns float rounding into differences of 1e-5 in weights near 0.)"""
    from wordseq.parse.chen_manning import _make_net

    options = ["--model", "chen-manning", "--embed", "16", "--hidden", "32", "--batch", "64"]
    a, b = _parsers_two_processes_match_one(
        tmp_path, options + ["--optimizer", "sgd", "--lr", "2", "--activation", "relu"]
    )
    torch.manual_seed(a.config.train.seed)
    start = _make_net(len(a.words), len(a.tags), len(a.labels), a.system.n_actions, a.config).state_dict()
    _same_weights(a.net.state_dict(), b.net.state_dict(), start)
    _same_history(a, b)


def _as_rank(monkeypatch, rank, world=2):
    from wordseq.train import distributed as dist

    monkeypatch.setattr(dist, "world_size", lambda: world)
    monkeypatch.setattr(dist, "rank", lambda: rank)


def test_classify_batches_split_among_processes(monkeypatch):
    """Every process takes a disjoint share of each global batch, together the whole batch; a batch with fewer
    texts than processes is left out (its texts are in the next epoch's other batches)."""
    from wordseq.classify.neural import ClassifyTask

    texts = [np.array([i + 2]) for i in range(21)]  # text i is the word i + 2: the batches say which texts
    task = ClassifyTask(texts, np.arange(21) % 2, None, batch_size=4, seed=3)
    whole = [b[0][:, 0].tolist() for b in task.batches(1)]
    _as_rank(monkeypatch, 0)
    first = [b[0][:, 0].tolist() for b in task.batches(1)]
    _as_rank(monkeypatch, 1)
    second = [b[0][:, 0].tolist() for b in task.batches(1)]
    assert len(whole) == 6 and len(first) == len(second) == 5 and len(whole[-1]) == 1
    for w, a, b in zip(whole, first, second):
        assert sorted(a + b) == sorted(w) and len(a) == len(b) == 2 and a == w[0::2]


def test_parser_batches_split_among_processes(monkeypatch):
    """The biaffine parser's batches of sentences and Chen & Manning's batches of transitions: every process a
    disjoint share of each global batch, together the whole batch."""
    from types import SimpleNamespace

    from wordseq.parse import biaffine, chen_manning

    bi = object.__new__(biaffine._Task)
    bi.items = [([0] * (2 + k % 7), [], []) for k in range(40)]  # sentence k: 2 + k % 7 tokens with ROOT
    bi.parser, bi.seed = SimpleNamespace(config=SimpleNamespace(batch_tokens=30)), 1
    cm = chen_manning._Task(None, np.arange(45)[:, None], np.arange(45), None, None, batch_size=8, seed=1)
    for batches in (lambda: bi.batches(2), lambda: [y.tolist() for _, y in cm.batches(2)]):
        _as_rank(monkeypatch, 0, world=1)
        whole = batches()
        _as_rank(monkeypatch, 0)
        first = batches()
        _as_rank(monkeypatch, 1)
        second = batches()
        kept = [w for w in whole if len(w) >= 2]
        assert len(first) == len(second) == len(kept) > 3
        for w, a, b in zip(kept, first, second):
            assert a == w[0::2] and b == w[1::2]


# -- a lost process, in one process: a gloo group of one, and a task whose collective "fails" in epoch 2 --------


@pytest.fixture
def gloo_group(tmp_path, monkeypatch):
    """This process as a gloo process group of one (so that ``distributed.active()``); the SIGTERM handler and
    the module's lost-peer flag are put back afterwards."""
    import signal

    from wordseq.train import distributed as dist

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(dist, "_failed", False)
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    yield dist
    torch.distributed.destroy_process_group()
    signal.signal(signal.SIGTERM, before)


class _Lost:
    """A regression task whose second epoch fails as a collective operation does when a peer has died."""

    unit = "row"

    def __init__(self, error: BaseException):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(16, 3, generator=g)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5])
        self.error = error

    def batches(self, epoch):
        if epoch == 2:
            raise self.error
        return [slice(0, 8), slice(8, 16)]

    def start(self, model):
        return None

    def loss(self, model, batch, carry):
        return ((model(self.x[batch]).squeeze(1) - self.y[batch]) ** 2).mean(), 8, None

    def evaluate(self, model, split):
        return None


GLOO_CLOSED = (
    "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection closed by peer "
    "[127.0.0.1]:21892. This is typically caused by a remote worker crashing."
)


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (RuntimeError(GLOO_CLOSED), "(gloo: Connection closed by peer [127.0.0.1]:21892)"),
        (RuntimeError("[../gloo/pair.cc:1] Timed out waiting 5000ms for recv operation to complete"), "Timed out"),
        ("sigterm", "torchrun sent SIGTERM"),
    ],
)
def test_a_lost_peer_ends_fit_with_one_line_naming_the_checkpoint(gloo_group, tmp_path, error, cause):
    from wordseq.train import TrainConfig, fit
    from wordseq.train.loop import TrainingStopped

    dist = gloo_group
    error = dist.PeerStopped(_sigterm_message(dist)) if error == "sigterm" else error
    ckpt = tmp_path / "m.ckpt"
    with pytest.raises(TrainingStopped) as e:
        fit(torch.nn.Linear(3, 1), _Lost(error), TrainConfig(epochs=3, lr=0.1), checkpoint=ckpt, log=None)
    message = str(e.value)
    assert "\n" not in message and cause in message, message
    assert message.startswith("training stopped: another training process of this torchrun job was lost")
    assert message.endswith(
        f"{ckpt} holds the model, optimizer, schedule and RNG state after epoch 1 of 3; "
        "run the same torchrun command with --resume to continue"
    )
    assert dist._failed  # the process group is not torn down (that could wait on the lost process)


def _sigterm_message(dist) -> str:
    """What the SIGTERM handler installed by ``distributed.init`` raises."""
    with pytest.raises(dist.PeerStopped) as e:
        dist._on_sigterm(15, None)
    return str(e.value)


def test_other_errors_under_torchrun_pass_through(gloo_group):
    from wordseq.train import TrainConfig, fit

    with pytest.raises(ValueError, match="a bug"):
        fit(torch.nn.Linear(3, 1), _Lost(ValueError("a bug")), TrainConfig(epochs=3, lr=0.1), log=None)
    for message in ("shape mismatch", "gloo does not support this operation"):  # a bug, not a lost process
        with pytest.raises(RuntimeError, match=message):
            fit(torch.nn.Linear(3, 1), _Lost(RuntimeError(message)), TrainConfig(epochs=3, lr=0.1), log=None)
    assert not gloo_group._failed


def test_outside_torchrun_a_gloo_message_is_no_lost_peer():
    from wordseq.train import distributed as dist

    assert not dist.active() and not dist.stopped_by_peer(RuntimeError(GLOO_CLOSED))


def test_dist_timeout_and_shares(monkeypatch):
    from wordseq.errors import WordseqError
    from wordseq.train import distributed as dist

    monkeypatch.delenv("WORDSEQ_DIST_TIMEOUT", raising=False)
    assert dist.timeout_s() == 600
    monkeypatch.setenv("WORDSEQ_DIST_TIMEOUT", "2.5")
    assert dist.timeout_s() == 2.5
    for bad in ("0", "-3", "soon"):
        monkeypatch.setenv("WORDSEQ_DIST_TIMEOUT", bad)
        with pytest.raises(WordseqError, match="WORDSEQ_DIST_TIMEOUT"):
            dist.timeout_s()
    assert dist.share([4, 5, 6]) == [4, 5, 6]  # one process: the whole batch
    monkeypatch.setattr(dist, "world_size", lambda: 2)
    monkeypatch.setattr(dist, "rank", lambda: 1)
    assert dist.share([4, 5, 6, 7, 8]) == [5, 7]
    assert dist.shares([[1, 2, 3], [9], [4, 5]]) == [[2], [5]]  # a batch smaller than the processes is left out
