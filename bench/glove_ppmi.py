"""GloVe and PPMI+SVD on the first 10 M wiki tokens: speed beside Stanford's GloVe, and quality.

    flock /tmp/wordseq-bench.lock python bench/glove_ppmi.py [--tokens 10000000] [--epochs 15] [--out DIR]

The first ``--tokens`` tokens of the wiki train split (lowercased, split on non-alphanumerics) are written
once to a text file, one paragraph per line (the same slice as bench/word2vec_vs_gensim.py). wordseq reads
it with the whitespace tokenizer, min_count 5, into a fresh cache, then:

- GloVe: co-occurrence counting (window 10, symmetric, 1/distance weighting, 2 threads), then ``--epochs``
  iterations (dim 100, x_max 100, weighting exponent 0.75, learning rate 0.05, 2 threads); time per iteration and counting time
  are printed beside Stanford GloVe's C figures on this slice quoted in issue 3 (37 s per iteration, 29 s
  for ``cooccur`` + ``shuffle``, 2 threads; not rerun here: the C tool is not installed);
- PPMI+SVD: window 5, no distance weighting, context smoothing 0.75, dim 100, eigenvalue weighting 0.5.

Each runs in its own subprocess (peak memory is the child's ru_maxrss). Quality: Google analogy accuracy
(gensim's rules, 300,000 words; wordseq's evaluation equals gensim's, see bench/analogy_eval.py),
SimLex-999 and WordSim-353 Spearman. The vectors are kept in ``--out`` for bench/analogy_eval.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from wiki_slice import write_slice

DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))

CHILD = """
import sys, time, json, resource
t0 = time.perf_counter()
from wordseq.text.encode import encode_corpus
from wordseq.text.tokenize import Tokenizer
method, corpus, out, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
enc = encode_corpus(corpus, Tokenizer("whitespace"), min_count=5)
t1 = time.perf_counter()
res = {"tokens": enc.tokens, "words": len(enc.vocab) - enc.vocab.n_specials, "encode_s": t1 - t0}
if method == "glove":
    from wordseq.embed import GloVe, GloVeConfig
    cfg = GloVeConfig(dim=100, window=10, x_max=100, weighting_exponent=0.75, lr=0.05, epochs=epochs, threads=2, seed=1)
    m = GloVe(cfg).fit(enc)
    res.update(cooccur_s=m.cooccur_seconds, setup_s=m.setup_seconds, entries=m.entries,
               epoch_s=[h["seconds"] for h in m.history], losses=m.losses)
else:
    from wordseq.embed import PPMIConfig, PPMISVD
    m = PPMISVD(PPMIConfig(dim=100, window=5, context_smoothing=0.75, eig=0.5, threads=2, seed=1)).fit(enc)
    h = m.history[0]
    res.update(cooccur=h["cooccur_seconds"], ppmi_svd=h["ppmi_svd_seconds"])
m.save(out)
res["total_s"] = time.perf_counter() - t0
res["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(res))
"""


def run_child(method: str, corpus: Path, out: Path, epochs: int, env: dict) -> dict:
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-c", CHILD, method, str(corpus), str(out), str(epochs)],
        capture_output=True,
        text=True,
        env=env,
    )
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["wall"] = time.perf_counter() - t
    return r


def quality(path: Path, data: Path) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from wordseq.embed import load_vectors

    v = load_vectors(path)
    a = v.evaluate_analogies(data / "google_analogy" / "questions-words.txt")
    sem, syn = a.semantic_syntactic()
    out = {"analogy": a.accuracy, "semantic": sem, "syntactic": syn, "analogy_n": a.total}
    for name, f in (("simlex", "EN-SIMLEX-999.txt"), ("ws353", "EN-WS-353-ALL.txt")):
        out[name] = v.evaluate_similarity(data / "word_similarity" / f).spearman
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--tokens", type=int, default=10_000_000)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--slice", type=Path, help="reuse this slice file (written if absent)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "wordseq-bench-vectors")
    args = ap.parse_args()
    src = args.data / "wiki" / "train.txt.xz"
    if not src.exists():
        raise SystemExit(f"benchmark data {src} not found (set WORDSEQ_DATA)")
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = args.slice or args.out / f"wiki-{args.tokens}.txt"
    if not corpus.exists():
        n = write_slice(src, args.tokens, corpus)
        print(f"slice: {n:,} tokens -> {corpus}", flush=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env["WORDSEQ_CACHE"] = cache
        # fill numba's on-disk cache first, so compilation is not timed
        tiny = Path(cache) / "tiny.txt"
        tiny.write_text(("a b c d e f g h i j " * 20 + "\n") * 20)
        run_child("glove", tiny, Path(cache) / "t.wsq", 1, dict(env, WORDSEQ_CACHE=cache + "/warm"))
        for method in ("glove", "ppmi"):
            out = args.out / f"{method}.wsq"
            r = run_child(method, corpus, out, args.epochs, env)
            r.update(quality(out, args.data))
            results[method] = r
            print(method, json.dumps(r), flush=True)

    g, p = results["glove"], results["ppmi"]
    per_iter = sum(g["epoch_s"]) / len(g["epoch_s"])
    print()
    print(f"date {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores (shared)")
    print(f"corpus: {g['tokens']:,} tokens, {g['words']:,} words (min_count 5); co-occurrence entries {g['entries']:,}")
    print()
    print("| | wordseq | Stanford GloVe C (issue 3) | ratio |")
    print("|---|---|---|---|")
    print(
        f"| co-occurrence counting (window 10) | {g['cooccur_s']:.1f} s | 29 s (cooccur + shuffle) | "
        f"{29 / g['cooccur_s']:.1f}x faster |"
    )
    print(f"| GloVe time per iteration (2 threads) | {per_iter:.1f} s | 37 s | {37 / per_iter:.1f}x faster |")
    print()
    print("| model | total wall | peak RSS | Google analogy | semantic | syntactic | SimLex-999 | WS-353 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in ((f"GloVe, {args.epochs} iterations", g), ("PPMI+SVD", p)):
        print(
            f"| {name} | {r['wall']:.0f} s | {r['rss_mb']:.0f} MB | {100 * r['analogy']:.1f}% | "
            f"{100 * r['semantic']:.1f}% | {100 * r['syntactic']:.1f}% | {r['simlex']:.3f} | {r['ws353']:.3f} |"
        )
    print()
    print("GloVe loss per iteration: " + " ".join(f"{x:.4f}" for x in g["losses"]))
    print(f"PPMI+SVD: counting {p['cooccur']:.1f} s, PPMI + SVD {p['ppmi_svd']:.1f} s")


if __name__ == "__main__":
    main()
