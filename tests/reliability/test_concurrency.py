"""Concurrency: processes encoding the same corpus into the shared encoding cache at once all get the same
encoding (and leave a cache entry that reads back the same); a reader opening a model file while another
process replaces it over and over always sees the old or the new file whole, never an error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from crash import env, write_corpus

from wordseq.embed.formats import read_vectors, write_vectors

ENCODE = """
import hashlib, sys
import numpy as np
from wordseq.text.encode import encode_corpus
enc = encode_corpus(sys.argv[1], min_count=1, cache=sys.argv[2] == "cache")
h = hashlib.blake2b(np.asarray(enc.ids).tobytes())
h.update("\\n".join(enc.vocab.itos).encode() + enc.vocab.counts.tobytes())
print(h.hexdigest(), enc.cached)
"""


def _encoders(corpus: Path, n: int, cache_dir: Path, cache: bool = True) -> list[tuple[str, str]]:
    e = env()
    e["WORDSEQ_CACHE"] = str(cache_dir)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ENCODE, str(corpus), "cache" if cache else "no"],
            env=e,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        digest, cached = out.split()
        results.append((digest, cached))
    return results


@pytest.mark.parametrize("rounds", [pytest.param(1, id="fast"), pytest.param(20, id="soak", marks=pytest.mark.soak)])
def test_processes_encoding_into_one_cache_at_once(tmp_path, rounds, reliability_report):
    cache = tmp_path / "cache"
    encodings = 0
    for r in range(rounds):
        corpus = write_corpus(tmp_path / f"corpus{r}.txt", lines=20000, seed=r)
        ((expected, _),) = _encoders(corpus, 1, tmp_path / "elsewhere", cache=False)
        together = _encoders(corpus, 4, cache)
        encodings += len(together)
        assert {d for d, _ in together} == {expected}
        ((again, cached),) = _encoders(corpus, 1, cache)  # the entry they left reads back whole
        assert again == expected and cached == "True"
        assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary files left
    reliability_report["concurrent_encodings"] = encodings


REPLACER = """
import sys, time
import numpy as np
from wordseq.embed.formats import write_vectors
path, fmt, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
words = [f"w{i}" for i in range(300)]
versions = [np.full((300, 16), v, dtype=np.float32) for v in (1.0, 2.0)]
t0, n = time.monotonic(), 0
while time.monotonic() - t0 < seconds:
    write_vectors(path, words, versions[n % 2], np.arange(300), fmt)
    n += 1
print(n)
"""


@pytest.mark.parametrize(
    "fmt,seconds",
    [
        ("wsq", 3),
        ("word2vec", 3),
        pytest.param("wsq", 60, marks=pytest.mark.soak, id="wsq-soak"),
        pytest.param("word2vec-bin", 60, marks=pytest.mark.soak, id="bin-soak"),
    ],
)
def test_reader_sees_old_or_new_file_while_it_is_replaced(tmp_path, fmt, seconds, reliability_report):
    path = tmp_path / ("model.wsq" if fmt == "wsq" else "vectors.txt" if fmt == "word2vec" else "vectors.bin")
    write_vectors(path, [f"w{i}" for i in range(300)], np.zeros((300, 16), np.float32), np.arange(300), fmt)
    writer = subprocess.Popen(
        [sys.executable, "-c", REPLACER, str(path), fmt, str(seconds)], env=env(), stdout=subprocess.PIPE, text=True
    )
    seen: dict[float, int] = {}
    reads = 0
    while writer.poll() is None:
        data = read_vectors(path, fmt)  # any error here fails the test
        values = set(np.unique(data.matrix).tolist())
        assert len(values) == 1 and len(data.words) == 300, "a file mixing two versions"
        value = values.pop()
        seen[value] = seen.get(value, 0) + 1
        reads += 1
        time.sleep(0.001)
    replaced = int(writer.communicate()[0])
    assert writer.returncode == 0
    assert reads > 10 and replaced > 10 and len(seen) >= 2, (reads, replaced, seen)
    reliability_report.update({"reads": reads, "replacements": replaced, "format": fmt})
