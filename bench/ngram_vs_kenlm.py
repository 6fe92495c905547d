"""wordseq's n-gram scoring and loading beside the ``kenlm`` module, on the same ARPA files, in one run.

For each model (PTB KN-5; the Wikipedia KN-5 with ``--wiki``): loading the ARPA file, whole-corpus scoring of
the test split, per-sentence ``score`` and ``full_scores`` calls from Python, and the start-up of a whole
process that loads the model and scores one sentence (wordseq from its memory-mapped ``.wsq`` and from the
ARPA file; kenlm from the ARPA file). Every figure is the minimum of ``--repeat`` runs of each tool,
interleaved; both tools run on one thread. Ratios are kenlm's time over wordseq's (above 1: wordseq faster).

    nice -n 10 python bench/ngram_vs_kenlm.py [--work /tmp/ngram-bench] [--wiki] [--repeat 3]

Models are built once into ``--work`` and reused: PTB KN-5 (seconds); with ``--wiki`` the Wikipedia KN-5
(``wiki5.wsq`` and ``wiki5.arpa``: minutes and about 4 GB of memory; see bench/ngram_wiki.py).
"""

from __future__ import annotations

import argparse
import lzma
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))
SENTENCE = "the company said it expects to report a loss for the third quarter"


def build(work: Path, name: str, train: Path) -> None:
    """``name``.wsq and ``name``.arpa, modified Kneser-Ney 5-gram over whitespace tokens (as lmplz)."""
    from wordseq.lm.ngram import NgramModel

    wsq, arpa = work / f"{name}.wsq", work / f"{name}.arpa"
    if not wsq.exists():
        print(f"building {wsq} from {train} ...", flush=True)
        NgramModel(order=5, smoothing="mkn").fit(train, cache=True).save(wsq)
    if not arpa.exists():
        print(f"writing {arpa} ...", flush=True)
        NgramModel.load(wsq, mmap=True).save(arpa)


