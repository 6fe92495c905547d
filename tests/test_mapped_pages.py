"""Pages of memory-mapped files released under a memory budget: the resident set drops, the data stay."""

from __future__ import annotations

import numpy as np
import pytest

from wordseq.lm.ngram import external
from wordseq.lm.ngram.counts import count_ngrams
from wordseq.lm.ngram.external import count_ngrams_external
from wordseq.text import mapped
from wordseq.text.vocab import Vocab

pytestmark = pytest.mark.skipif(mapped.resident() == 0, reason="needs /proc/self/statm (Linux)")

MB = 1 << 20


@pytest.fixture(autouse=True)
def no_limit():
    mapped.set_limit(None)
    yield
    mapped.set_limit(None)


def _file(tmp_path, mode):
    path = tmp_path / "table.npy"
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.int64, shape=(8 * MB,))  # 64 MB
    arr[:] = np.arange(len(arr))
    arr.flush()
    del arr
    return np.load(path, mmap_mode=mode)


def test_trim_releases_the_pages_read_and_keeps_the_data(tmp_path):
    arr = mapped.track(_file(tmp_path, "r"))
    before = mapped.resident()
    total = int(arr.sum())  # every page read: about 64 MB more resident
    read = mapped.resident()
    assert read - before > 48 * MB
    assert not mapped.trim()  # no limit set: nothing released
    assert mapped.trim(force=True)
    assert read - mapped.resident() > 48 * MB
    assert int(arr.sum()) == total  # read again from the file: the same numbers


def test_trim_keeps_what_was_written_through_a_shared_mapping(tmp_path):
    arr = mapped.track(_file(tmp_path, "r+"))
    arr[::512] = -7  # a write on every page
    mapped.trim(force=True)
    assert (arr[::512] == -7).all() and arr[1] == 1
    arr.flush()
    assert (np.load(tmp_path / "table.npy", mmap_mode="r")[::512] == -7).all()


def test_copy_on_write_mappings_are_never_released(tmp_path):
    arr = mapped.track(_file(tmp_path, "c"))
    arr[::512] = -7  # changes held only in this process's pages
    mapped.trim(force=True)
    assert (arr[::512] == -7).all()
    assert mapped.track(np.zeros(3)) is not None  # anything else passes through, untracked


def test_trim_acts_only_above_the_limit(tmp_path):
    arr = mapped.track(_file(tmp_path, "r"))
    arr.sum()
    mapped.set_limit(mapped.resident() + 256 * MB)
    assert not mapped.trim()
    assert mapped.trim(ahead=512 * MB)  # a step about to read 512 MB more would pass the limit
    mapped.set_limit(MB)
    assert mapped.trim()


def test_counts_within_a_tiny_budget_trim_and_stay_exact(monkeypatch):
    monkeypatch.setattr(external, "PAGE_SLACK", 0)
    rng = np.random.default_rng(3)
    sents = [[f"w{int(x) % 200}" for x in rng.zipf(1.4, size=rng.integers(1, 25))] for _ in range(3000)]
    vocab = Vocab.build(sents)
    eos = vocab.stoi["</s>"]
    ids = np.concatenate([np.append(vocab.encode(s), eos) for s in sents]).astype(np.int32)
    trims = mapped.trims
    ext = count_ngrams_external(ids, vocab, 4, "3M")
    assert mapped.limit() == 3 * MB and mapped.trims > trims  # the process is far above 3 MB: it trimmed
    ref = count_ngrams(ids, vocab, 4)
    for n in range(2, 5):
        for name in ("keys", "counts", "suffix", "bos_first"):
            np.testing.assert_array_equal(np.asarray(getattr(ext, name)[n]), getattr(ref, name)[n])
