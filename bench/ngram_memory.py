"""Modified Kneser-Ney on the Wikipedia text: the in-memory counter against counting within a memory budget
(``--memory``) and on a local Dask cluster (``--workers 1``, ``--workers 2``), and KenLM's ``lmplz -S`` when
an ``lmplz`` binary is given. Every build runs in its own process, twice: ``fit`` (count and estimate, what
``--memory`` bounds) and the whole ``wordseq lm ngram`` command writing the ARPA file. Reported: wall-clock
seconds, peak resident memory (the child's ``ru_maxrss``: the largest single process, client or worker) and
peak anonymous memory (``RssAnon`` sampled every 20 ms and summed over the process tree: the memory the
processes own, without the file pages of memory-mapped arrays, which the kernel drops under pressure).
The ARPA files of the wordseq builds must be byte-identical; the perplexity on the validation text is
printed for each distinct model.

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
import resource
import subprocess
import sys
import tempfile
import threading
import time
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


def _anon_kib(pid: int) -> int:
    """RssAnon of a process (its own memory, not file pages the kernel may drop), KiB; 0 when gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def probe(cmd: list[str]) -> None:
    """Run ``cmd``; print its seconds, peak RSS (ru_maxrss: the largest single process of its tree) and peak
    anonymous memory (sampled every 20 ms, summed over the process tree: Dask workers included)."""
    import psutil

    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(p.pid)
        while not done.is_set():
            try:
                pids = [p.pid] + [c.pid for c in root.children(recursive=True)]
            except psutil.Error:
                pids = [p.pid]
            peak = max(peak, sum(_anon_kib(x) for x in pids))
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = p.communicate()
    done.set()
    thread.join()
    dt = time.perf_counter() - t
    sys.stdout.write(out)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("@@", dt, usage.ru_maxrss / 1024, peak / 1024, p.returncode, usage.ru_utime + usage.ru_stime)


def measured(cmd: list[str]) -> tuple[float, float, float, float, str]:
    """(seconds, CPU seconds, peak RSS MiB, peak anonymous MiB, output) of a command run in a fresh measuring
    process (CPU: user + system of the command's process tree, the fairer figure on a loaded machine)."""
    out = subprocess.run([sys.executable, __file__, "--probe", *cmd], capture_output=True, text=True, check=True).stdout
    body, _, tail = out.rpartition("@@")
    seconds, rss, anon, rc, cpu = tail.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed:\n{body}")
    return float(seconds), float(cpu), float(rss), float(anon), body


FIT = (
    "import sys, warnings; from pathlib import Path; warnings.simplefilter('ignore'); "
    "from wordseq.lm.ngram import NgramModel; "
    "kw = dict(a.split('=', 1) for a in sys.argv[3:]); kw = {k: (int(v) if k == 'workers' else v) for k, v in kw.items()}; "
    "NgramModel(order=int(sys.argv[2])).fit([Path(sys.argv[1])], cache=False, **kw)"
)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        probe(sys.argv[2:])
        return
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
    runs = [("in memory", [], []), (f"--memory {args.memory}", ["--memory", args.memory], [f"memory={args.memory}"])]
    runs += [(f"--workers {w}", ["--workers", str(w)], [f"workers={w}"]) for w in args.workers]
    rows = []
    digests: dict = {}
    print(f"{args.order}-gram mkn on {tokens:,} tokens of {wiki / 'train.txt.xz'} (in {tmp}); threads: numpy's default")
    for name, extra, fit_kw in runs:
        # count + estimate alone (what --memory bounds), then the whole command with the ARPA written
        fit_s, fit_cpu, fit_rss, fit_anon, _ = measured(
            [sys.executable, "-c", FIT, str(corpus), str(args.order), *fit_kw]
        )
        arpa = tmp / f"{len(rows)}.arpa"
        seconds, cpu, rss, anon, _ = measured([*base, "-o", str(arpa), *extra])
        digest = hashlib.sha256(arpa.read_bytes()).hexdigest()[:16]
        digests.setdefault(digest, arpa)
        rows.append(
            {
                "build": name,
                "fit_seconds": round(fit_s, 1),
                "fit_cpu_seconds": round(fit_cpu, 1),
                "fit_peak_rss_mib": round(fit_rss),
                "fit_peak_anon_mib": round(fit_anon),
                "arpa_seconds": round(seconds, 1),
                "arpa_cpu_seconds": round(cpu, 1),
                "arpa_peak_rss_mib": round(rss),
                "arpa_peak_anon_mib": round(anon),
                "arpa_sha256": digest,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        if arpa != digests[digest]:
            arpa.unlink()
    if args.lmplz:
        arpa = tmp / "lmplz.arpa"
        cmd = [args.lmplz, "-o", str(args.order), "-S", args.memory, "-T", str(tmp), "--text", str(corpus)]
        cmd += ["--arpa", str(arpa), "--discount_fallback"]
        seconds, cpu, rss, anon, _ = measured(cmd)
        digests.setdefault(hashlib.sha256(arpa.read_bytes()).hexdigest()[:16], arpa)
        rows.append(
            {
                "build": f"lmplz -S {args.memory}",
                "arpa_seconds": round(seconds, 1),
                "arpa_cpu_seconds": round(cpu, 1),
                "arpa_peak_rss_mib": round(rss),
                "arpa_peak_anon_mib": round(anon),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    for digest, arpa in digests.items():
        out = subprocess.run(
            [*env_py, "lm", "perplexity", str(arpa), str(valid)], capture_output=True, text=True
        ).stdout
        line = next((x for x in out.splitlines() if "perplexity" in x), out.strip())
        print(f"{arpa.name} ({digest}): {line}")
    print("identical wordseq ARPA files:", len({r["arpa_sha256"] for r in rows if "arpa_sha256" in r}) == 1)


if __name__ == "__main__":
    main()
