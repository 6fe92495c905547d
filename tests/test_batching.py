import numpy as np
import pytest

from wordseq.errors import WordseqError
from wordseq.text.batching import bptt_windows, length_buckets, lm_streams, n_windows, pad_batch, sentences


def test_lm_streams_and_windows_cover_the_stream_once():
    ids = np.arange(103)
    streams = lm_streams(ids, 4)
    assert streams.shape == (4, 25)
    assert streams[1, 0] == 25  # each row is a contiguous piece of the corpus
    windows = list(bptt_windows(streams, 7))
    assert len(windows) == n_windows(streams, 7) == 4
    x = np.concatenate([w[0] for w in windows], axis=1)
    y = np.concatenate([w[1] for w in windows], axis=1)
    assert np.array_equal(x, streams[:, :-1]) and np.array_equal(y, streams[:, 1:])


def test_too_short_corpus_is_a_clear_error():
    with pytest.raises(WordseqError, match="too short"):
        lm_streams(np.arange(5), 4)
    with pytest.raises(WordseqError):
        list(bptt_windows(lm_streams(np.arange(10), 2), 0))


def test_pad_batch_and_sentences():
    batch, lengths = pad_batch([[1, 2, 3], [4], []], pad_id=0)
    assert batch.tolist() == [[1, 2, 3], [4, 0, 0], [0, 0, 0]] and lengths.tolist() == [3, 1, 0]
    assert [s.tolist() for s in sentences(np.array([5, 6, 3, 7, 3]), eos_id=3)] == [[5, 6], [7]]
    buckets = length_buckets(np.array([5, 1, 3, 2]), 2)
    assert [b.tolist() for b in buckets] == [[1, 3], [2, 0]]
