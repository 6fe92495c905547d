"""The word-vector step of ``wordseq demo``: vectors on the bundled Tiny Shakespeare, nearest neighbours of a
few words, and a PCA picture.

Lowercased word tokens of the training split; word2vec skip-gram with negative sampling when
``wordseq.embed.word2vec`` is present, and PPMI+SVD always (a count-based model that needs no training loop).
Both are saved to the output folder as ``.wsq`` files.
"""

from __future__ import annotations

import importlib.util
import time

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


def _neighbour_lines(vectors, words, topn: int = 6) -> list[str]:
    lines = []
    for w in words:
        if w in vectors:
            near = vectors.most_similar(w, topn=topn)
            lines.append(f"    {w:<8} " + ", ".join(n for n, _ in near))
    return lines


def embed_step(ctx) -> list[str]:
    from wordseq.embed.count_models import PPMISVD, PPMIConfig
    from wordseq.embed.formats import save_vectors
    from wordseq.text.encode import encode_corpus
    from wordseq.text.tokenize import Tokenizer

    tok = Tokenizer("word", lower=True, punctuation="drop")
    min_count = 5 if ctx.quick else 3
    enc = encode_corpus(ctx.train, tok, min_count=min_count, desc="encoding")
    n_words = len(enc.vocab) - enc.vocab.n_specials
    lines = [
        f"word vectors: Tiny Shakespeare train split, {enc.tokens:,} lowercased word tokens, "
        f"{n_words:,} words seen at least {min_count} times"
    ]
    models = {}

    if importlib.util.find_spec("wordseq.embed.word2vec") is not None:
        from wordseq.embed.word2vec import Word2Vec, Word2VecConfig

        cfg = Word2VecConfig(
            arch="sg",
            loss="ns",
            dim=32 if ctx.quick else 100,
            window=5,
            negative=5,
            sample=1e-3,
            epochs=1 if ctx.quick else 20,
            seed=ctx.seed,
            threads=ctx.threads or 2,
        )
        t = time.perf_counter()
        model = Word2Vec(cfg).fit(enc)
        dt = time.perf_counter() - t
        models["sgns"] = model.vectors
        loss = f", loss {model.losses[0]:.3f} -> {model.losses[-1]:.3f}" if getattr(model, "losses", None) else ""
        lines.append(
            f"  word2vec skip-gram, negative sampling: dim {cfg.dim}, window 5, {cfg.epochs} epochs [{dt:.1f} s{loss}]"
        )
    else:
        lines.append("  word2vec: not available in this build (wordseq.embed.word2vec missing); skipped")

    pcfg = PPMIConfig(dim=min(32 if ctx.quick else 100, n_words - 1), window=5, seed=ctx.seed, threads=ctx.threads)
    t = time.perf_counter()
    models["ppmi-svd"] = PPMISVD(pcfg).fit(enc).vectors
    lines.append(f"  PPMI (alpha 0.75) + SVD: dim {pcfg.dim}, window {pcfg.window} [{time.perf_counter() - t:.1f} s]")

    for name, vectors in models.items():
        path = ctx.output / f"vectors-{name}.wsq"
        save_vectors(vectors, path, config={"method": name}, provenance={"corpus": str(ctx.train)})
        lines.append(f"  nearest neighbours, {name} (written to {path.name}):")
        lines += _neighbour_lines(vectors, QUERY_WORDS)

    best = models["sgns"] if "sgns" in models else models["ppmi-svd"]
    ctx.results["vectors"] = best
    try:
        from wordseq.embed.plot import plot_words

        words = [w for w in PLOT_WORDS if w in best]
        png = plot_words(
            best,
            ctx.output / "vectors-pca.png",
            words=words,
            title=f"PCA of {len(words)} word vectors ({'sgns' if 'sgns' in models else 'ppmi-svd'}), Tiny Shakespeare",
        )
        lines.append(f"  PCA picture of {len(words)} words: {png.name}")
    except ImportError:
        lines.append("  PCA picture skipped (matplotlib is not installed: pip install 'wordseq[plot]')")
    return lines
