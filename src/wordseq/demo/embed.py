"""The word-vector step of ``wordseq demo``: vectors on the bundled Tiny Shakespeare, nearest neighbours of a
few words, and a PCA picture.

Lowercased word tokens of the training split; word2vec skip-gram with negative sampling and PPMI+SVD (a
count-based model that needs no training loop). Both are saved to the output folder as ``.wsq`` model files.
"""

from __future__ import annotations

import time
from typing import Any

from wordseq.embed import PPMISVD, PPMIConfig, Vectors, Word2Vec, Word2VecConfig
from wordseq.embed.base import VectorModel
from wordseq.text.encode import encode_corpus
from wordseq.text.tokenize import Tokenizer

QUERY_WORDS = ["king", "love", "good", "romeo", "death", "father"]
PLOT_WORDS = [
    "king",
    "queen",
    "prince",
    "duke",
    "lord",
    "lady",
    "father",
    "mother",
    "son",
    "daughter",
    "brother",
    "sister",
    "love",
    "hate",
    "good",
    "bad",
    "romeo",
    "juliet",
    "day",
    "night",
    "heaven",
    "earth",
    "sword",
    "crown",
    "sweet",
    "fair",
    "die",
    "live",
]


def _neighbour_lines(vectors: Vectors, words: list[str], topn: int = 6) -> list[str]:
    lines = []
    for w in words:
        if w in vectors:
            near = vectors.most_similar(w, topn=topn)
            lines.append(f"    {w:<8} " + ", ".join(n for n, _ in near))
    return lines


def embed_step(ctx: Any) -> list[str]:
    tok = Tokenizer("word", lower=True, punctuation="drop")
    min_count = 5 if ctx.quick else 3
    enc = encode_corpus(ctx.train, tok, min_count=min_count, desc="encoding")
    n_words = len(enc.vocab) - enc.vocab.n_specials
    lines = [
        f"word vectors: Tiny Shakespeare train split, {enc.tokens:,} lowercased word tokens, "
        f"{n_words:,} words seen at least {min_count} times"
    ]
    fitted: dict[str, VectorModel[Any]] = {}

    cfg = Word2VecConfig(
        arch="sg",
        loss="ns",
        dim=32 if ctx.quick else 100,
        window=5,
        negative=5,
        sample_threshold=1e-3,
        epochs=1 if ctx.quick else 20,
        min_count=min_count,
        seed=ctx.seed,
        threads=ctx.threads or 2,
    )
    t = time.perf_counter()
    w2v = Word2Vec(cfg).fit(enc)
    dt = time.perf_counter() - t
    fitted["sgns"] = w2v
    loss = f", loss {w2v.losses[0]:.3f} -> {w2v.losses[-1]:.3f}"
    lines.append(
        f"  word2vec skip-gram, negative sampling: dim {cfg.dim}, window 5, {cfg.epochs} epochs [{dt:.1f} s{loss}]"
    )

    pcfg = PPMIConfig(
        dim=min(32 if ctx.quick else 100, n_words - 1),
        window=5,
        min_count=min_count,
        seed=ctx.seed,
        threads=ctx.threads,
    )
    t = time.perf_counter()
    fitted["ppmi-svd"] = PPMISVD(pcfg).fit(enc)
    lines.append(
        f"  PPMI (context smoothing {pcfg.context_smoothing}) + SVD: dim {pcfg.dim}, window {pcfg.window} "
        f"[{time.perf_counter() - t:.1f} s]"
    )

    models: dict[str, Vectors] = {}
    for name, model in fitted.items():
        model.provenance["corpus"] = str(ctx.train)
        path = model.save(ctx.output / f"vectors-{name}.wsq")
        vectors = model.vectors
        assert vectors is not None
        models[name] = vectors
        lines.append(f"  nearest neighbours, {name} (written to {path.name}):")
        lines += _neighbour_lines(vectors, QUERY_WORDS)

    best = models["sgns"]
    ctx.results["vectors"] = best
    try:
        from wordseq.embed.plot import plot_words

        words = [w for w in PLOT_WORDS if w in best]
        png = plot_words(
            best,
            ctx.output / "vectors-pca.png",
            words=words,
            title=f"PCA of {len(words)} word vectors (sgns), Tiny Shakespeare",
        )
        lines.append(f"  PCA picture of {len(words)} words: {png.name}")
    except ImportError:
        lines.append("  PCA picture skipped (matplotlib is not installed: pip install 'wordseq[plot]')")
    return lines
