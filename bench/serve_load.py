"""Load test of ``wordseq serve``, against 127.0.0.1 only: requests per second, latency, errors and the
server's memory under a fixed number of concurrent clients.

    python bench/serve_load.py [--clients 20] [--seconds 30] [--generate-share 0.3] [--models A.wsq B.wsq ...]

Without ``--models`` it builds small models in a temporary folder: 20,000 random 100-dimensional word vectors,
a modified Kneser-Ney 3-gram on the bundled Tiny Shakespeare text, and an untrained word-level LSTM (embed
and hidden 128) over the same vocabulary (untrained weights cost the same to run as trained ones). The server
is started as a subprocess (``python -m wordseq serve ... --port 0 --threads 1``, listening on 127.0.0.1;
``--threads`` changes the server's),
and ``--clients`` threads each keep one HTTP/1.1 connection and send, for ``--seconds``, either a
nearest-neighbour query for a random word (topn 10) or, with probability ``--generate-share``, a short
generation (max_tokens 10, temperature 0.8, top-k 40, read to the end of the stream) alternately from the
n-gram and the neural model. ``--max-concurrent-generations`` is set to the number of clients, so that
no request is refused with 429 by design. Any response other than 200 (or a stream without its final
``done`` line) counts as an error.

The server's resident memory (psutil) is read once the models are loaded, after a warm-up of ``--warmup``
seconds under the same load (which starts the server's worker threads and fills the allocators' pools),
every 5 s during the run and at the end; "growth" is the end minus the after-warm-up figure, and the
growth over the run's second half (end minus the sample at mid-run) is the figure a leak would show. Results are printed as a Markdown table
and written to ``bench/results/serve_load.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SERVING = re.compile(r"serving \d+ models? at http://127\.0\.0\.1:(\d+)/")


def build_models(folder: Path) -> list[Path]:
    """Small models of the three kinds the load test queries; returns their paths."""
    import torch

    from wordseq.demo.context import bundled_corpus
    from wordseq.embed.vectors import Vectors, save_vectors
    from wordseq.lm.neural import NeuralLM
    from wordseq.lm.neural.model import build_network
    from wordseq.lm.ngram import NgramModel

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20_000)]
    vectors = save_vectors(Vectors(words, rng.normal(size=(len(words), 100))), folder / "vectors.wsq")
    ngram = NgramModel(order=3, smoothing="mkn").fit(bundled_corpus())
    ngram_path = ngram.save(folder / "ngram3.wsq")
    torch.manual_seed(0)
    lm = NeuralLM(model="lstm", embed=128, hidden=128, layers=1)
    lm.vocab = ngram.vocab
    lm.network = build_network(lm.config, len(ngram.vocab)).eval()
    lm_path = lm.save(folder / "lstm.wsq")
    return [vectors, ngram_path, lm_path]


def start_server(models: list[Path], clients: int, threads: int) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "wordseq", "serve", *map(str, models), "--host", "127.0.0.1", "--port", "0"]
    cmd += ["--threads", str(threads), "--max-concurrent-generations", str(clients)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = SERVING.search(line)
    if not m:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, int(m.group(1))


class Client:
    """One keep-alive connection; each call returns (operation, seconds, ok)."""

    def __init__(self, port: int, names: dict[str, str], vocab: list[str], share: float, seed: int) -> None:
        self.port, self.names, self.vocab, self.share = port, names, vocab, share
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.turn = 0

    def request(self) -> tuple[str, float, bool]:
        if self.rng.random() < self.share:
            self.turn += 1
            model = self.names["ngram"] if self.turn % 2 else self.names["neural_lm"]
            op = "generate"
            body = {
                "prompt": "the",
                "max_tokens": 10,
                "temperature": 0.8,
                "top_k": 40,
                "seed": self.rng.randrange(1 << 30),
            }
        else:
            model, op = self.names["vectors"], "neighbors"
            body = {"word": self.rng.choice(self.vocab), "topn": 10}
        t0 = time.perf_counter()
        try:
            self.conn.request("POST", f"/api/{model}/{op}", json.dumps(body), {"Content-Type": "application/json"})
            r = self.conn.getresponse()
            data = r.read()
            ok = r.status == 200 and (op != "generate" or b'"done": true' in data.splitlines()[-1])
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            ok = False
        return ("generate" if op == "generate" else "neighbors"), time.perf_counter() - t0, ok


def run_clients(
    port: int, names: dict[str, str], vocab: list[str], args: argparse.Namespace, seconds: float, server, seed: int
) -> tuple[list[tuple[str, float, bool]], list[float]]:
    """``args.clients`` threads sending requests for ``seconds``; returns every (operation, seconds, ok) and
    the server's RSS (MB) sampled every 5 s."""
    results: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        client = Client(port, names, vocab, args.generate_share, seed=seed + i)
        mine = []
        while time.perf_counter() < stop:
            mine.append(client.request())
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    samples = []
    while any(t.is_alive() for t in threads):
        time.sleep(min(5.0, max(0.1, stop - time.perf_counter())))
        samples.append(round(server.memory_info().rss / 2**20, 1))
    for t in threads:
        t.join()
    return results, samples


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) * 1000 if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--generate-share", type=float, default=0.3)
    ap.add_argument("--warmup", type=float, default=20.0, help="seconds of the same load before measuring")
    ap.add_argument("--threads", type=int, default=1, help="the server's --threads (threads per request)")
    ap.add_argument("--models", nargs="*", help="serve these instead (one vectors, one n-gram, one neural LM)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "serve_load.json"))
    args = ap.parse_args()
    import psutil

    sys.path.insert(0, str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        models = [Path(p) for p in args.models] if args.models else build_models(Path(tmp))
        print(f"models ready in {time.perf_counter() - t0:.1f} s: {', '.join(p.name for p in models)}", flush=True)
        proc, port = start_server(models, args.clients, args.threads)
        server = psutil.Process(proc.pid)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/api/models")
            listed = json.loads(conn.getresponse().read())["models"]
            names = {m["kind"]: m["name"] for m in listed}
            vectors_name = names["vectors"]
            from wordseq.models import load

            vocab = list(
                load(next(p for p in models if p.stem == vectors_name or p.name.startswith(vectors_name))).words
            )
            rss_loaded = server.memory_info().rss
            warm_up = run_clients(port, names, vocab, args, args.warmup, server, seed=1000)
            rss_start = server.memory_info().rss
            t_start = time.perf_counter()
            results, samples = run_clients(port, names, vocab, args, args.seconds, server, seed=0)
            elapsed = time.perf_counter() - t_start
            rss_end = server.memory_info().rss
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    by_op: dict[str, list[float]] = {}
    for op, secs, ok in results:
        if ok:
            by_op.setdefault(op, []).append(secs)
    all_ok = [s for _, s, ok in results if ok]
    errors = sum(not ok for _, _, ok in results)
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "load_average_at_end": os.getloadavg()[0],
        "clients": args.clients,
        "server_threads": args.threads,
        "seconds": round(elapsed, 1),
        "models": [p.name for p in models],
        "requests": len(results),
        "errors": errors,
        "warmup_requests": len(warm_up[0]),
        "warmup_errors": sum(not ok for _, _, ok in warm_up[0]),
        "requests_per_s": round(len(results) / elapsed, 1),
        "p50_ms": round(percentile(all_ok, 50), 1),
        "p99_ms": round(percentile(all_ok, 99), 1),
        "per_operation": {
            op: {"requests": len(xs), "p50_ms": round(percentile(xs, 50), 1), "p99_ms": round(percentile(xs, 99), 1)}
            for op, xs in sorted(by_op.items())
        },
        "rss_mb_loaded": round(rss_loaded / 2**20, 1),
        "rss_mb_start": round(rss_start / 2**20, 1),
        "rss_mb_end": round(rss_end / 2**20, 1),
        "rss_mb_growth": round((rss_end - rss_start) / 2**20, 1),
        "rss_mb_growth_second_half": round(rss_end / 2**20 - samples[len(samples) // 2 - 1], 1)
        if len(samples) > 1
        else None,
        "rss_mb_samples": samples,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{report['clients']} clients, {report['seconds']} s, {report['machine']}, {report['date']}")
    print("| operation | requests | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for op, r in report["per_operation"].items():
        print(f"| {op} | {r['requests']:,} | {r['p50_ms']} | {r['p99_ms']} |")
    print(f"| all | {report['requests']:,} | {report['p50_ms']} | {report['p99_ms']} |")
    print(
        f"\n{report['requests_per_s']} requests/s, {errors} errors; server RSS {report['rss_mb_start']} MB after "
        f"warm-up, {report['rss_mb_end']} MB at the end (growth {report['rss_mb_growth']} MB, "
        f"{report['rss_mb_growth_second_half']} MB over the second half; samples "
        f"{samples})"
    )
    if errors or report["warmup_errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
