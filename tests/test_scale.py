"""Counting past one machine's memory and on many machines gives exactly the model of one in-memory process:
n-gram counts within a tiny memory budget (many runs spilled and merged), n-gram counts on a local Dask
cluster of two workers, co-occurrence counts within a budget; and the errors of the options."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wordseq.cli import main
from wordseq.embed.cooccur import CooccurConfig, count_cooccurrences
from wordseq.errors import WordseqError
from wordseq.lm.ngram import NgramModel
from wordseq.lm.ngram.counts import count_ngrams
from wordseq.lm.ngram.estimate import count_of_counts
from wordseq.lm.ngram.external import MIN_SHARE, count_ngrams_external, plan, share
from wordseq.text import mapped
from wordseq.text.extsort import RunSpiller, parse_memory
from wordseq.text.vocab import Vocab


def _sentences(n: int, seed: int = 0, words: int = 300) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(f"w{int(x) % words}" for x in rng.zipf(1.4, size=rng.integers(1, 25))) for _ in range(n)]


def _corpus(n: int, seed: int = 0):
    sents = [s.split() for s in _sentences(n, seed)]
    vocab = Vocab.build(sents)
    eos = vocab.stoi["</s>"]
    ids = np.concatenate([np.append(vocab.encode(s), eos) for s in sents]).astype(np.int32)
    return ids, vocab


def _same_counts(a, b) -> None:
    assert a.order == b.order and a.tokens == b.tokens and a.sentences == b.sentences
    for n in range(1, a.order + 1):
        for name in ("keys", "counts", "suffix", "bos_first"):
            x, y = getattr(a, name)[n], getattr(b, name)[n]
            if x is None:
                assert y is None
                continue
            assert x.dtype == y.dtype, (name, n)
            np.testing.assert_array_equal(x, y, err_msg=f"{name}[{n}]")


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_external_counts_equal_in_memory_counts_with_many_spills(order):
    ids, vocab = _corpus(3000)
    stats: dict = {}
    ext = count_ngrams_external(ids, vocab, order, "600K", stats=stats)
    _same_counts(count_ngrams(ids, vocab, order), ext)
    if order >= 3:
        assert max(stats["spills"]) >= 2  # the budget really forced runs to disk


def test_external_last_line_without_eos_and_chunks_inside_sentences():
    ids, vocab = _corpus(400, seed=3)
    ids = ids[:-1]  # the last line has no </s>
    _same_counts(count_ngrams(ids, vocab, 4), count_ngrams_external(ids, vocab, 4, 2 * 256 * 1024))


def _arpa(model: NgramModel, path) -> bytes:
    model.save(path)
    return path.read_bytes()


def test_memory_budget_and_two_dask_workers_write_the_in_memory_arpa(tmp_path):
    sents = _sentences(1500, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _arpa(NgramModel(order=4).fit(sents), tmp_path / "ref.arpa")
        spilled = _arpa(NgramModel(order=4).fit(sents, memory="600K"), tmp_path / "mem.arpa")
        dask = _arpa(NgramModel(order=4).fit(sents, workers=2), tmp_path / "dask.arpa")
    assert spilled == ref
    assert dask == ref
    assert ref.count(b"\n") > 10000  # a model with some substance


def test_cli_memory_and_workers(tmp_path, capsys):
    corpus = tmp_path / "train.txt"
    corpus.write_text("\n".join(_sentences(800, seed=2)) + "\n")
    out = {}
    for name, extra in (("ref", []), ("mem", ["--memory", "600K"])):
        path = tmp_path / f"{name}.arpa"
        assert main(["lm", "ngram", str(corpus), "--order", "3", "-o", str(path), "--no-cache", *extra]) == 0
        out[name] = path.read_bytes()
    assert out["mem"] == out["ref"]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--memory", "1X"], "--memory 1X: expected a size like 512M or 2G"),
        (["--memory", "10K"], "too small to hold one chunk"),
        (["--dask", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
        (["--workers", "0"], "--workers 0: must be an integer >= 1"),
    ],
)
def test_cli_scale_errors_are_one_line(tmp_path, capsys, monkeypatch, flags, message):
    import wordseq.lm.ngram.distributed as distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "2s")
    corpus = tmp_path / "train.txt"
    corpus.write_text("a b c\nb c d\n")
    rc = main(["lm", "ngram", str(corpus), "--order", "2", "-o", str(tmp_path / "m.arpa"), "--no-cache", *flags])
    err = capsys.readouterr().err
    assert rc != 0
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("symmetric, weighted", [(True, True), (False, True), (True, False)])
def test_cooccurrences_with_spills_equal_in_memory(monkeypatch, symmetric, weighted):
    rng = np.random.default_rng(0)
    stream = (rng.zipf(1.3, size=40000) % 1500).astype(np.int32)
    stream[rng.random(len(stream)) < 0.05] = -1
    base = dict(
        window=7, symmetric=symmetric, distance_weighting=weighted, max_product=400, chunk_tokens=1500, threads=2
    )
    spills = []
    original = RunSpiller.spill

    def counting_spill(self):
        spills.append(1)
        original(self)

    monkeypatch.setattr(RunSpiller, "spill", counting_spill)
    a = count_cooccurrences(stream, 1500, CooccurConfig(**{**base, "threads": 1}))
    b = count_cooccurrences(stream, 1500, CooccurConfig(**base, memory="2M"))  # 2 threads
    assert len(spills) >= 2  # runs written while counting, and the rest before the merge
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)  # bit for bit: the overflow sums are exact integers
    # and the counts are right: one pair counted by hand
    w, c = int(stream[10]), int(stream[9])
    if w >= 0 and c >= 0:
        assert a[w, c] > 0


def test_cooccurrence_budget_too_small():
    with pytest.raises(WordseqError, match="too small to hold one chunk"):
        count_cooccurrences(np.arange(100, dtype=np.int32), 100, CooccurConfig(memory="64K"))


@pytest.mark.parametrize(
    "text, size",
    [("512M", 512 << 20), ("2G", 2 << 30), ("1.5g", 3 << 29), ("800K", 800 << 10), ("1000", 1000), ("2GiB", 2 << 30)],
)
def test_parse_memory(text, size):
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["1X", "", "G", "-1G", "0", "1 G B"])
def test_parse_memory_refuses(text):
    with pytest.raises(WordseqError, match="expected a size like 512M or 2G"):
        parse_memory(text)


@settings(max_examples=40, deadline=None)
@given(
    blocks=st.lists(st.lists(st.integers(0, 200), max_size=60), max_size=25),
    budget=st.integers(12, 2000),
    block=st.integers(1, 50),
)
def test_spilled_runs_merge_to_the_sums(tmp_path_factory, blocks, budget, block):
    directory = tmp_path_factory.mktemp("runs")
    spiller = RunSpiller(str(directory), budget, np.int32, block=block)
    expect: dict[int, int] = {}
    for raw in blocks:
        keys, counts = np.unique(np.array(raw, np.int64), return_counts=True)
        spiller.add(keys, counts.astype(np.int32))
        for k, c in zip(keys.tolist(), counts.tolist()):
            expect[k] = expect.get(k, 0) + c
    got = list(spiller.merged())
    keys = np.concatenate([k for k, _ in got]) if got else np.zeros(0, np.int64)
    values = np.concatenate([v for _, v in got]) if got else np.zeros(0, np.int32)
    assert keys.tolist() == sorted(expect)
    assert values.tolist() == [expect[k] for k in sorted(expect)]
    assert values.dtype == np.int32
    assert not list(directory.iterdir())  # the runs are removed once merged


@pytest.mark.parametrize("smoothing", ["mkn", "kn", "absolute"])
def test_estimate_with_tables_on_disk_equals_in_memory(tmp_path, monkeypatch, smoothing):
    import sys

    from wordseq.lm.ngram.estimate import estimate

    estimate_module = sys.modules["wordseq.lm.ngram.estimate"]  # the package exports the function by that name
    from wordseq.lm.ngram.external import disk_store

    monkeypatch.setattr(estimate_module, "SLICE", 1000)  # many slices per order, as on a large corpus
    ids, vocab = _corpus(1000, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = estimate(count_ngrams(ids, vocab, 4), smoothing)
        disk = estimate(count_ngrams_external(ids, vocab, 4, "600K"), smoothing, store=disk_store(str(tmp_path)))
    assert not list(tmp_path.iterdir())  # the files are unlinked while mapped
    assert ref.discounts == disk.discounts
    for n in range(1, 5):
        np.testing.assert_array_equal(ref.logprob[n], disk.logprob[n])
        if n < 4:
            np.testing.assert_array_equal(ref.logbow[n], disk.logbow[n])
    assert isinstance(disk.logprob[4], np.memmap)


def test_estimate_does_not_depend_on_the_slice_size(monkeypatch):
    """A memory budget estimates in smaller slices; a context's sums must not depend on where they fall."""
    import sys

    ids, vocab = _corpus(4000, seed=5)
    counts = count_ngrams(ids, vocab, 4)
    module = sys.modules["wordseq.lm.ngram.estimate"]
    tables = []
    for size in (1 << 22, 1000, 333):
        monkeypatch.setattr(module, "SLICE", size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables.append(module.estimate(counts, "mkn"))
    for other in tables[1:]:
        for n in range(1, 5):
            np.testing.assert_array_equal(other.logprob[n], tables[0].logprob[n])
            if n < 4:
                np.testing.assert_array_equal(other.logbow[n], tables[0].logbow[n])


def test_budget_leaves_out_what_the_process_holds():
    """--memory bounds the whole process: the count's share is the budget less the memory held already, but
    never under a quarter of it, nor under MIN_SHARE when the budget is larger than that."""
    M = 1 << 20
    assert share("256M", 170 * M) == 86 * M
    assert share("256M", 250 * M) == 64 * M  # a quarter at least
    assert share("4M", 100 * M) == MIN_SHARE  # a small budget still counts
    assert share("600K", 100 * M) == 600 << 10  # never more than the budget
    assert share("256M", 0) == 256 * M
    assert plan("256M", 170 * M)[0] < plan("256M")[0] and plan("256M", 170 * M)[1] < plan("256M")[1]
    if os.path.exists("/proc/self/status"):  # Linux: this process holds the interpreter at least
        assert mapped.anonymous() > 10 << 20


def test_count_of_counts_in_slices_equals_one_bincount():
    a = np.minimum(np.random.default_rng(0).zipf(1.5, size=(1 << 20) * 2 + 12345), 99).astype(np.int32)
    expected = np.bincount(np.minimum(a, 5), minlength=6)[:5]
    np.testing.assert_array_equal(count_of_counts(a), expected)
