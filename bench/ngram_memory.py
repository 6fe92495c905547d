"""Modified Kneser-Ney on the Wikipedia text: the in-memory counter against counting within a memory budget
(``--memory``) and on a local Dask cluster (``--workers 1``, ``--workers 2``), and KenLM's ``lmplz -S`` when
an ``lmplz`` binary is given. Every wordseq build runs in its own process (``wordseq lm ngram``); its peak
resident memory is the child's ``ru_maxrss`` (for the Dask runs: the largest single process, client or worker)
and its time the wall clock. The ARPA files of the wordseq builds must be byte-identical; the perplexity on
the validation text is printed for each distinct model.

    flock /tmp/wordseq-bench.lock nice -n 5 python bench/ngram_memory.py --tokens 2000000 --memory 64M
    python bench/ngram_memory.py --tokens 0 --memory 1G --lmplz /path/to/lmplz       # the whole 54 M tokens

``--tokens N`` takes the first N whitespace tokens of the training text (0: all of it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data"))


def write_slice(src: Path, dest: Path, n_tokens: int) -> int:
    """The first ``n_tokens`` whitespace tokens of ``src`` (whole lines; 0: everything)."""
    n = 0
    with lzma.open(src, "rt", encoding="utf-8", errors="replace") as f, open(dest, "w", encoding="utf-8") as out:
        for line in f:
            out.write(line)
            n += len(line.split())
            if n_tokens and n >= n_tokens:
                break
    return n


def measured(cmd: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS of the child in MiB, its output) of a command run in a fresh measuring process."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); dt = time.perf_counter() - t; "
        "sys.stdout.write(p.stdout + p.stderr); "
        "print('@@', dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, p.returncode)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True).stdout
    body, _, tail = out.rpartition("@@")
    seconds, rss, rc = tail.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed:\n{body}")
    return float(seconds), float(rss), body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokens", type=int, default=2_000_000, help="first N tokens of the training text (0: all)")
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--memory", default="1G", help="the budget of the --memory build")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="local Dask cluster sizes to time")
    ap.add_argument("--lmplz", default=None, help="an lmplz binary to compare with (run with -S MEMORY)")
    ap.add_argument("--valid-lines", type=int, default=20000, help="validation lines scored for perplexity")
    args = ap.parse_args()
    wiki = data_dir() / "wiki"
    if not (wiki / "train.txt.xz").exists():
        print(f"skipped: no Wikipedia text at {wiki} (set WORDSEQ_DATA)")
        return
    tmp = Path(tempfile.mkdtemp(prefix="wordseq-ngram-memory-"))
    corpus, valid = tmp / "train.txt", tmp / "valid.txt"
    tokens = write_slice(wiki / "train.txt.xz", corpus, args.tokens)
    with lzma.open(wiki / "valid.txt.xz", "rt", encoding="utf-8") as f, open(valid, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i >= args.valid_lines:
                break
            out.write(line)
    env_py = [sys.executable, "-m", "wordseq"]
    os.environ["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    base = [*env_py, "lm", "ngram", str(corpus), "--order", str(args.order), "--no-cache"]
    runs = [("in memory", [])]
    runs.append((f"--memory {args.memory}", ["--memory", args.memory]))
    runs += [(f"--workers {w}", ["--workers", str(w)]) for w in args.workers]
    rows = []
    digests = {}
    print(f"{args.order}-gram mkn on {tokens:,} tokens of {wiki / 'train.txt.xz'}; threads: numpy's default")
    for name, extra in runs:
        arpa = tmp / f"{len(rows)}.arpa"
        seconds, rss, _ = measured([*base, "-o", str(arpa), *extra])
        digest = hashlib.sha256(arpa.read_bytes()).hexdigest()[:16]
        digests.setdefault(digest, arpa)
        rows.append({"build": name, "seconds": round(seconds, 1), "peak_rss_mib": round(rss), "arpa_sha256": digest})
        print(json.dumps(rows[-1]), flush=True)
        if len(digests) == 1 and arpa != digests[digest]:
            arpa.unlink()
    if args.lmplz:
        arpa = tmp / "lmplz.arpa"
        cmd = [args.lmplz, "-o", str(args.order), "-S", args.memory, "-T", str(tmp), "--text", str(corpus)]
        cmd += ["--arpa", str(arpa), "--discount_fallback"]
        seconds, rss, _ = measured(cmd)
        digests.setdefault(hashlib.sha256(arpa.read_bytes()).hexdigest()[:16], arpa)
        rows.append({"build": f"lmplz -S {args.memory}", "seconds": round(seconds, 1), "peak_rss_mib": round(rss)})
        print(json.dumps(rows[-1]), flush=True)
    for digest, arpa in digests.items():
        _, _, out = measured([*env_py, "lm", "perplexity", str(arpa), str(valid)])
        line = next((x for x in out.splitlines() if "perplexity" in x), out.strip())
        print(f"{arpa.name} ({digest}): {line}")
    print("identical wordseq ARPA files:", len({r["arpa_sha256"] for r in rows if "arpa_sha256" in r}) == 1)


if __name__ == "__main__":
    main()