def best(f, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def process_seconds(code: str, repeat: int, env: dict | None = None) -> list[float]:
    """Wall time of whole ``python -c`` processes (interpreter start, imports, load, one sentence)."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return out


def compare(
    name: str, work: Path, test: Path, repeat: int, load_arpa: bool, index: bool = False
) -> list[tuple[str, float, float]]:
    import kenlm

    from wordseq.lm.ngram import NgramModel

    arpa, wsq = work / f"{name}.arpa", work / f"{name}.wsq"
    rows: list[tuple[str, float, float]] = []
    mb = arpa.stat().st_size / 1e6
    print(f"\n### {name}: {arpa} ({mb:,.0f} MB), test {test}")
    if load_arpa:
        t_ws = t_ken = float("inf")
        for _ in range(repeat):  # interleaved, so both see the same machine load
            t_ws = min(t_ws, best(lambda: NgramModel.load(arpa), 1)[0])
            t_ken = min(t_ken, best(lambda: kenlm.Model(str(arpa)), 1)[0])
        rows.append((f"load the ARPA file ({mb:,.0f} MB)", t_ws, t_ken))
    t = time.perf_counter()
    model = NgramModel.load(wsq, mmap=True)
    t_map = time.perf_counter() - t
    t = time.perf_counter()
    ken = kenlm.Model(str(arpa))
    t_ken_load = time.perf_counter() - t
    print(f"wordseq .wsq memory-mapped in {t_map:.3f} s; kenlm read the ARPA file in {t_ken_load:.1f} s")
    if index:  # the probing tables now (kenlm builds its own while reading the ARPA file)
        t, c = time.perf_counter(), time.process_time()
        model.index()
        print(f"probing tables built in {time.perf_counter() - t:.1f} s ({time.process_time() - c:.1f} s CPU)")

    lines = test.read_text(encoding="utf-8").splitlines()
    tokens = sum(len(s.split()) + 1 for s in lines)

    # whole corpus: wordseq's evaluate(path) against kenlm summing score() over the file's lines
    t = time.perf_counter()
    first = model.evaluate(test)
    t_first = time.perf_counter() - t
    t_index = model._compiled.index_seconds if model._compiled is not None else 0.0

    def ken_file() -> float:
        with open(test, encoding="utf-8") as f:
            return sum(ken.score(s) for s in f)

    t_ws = t_ken = float("inf")
    for _ in range(repeat):
        t_ws = min(t_ws, best(lambda: model.evaluate(test), 1)[0])
        t_ken = min(t_ken, best(ken_file, 1)[0])
    ken_total = ken_file()
    rows.append(("whole corpus, from the text file", t_ws, t_ken))
    raw = test.read_bytes()
    scorer = model._compiled
    if scorer is not None:  # where wordseq's time goes: the compiled pass alone, on bytes already in memory
        t_kernel = min(best(lambda: scorer.score_text(raw), 1)[0] for _ in range(repeat))
        print(f"wordseq's compiled pass alone (split, look up, score; bytes in memory): {t_kernel:.3f} s")
    print(
        f"perplexity {first.perplexity:.3f} over {first.tokens:,} tokens; log10 total wordseq {first.log10_prob:.3f}, "
        f"kenlm {ken_total:.3f}; first evaluate {t_first:.3f} s "
        + ("(hash tables built beforehand)" if index else f"(of which hash tables built: {t_index:.3f} s)")
    )

    # per sentence from Python
    t_ws = t_ken = t_wf = t_kf = float("inf")
    for _ in range(repeat):
        t_ws = min(t_ws, best(lambda: [model.score(s) for s in lines], 1)[0])
        t_ken = min(t_ken, best(lambda: [ken.score(s) for s in lines], 1)[0])
        t_wf = min(t_wf, best(lambda: [model.full_scores(s) for s in lines], 1)[0])
        t_kf = min(t_kf, best(lambda: [list(ken.full_scores(s)) for s in lines], 1)[0])
    rows.append((f"`score` per sentence ({len(lines):,} calls)", t_ws, t_ken))
    rows.append((f"`full_scores` per sentence ({len(lines):,} calls)", t_wf, t_kf))

    worst = worst_total = 0.0
    same_order = True
    for s in lines:
        a, b = model.full_scores(s), list(ken.full_scores(s))
        worst = max(worst, max(abs(x[0] - y[0]) for x, y in zip(a, b)))
        same_order &= all(x[1] == y[1] and x[2] == y[2] for x, y in zip(a, b)) and len(a) == len(b)
        worst_total = max(worst_total, abs(model.score(s) - ken.score(s)))
    print(
        f"largest per-token log10 difference {worst:.2e}, per-sentence total {worst_total:.2e}; "
        f"orders used and OOV flags identical: {same_order}"
    )
    print(f"\n| {name} ({tokens:,} tokens) | wordseq s | kenlm s | kenlm / wordseq |\n|---|---:|---:|---:|")
    for what, a, b in rows:
        print(f"| {what} | {a:.3f} | {b:.3f} | {b / a:.2f}x |")
    return rows


def startup(name: str, work: Path, repeat: int, arpa_too: bool) -> None:
    src = str(ROOT / "src")
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    wsq, arpa = work / f"{name}.wsq", work / f"{name}.arpa"
    scripts = {
        "wordseq, .wsq memory-mapped": (
            f"from wordseq.lm.ngram import NgramModel\n"
            f"print(NgramModel.load({str(wsq)!r}, mmap=True).score({SENTENCE!r}))"
        ),
        "wordseq, .wsq read whole (checksum verified)": (
            f"from wordseq.lm.ngram import NgramModel\nprint(NgramModel.load({str(wsq)!r}).score({SENTENCE!r}))"
        ),
        "kenlm, ARPA": f"import kenlm\nprint(kenlm.Model({str(arpa)!r}).score({SENTENCE!r}))",
    }
    if arpa_too:
        scripts["wordseq, ARPA"] = (
            f"from wordseq.lm.ngram import NgramModel\nprint(NgramModel.load({str(arpa)!r}).score({SENTENCE!r}))"
        )
    fresh = dict(env, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="numba-cache-"))
    first = process_seconds(scripts["wordseq, .wsq memory-mapped"], 1, fresh)[0]
    imports = min(process_seconds("import wordseq.lm.ngram", repeat, env))
    bare = min(process_seconds("import kenlm", repeat, env))
    print(f"\n### start-up, {name}: a whole `python -c` process that loads the model and scores one sentence")
    print(
        f"(minimum of {repeat}; `import wordseq.lm.ngram` alone {imports:.2f} s (numpy, numba), `import kenlm` "
        f"{bare:.2f} s; wordseq's first run with an empty numba cache: {first:.2f} s)\n"
    )
    print("| process | seconds |\n|---|---:|")
    for what, code in scripts.items():
        if "read whole" in what and wsq.stat().st_size > 1 << 30:
            continue  # minutes of reading and hashing a file of GB: not a start-up figure
        print(f"| {what} | {min(process_seconds(code, repeat, env)):.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/ngram-bench", help="where the models are built once and kept")
    ap.add_argument("--wiki", action="store_true", help="also the Wikipedia KN-5 (builds it once: minutes)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-ptb", action="store_true", help="only the Wikipedia model (with --wiki)")
    ap.add_argument("--wiki-load-arpa", action="store_true", help="also time wordseq reading the wiki ARPA file")
    ap.add_argument(
        "--wiki-index",
        action="store_true",
        help="build the wiki model's probing tables before scoring (else binary search)",
    )
    args = ap.parse_args()
    try:
        import kenlm  # noqa: F401
    except ImportError:
        raise SystemExit("the kenlm module is not installed (pip install kenlm)") from None
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    ptb = DATA / "ptb"
    if not (ptb / "ptb.train.txt").exists():
        raise SystemExit(f"benchmark data {ptb} not found (set WORDSEQ_DATA)")
    import numba

    print(f"numba {numba.__version__}, 1 thread for both tools (numba kernels are serial; kenlm queries are)")
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_ptb:
        build(work, "ptb5", ptb / "ptb.train.txt")
        compare("ptb5", work, ptb / "ptb.test.txt", args.repeat, load_arpa=True)
        startup("ptb5", work, args.repeat, arpa_too=True)
    if args.wiki:
        build(work, "wiki5", DATA / "wiki" / "train.txt.xz")
        test = work / "wiki.test.txt"
        if not test.exists():
            test.write_bytes(lzma.decompress((DATA / "wiki" / "test.txt.xz").read_bytes()))
        compare("wiki5", work, test, max(1, min(args.repeat, 2)), load_arpa=args.wiki_load_arpa, index=args.wiki_index)
        startup("wiki5", work, 1, arpa_too=False)  # kenlm reads GB of ARPA text per process: once


if __name__ == "__main__":
    main()
