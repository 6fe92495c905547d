"""word2vec: wordseq against gensim's ``Word2Vec``, whole process from the same text file, same settings.

    flock /tmp/wordseq-bench.lock python bench/word2vec_vs_gensim.py [--tokens 10000000] [--settings sg-ns,cbow-ns,sg-hs]

The first ``--tokens`` tokens of the wiki train split (lowercased, split on non-alphanumerics) are written
once to a temporary text file, one paragraph per line, tokens separated by spaces; both tools read that
file (gensim through ``LineSentence``, wordseq through ``encode_corpus`` with the whitespace tokenizer and
a fresh cache, so vocabulary building and encoding are timed, not a cache hit). Each tool runs in its own
subprocess: wall time is the whole process (imports, vocabulary, encoding, training, writing the vectors),
peak memory is the child's own high-water mark (``VmHWM``; a child's ``ru_maxrss`` also counts the resident
set of this parent process when it was spawned, which grows once the scoring has loaded gensim). Both sets
of vectors are scored by gensim's own ``KeyedVectors.evaluate_word_analogies`` (restrict_vocab 300,000) and
``evaluate_word_pairs``, so the scoring is identical. dim 100, window 5, negative 5, sample 1e-3,
min_count 5, 2 threads each.

numba caches the compiled kernels on disk at first use (like an installed extension); a warm-up run on a
tiny corpus (and a call of the compiled tokenizer, which encodes corpora of 8 MB and more) fills that cache
before timing, so the timed runs do not include the one-time compilation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from wiki_slice import write_slice

DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
SETTINGS = {"sg-ns": ("sg", "ns"), "cbow-ns": ("cbow", "ns"), "sg-hs": ("sg", "hs")}

PEAK = """
def peak_mb():
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

OURS = (
    PEAK
    + """
import sys, time, json, resource, numpy as np
t0 = time.perf_counter()
from wordseq.text.encode import encode_corpus
from wordseq.text.tokenize import Tokenizer
from wordseq.embed import Word2Vec, Word2VecConfig
corpus, arch, loss, epochs, threads, out = sys.argv[1:7]
enc = encode_corpus(corpus, Tokenizer("whitespace"), min_count=5)
t1 = time.perf_counter()
cfg = Word2VecConfig(arch=arch, loss=loss, dim=100, window=5, negative=5, sample_threshold=1e-3, epochs=int(epochs),
                     threads=int(threads), seed=1)
m = Word2Vec(cfg).fit(enc, progress=False)
t2 = time.perf_counter()
np.save(out + ".npy", m.vectors.vectors)
with open(out + ".words", "w") as f:
    f.write("\\n".join(m.vectors.words))
print(json.dumps({"words": len(m.vectors), "tokens": enc.tokens, "prep_s": t1 - t0, "train_s": t2 - t1,
                  "losses": m.losses, "rss_mb": peak_mb()}))
"""
)

GENSIM = (
    PEAK
    + """
import sys, time, json, resource, numpy as np
t0 = time.perf_counter()
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
corpus, arch, loss, epochs, threads, out = sys.argv[1:7]
m = Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-3, sg=int(arch == "sg"), hs=int(loss == "hs"),
             negative=5 if loss == "ns" else 0, workers=int(threads), epochs=int(epochs), seed=1)
m.build_vocab(LineSentence(corpus))
t1 = time.perf_counter()
m.train(LineSentence(corpus), total_examples=m.corpus_count, epochs=m.epochs)
t2 = time.perf_counter()
np.save(out + ".npy", m.wv.vectors)
with open(out + ".words", "w") as f:
    f.write("\\n".join(m.wv.index_to_key))
print(json.dumps({"words": len(m.wv), "tokens": m.corpus_total_words, "prep_s": t1 - t0, "train_s": t2 - t1,
                  "losses": [], "rss_mb": peak_mb()}))
"""
)


# the compiled whitespace splitter that encodes corpora of 8 MB and more (the warm-up corpus is smaller),
# with tables small enough to grow once
WARM_SPLITTER = "from wordseq.text._split_kernel import SplitTable; SplitTable(2, 1).split(b'a b c\\n')"


def run_tool(code: str, corpus: Path, arch: str, loss: str, epochs: int, threads: int, out: Path, env: dict) -> dict:
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        t = time.perf_counter()
        p = subprocess.Popen(
            [sys.executable, "-c", code, str(corpus), arch, loss, str(epochs), str(threads), str(out)],
            stdout=stdout,
            stderr=stderr,
            text=True,
            env=env,
        )
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0), stderr.seek(0)
        if p.returncode != 0:
            raise SystemExit(stderr.read())
        result = json.loads(stdout.read().strip().splitlines()[-1])
    result["wall"] = wall
    result["cpu"] = usage.ru_utime + usage.ru_stime  # user + system seconds of the child, all its threads
    return result


