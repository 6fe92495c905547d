"""Where one whole word2vec process spends its time: wall and CPU seconds per phase, in one run.

    WORDSEQ_CACHE=$(mktemp -d) python bench/word2vec_phases.py SLICE.txt cbow ns 2 2

Arguments: corpus, arch (sg, cbow), loss (ns, hs, softmax), epochs, threads. The same steps as the child
process of ``bench/word2vec_vs_gensim.py`` (encode with the whitespace tokenizer, min_count 5, train with
dim 100, window 5, negative 5, sample 1e-3, seed 1, save the vectors), with a timestamp after each phase:
imports, the corpus hash, reading + tokenizing + counting, the vocabulary and the id file, importing the
kernel, the noise table, loading the compiled kernel, training, saving. Use a fresh ``WORDSEQ_CACHE`` so
the encoding is timed, and run it once before to fill numba's cache (otherwise the kernel load is a compile).
"""

import time

T0, C0 = time.perf_counter(), time.process_time()
marks: list[tuple[str, float, float]] = []


def mark(name: str) -> None:
    marks.append((name, time.perf_counter(), time.process_time()))


import importlib
import json
import sys
import tempfile

import numpy as np

import wordseq.embed.word2vec as W
import wordseq.text.encode as E
from wordseq.embed import Word2Vec, Word2VecConfig
from wordseq.text.tokenize import Tokenizer

mark("imports")


def wrap(mod, name: str, label: str) -> None:
    """Time calls of ``mod.name``: the time before the call is marked 'other', the call itself ``label``."""
    real = getattr(mod, name)

    def timed(*a, **k):
        mark("")
        r = real(*a, **k)
        mark(label)
        return r

    setattr(mod, name, timed)


def main() -> None:
    corpus, arch, loss, epochs, threads = sys.argv[1:6]
    wrap(E, "fingerprint", "corpus hash")
    wrap(E, "_first_pass", "read + tokenize + count")
    enc = E.encode_corpus(corpus, Tokenizer("whitespace"), min_count=5)
    mark("vocabulary + writing the ids")
    loaded = []
    real_release = W._release_llvm_code

    def release() -> None:  # fit calls this right after importing the kernel, then after loading it
        if not loaded:
            K = importlib.import_module("wordseq.embed._w2v_kernel")
            mark("importing the kernel module")
            wrap(K, "alias_table", "noise table")
            real = K.train_chunk

            def first_call(*a):
                r = real(*a)
                if not loaded:
                    loaded.append(True)
                    mark("loading the compiled kernel")
                return r

            K.train_chunk = first_call
        real_release()

    W._release_llvm_code = release
    cfg = Word2VecConfig(arch=arch, loss=loss, dim=100, window=5, negative=5, sample_threshold=1e-3,
                         epochs=int(epochs), threads=int(threads), seed=1)  # fmt: skip
    m = Word2Vec(cfg).fit(enc, progress=False)
    mark("training")
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/vectors.npy", m.vectors.vectors)
        with open(f"{tmp}/vectors.words", "w") as f:
            f.write("\n".join(m.vectors.words))
    mark("writing the vectors")
    rows, prev = [], (T0, C0)
    for name, t, c in marks:
        rows.append((name or "other", round(t - prev[0], 3), round(c - prev[1], 3)))
        prev = (t, c)
    out = {
        "phases (name, wall s, CPU s)": [r for r in rows if r[1] > 0.0005],
        "epochs wall s": [round(h["seconds"], 3) for h in m.history],
        "total wall s": round(time.perf_counter() - T0, 3),
        "total CPU s": round(time.process_time() - C0, 3),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
