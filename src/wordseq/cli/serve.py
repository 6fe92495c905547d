"""``wordseq serve MODEL [MODEL ...]``: a local web page and JSON API over the named models."""

from __future__ import annotations

import argparse
import sys

from wordseq.errors import WordseqError


def _named(value: str) -> tuple[str, str]:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {value!r}")
    return name, path


def register(sub, parents) -> None:
    from wordseq.cli import DefaultsHelpFormatter

    p = sub.add_parser(
        "serve",
        parents=parents,
        formatter_class=DefaultsHelpFormatter,
        help="explore models in a web page: neighbours, analogies, maps, generation, tagging, parsing, translation",
        description=(
            "Start a local web server with a page that explores the given models (vectors, n-gram and neural "
            "language models, classifiers, taggers, parsers, translators) and a JSON API under /api/. Only the "
            "models named here are served. It listens on 127.0.0.1 unless --host says otherwise. Each request "
            "runs on --threads threads (default 1: requests run side by side)."
        ),
    )
    p.add_argument("models", nargs="*", metavar="MODEL", help="model files (.wsq, ARPA); named by their file stem")
    p.add_argument("--name", action="append", type=_named, default=None, metavar="NAME=PATH",
                   help="serve the model at PATH under NAME (repeatable)")  # fmt: skip
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (other than 127.0.0.1: a warning)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (0: a free one)")
    g = p.add_argument_group("limits")
    g.add_argument("--max-body-bytes", type=int, default=64 * 1024, help="largest request body")
    g.add_argument("--max-tokens", type=int, default=200, help="most tokens one generation produces")
    g.add_argument("--max-concurrent-generations", type=int, default=4, help="generations running at once")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from wordseq.cli import set_torch_threads
    from wordseq.serve.app import bind, create_app, is_local, url_of
    from wordseq.serve.limits import Limits
    from wordseq.serve.registry import load_models

    if not args.models and not args.name:
        raise WordseqError("name at least one model file to serve")
    if not 0 <= args.port <= 65535:
        raise WordseqError(f"--port must be in 0..65535, got {args.port}")
    # Requests run side by side, each on one core: BLAS and torch threads per request would fight over the
    # cores (a matrix-vector product of the neighbour search runs 10x slower with busy-waiting BLAS threads
    # on a loaded machine). --threads raises it.
    from threadpoolctl import threadpool_limits

    threads = args.threads or 1
    threadpool_limits(threads)
    args.threads = threads
    set_torch_threads(args)
    limits = Limits(
        max_body_bytes=args.max_body_bytes,
        max_tokens=args.max_tokens,
        max_concurrent_generations=args.max_concurrent_generations,
    )
    served = load_models(args.models, args.name or [])
    if not is_local(args.host):
        print(
            f"wordseq: warning: listening on {args.host}, not 127.0.0.1: anyone who can reach this machine "
            "can use these models (the server has no authentication)",
            file=sys.stderr,
        )
    app = create_app(served, limits)
    sock = bind(args.host, args.port)
    config = uvicorn.Config(app, log_level="info" if args.verbose else "warning", lifespan="off")
    server = uvicorn.Server(config)
    n = len(served)
    print(f"serving {n} model{'s' if n != 1 else ''} at {url_of(sock)}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