def evaluate(out: Path, data: Path) -> dict:
    """Score saved vectors with gensim's own evaluation functions."""
    import logging

    import numpy as np
    from gensim.models import KeyedVectors

    logging.disable(logging.WARNING)
    vectors = np.load(str(out) + ".npy")
    words = Path(str(out) + ".words").read_text(encoding="utf-8").split("\n")
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(words, vectors)
    analogy, _ = kv.evaluate_word_analogies(str(data / "google_analogy" / "questions-words.txt"), restrict_vocab=300000)
    sims = {}
    for name, fname in (("simlex", "EN-SIMLEX-999.txt"), ("ws353", "EN-WS-353-ALL.txt")):
        _, spearman, _ = kv.evaluate_word_pairs(str(data / "word_similarity" / fname))
        sims[name] = float(spearman[0])
    return {"analogy": float(analogy), **sims}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--tokens", type=int, default=10_000_000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--settings", default="sg-ns,cbow-ns,sg-hs")
    ap.add_argument("--tools", default="wordseq,gensim")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool and setting, alternating which goes first")
    ap.add_argument(
        "--evaluate", choices=("all", "first"), default="all", help="score every run's vectors, or each tool's first"
    )
    ap.add_argument("--slice", type=Path, help="reuse this slice file instead of writing a temporary one")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    src = args.data / "wiki" / "train.txt.xz"
    if not src.exists():
        raise SystemExit(f"benchmark data {src} not found (set WORDSEQ_DATA)")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONHASHSEED="0")
    tools = {"wordseq": OURS, "gensim": GENSIM}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = args.slice or tmp / "slice.txt"
        if not (args.slice and args.slice.exists()):
            n = write_slice(src, args.tokens, corpus)
            print(f"slice: {n:,} tokens -> {corpus}", file=sys.stderr)
        warm = tmp / "warm.txt"
        warm.write_text("the cat sat on the mat and the dog sat on the log\n" * 200)
        for name in args.settings.split(","):
            arch, loss = SETTINGS[name]
            if "wordseq" in args.tools:  # fill numba's on-disk cache of the compiled kernels
                env["WORDSEQ_CACHE"] = str(tmp / "cache-warm")
                run_tool(OURS, warm, arch, loss, 1, args.threads, tmp / "warm", env)
                subprocess.run([sys.executable, "-c", WARM_SPLITTER], env=env, check=True)
            order = args.tools.split(",")
            for rep in range(args.repeat):
                for tool in order if rep % 2 == 0 else order[::-1]:  # alternate which tool goes first
                    env["WORDSEQ_CACHE"] = str(tmp / f"cache-{name}-{rep}")  # fresh: encoding is timed
                    out = tmp / f"{tool}-{name}"
                    r = run_tool(tools[tool], corpus, arch, loss, args.epochs, args.threads, out, env)
                    if rep == 0 or args.evaluate == "all":
                        r.update(evaluate(out, args.data))
                    r["words_per_s"] = r["tokens"] * args.epochs / r["wall"]
                    r.update(tool=tool, setting=name, rep=rep + 1)
                    rows.append(r)
                    print(json.dumps(r), file=sys.stderr)
    print(report(rows, args))
    print(f"load average at the end: {os.getloadavg()}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


def _fmt(r: dict, key: str, scale: float, spec: str) -> str:
    return format(scale * r[key], spec) if key in r else "—"


def report(rows: list[dict], args) -> str:
    lines = [
        f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {args.tokens:,} tokens, "
        f"{args.epochs} epochs, {args.threads} threads",
        "",
        "| setting | run | tool | wall s | CPU s | prep s | train s | words/s (whole process) | peak MB | analogy % "
        "| SimLex-999 | WS-353 |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setting']} | {r.get('rep', 1)} | {r['tool']} | {r['wall']:.1f} | {r['cpu']:.1f} "
            f"| {r['prep_s']:.1f} | {r['train_s']:.1f} "
            f"| {r['words_per_s']:,.0f} | {r['rss_mb']:.0f} | {_fmt(r, 'analogy', 100, '.1f')} "
            f"| {_fmt(r, 'simlex', 1, '.3f')} | {_fmt(r, 'ws353', 1, '.3f')} |"
        )
    by = {}  # per setting and tool: the minimum over the runs of each figure (the least disturbed run)
    for r in rows:
        m = by.setdefault((r["setting"], r["tool"]), dict(r))
        for k in ("wall", "cpu"):
            m[k] = min(m[k], r[k])
        m["rss_mb"] = max(m["rss_mb"], r["rss_mb"])
        for k in ("analogy", "simlex"):
            m[k + "_all"] = m.get(k + "_all", []) + ([r[k]] if k in r else [])
            m[k] = sum(m[k + "_all"]) / len(m[k + "_all"])
    if args.repeat > 1:
        lines += [
            "",
            f"Below: minimum wall and CPU time of {args.repeat} runs per tool, largest peak; quality: mean of the runs scored.",
        ]
    lines += [
        "",
        "| setting | speed ratio (gensim wall / wordseq wall) | CPU-time ratio | memory ratio "
        "(wordseq / gensim) | analogy (wordseq - gensim) | SimLex (wordseq - gensim) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in args.settings.split(","):
        a, b = by.get((name, "wordseq")), by.get((name, "gensim"))
        if a and b:
            lines.append(
                f"| {name} | {b['wall'] / a['wall']:.2f}x | {b['cpu'] / a['cpu']:.2f}x "
                f"| {a['rss_mb'] / b['rss_mb']:.2f} "
                f"| {100 * (a['analogy'] - b['analogy']):+.1f} | {a['simlex'] - b['simlex']:+.3f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
