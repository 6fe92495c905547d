"""The Starlette application of ``wordseq serve``: the page, ``GET /api/models`` and ``/api/limits``, and
``POST /api/<model>/<operation>`` dispatched to the model kind's module.

Every error is JSON ``{"error": message}`` with a 4xx status (5xx only for a bug, still JSON, never a
traceback). Inference runs in the thread pool, under the model's lock where its family is not thread-safe;
generations stream one JSON line per token, at most ``Limits.max_concurrent_generations`` at once.
"""

from __future__ import annotations

import json
import math
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wordseq.errors import WordseqError
from wordseq.serve import lm, tasks, vectors
from wordseq.serve.limits import Limits, Slots
from wordseq.serve.registry import ServedModel
from wordseq.serve.requests import ApiError, Fields, read_json

STATIC = Path(__file__).parent / "static"

Handler = Callable[[Any, Fields, Limits], dict[str, Any]]


# API kind -> operation -> handler(model, body, limits) -> JSON-ready dict. Generation is separate: it streams.
def _on_vectors(handler: Callable[..., dict[str, Any]]) -> Handler:
    """A vectors handler applied to a vectors model file's :class:`Vectors`."""
    return lambda model, body, limits: handler(vectors.vectors_of(model), body, limits)


OPERATIONS: dict[str, dict[str, Handler]] = {
    "vectors": {name: _on_vectors(f) for name, f in vectors.HANDLERS.items()},
    "ngram": dict(lm.HANDLERS),
    "neural_lm": dict(lm.HANDLERS),
    "classifier": {"classify": tasks.classify},
    "tagger": {"tag": tasks.tag},
    "parser": {"parse": tasks.parse},
    "translator": {"translate": tasks.translate},
}
STREAMING = {"ngram": {"generate"}, "neural_lm": {"generate"}}
THREAD_SAFE = {"vectors"}  # read-only numpy; every other family runs one request at a time per model


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float made ``None`` (JSON has no Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(finite(value), ensure_ascii=False, allow_nan=False)


class JSON(JSONResponse):
    """A JSON response that turns non-finite floats into ``null`` instead of failing."""

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


def error(status: int, message: str) -> JSON:
    return JSON({"error": message}, status_code=status)


def create_app(models: Mapping[str, Any], limits: Limits | None = None) -> Starlette:
    """The application serving ``models`` (name -> loaded model or :class:`ServedModel`) within ``limits``."""
    limits = limits or Limits()
    served = {name: ServedModel.of(name, model) for name, model in models.items()}
    for entry in served.values():
        entry.summary()  # computed once, now: a model that cannot describe itself stops the start, not a request
        if entry.kind == "vectors":
            _ = vectors.vectors_of(entry.model).unit  # the cached unit matrix, made once before any request
    slots = Slots(limits.max_concurrent_generations)

    async def index(request: Request) -> Response:
        page = STATIC / "index.html"
        if page.is_file():
            return FileResponse(page, media_type="text/html")
        names = ", ".join(served) or "none"
        return HTMLResponse(f"<!doctype html><title>wordseq</title><p>wordseq serve: models {names}; see /api/models")

    async def list_models(request: Request) -> Response:
        return JSON({"models": [entry.public() for entry in served.values()]})

    async def get_limits(request: Request) -> Response:
        return JSON(limits.public())

    async def operate(request: Request) -> Response:
        name, op = request.path_params["name"], request.path_params["op"]
        entry = served.get(name)
        if entry is None:
            raise ApiError(404, f"no model named {name!r} (served: {', '.join(served) or 'none'})")
        streaming = op in STREAMING.get(entry.kind, ())
        handler = OPERATIONS[entry.kind].get(op)
        if handler is None and not streaming:
            known = sorted(set(OPERATIONS[entry.kind]) | STREAMING.get(entry.kind, set()))
            raise ApiError(404, f"a {entry.kind} model has no operation {op!r} (it has {', '.join(known)})")
        body = await read_json(request, limits.max_body_bytes)
        if streaming:
            return await generate(entry, body)
        assert handler is not None
        if entry.kind in THREAD_SAFE:
            result = await run_in_threadpool(handler, entry.model, body, limits)
        else:
            result = await run_in_threadpool(_locked, entry.lock, handler, entry.model, body, limits)
        return JSON(result)

    async def generate(entry: ServedModel, body: Fields) -> Response:
        steps = await run_in_threadpool(_locked, entry.lock, lm.generation, entry.model, body, limits)
        release = slots.try_take()
        if release is None:
            raise ApiError(429, f"{slots.n} generations are running, the most this server runs at once; try again")
        return GenerationStream(_stream(steps, entry.lock, release), release)

    routes = [
        Route("/", index),
        Route("/api/models", list_models),
        Route("/api/limits", get_limits),
        Route("/api/{name}/{op}", operate, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC, check_dir=False), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: _api_error,
            WordseqError: _wordseq_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
    )
    app.state.served = served
    app.state.limits = limits
    app.state.slots = slots
    return app


def _locked(lock: threading.Lock, fn: Callable[..., Any], *args: Any) -> Any:
    with lock:
        return fn(*args)


_DONE = object()


def _next_step(lock: threading.Lock, steps: Iterator[dict[str, Any]]) -> Any:
    with lock:
        return next(steps, _DONE)


class GenerationStream(StreamingResponse):
    """The NDJSON stream of one generation; its slot is given back when the response ends, however it ends
    (also when the client is gone before the first line, so that the stream never started)."""

    def __init__(self, lines: AsyncIterator[str], release: Callable[[], None]) -> None:
        super().__init__(lines, media_type="application/x-ndjson")
        self.release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


async def _stream(
    steps: Iterator[dict[str, Any]], lock: threading.Lock, release: Callable[[], None]
) -> AsyncIterator[str]:
    """One JSON line per item of ``steps``, each computed in the thread pool under the model's lock (so other
    requests to the model run between tokens); the generation slot is given back however the stream ends."""
    try:
        while True:
            try:
                item = await run_in_threadpool(_next_step, lock, steps)
            except (ApiError, WordseqError) as e:
                yield dumps({"error": getattr(e, "message", str(e))}) + "\n"
                return
            if item is _DONE:
                return
            yield dumps(item) + "\n"
    finally:
        release()


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error(exc.status, exc.message)


async def _wordseq_error(request: Request, exc: Exception) -> Response:
    return error(422, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: f"no such page or API route: {request.url.path}", 405: f"{request.method} is not allowed here"}
    return error(exc.status_code, messages.get(exc.status_code, str(exc.detail)))


async def _internal_error(request: Request, exc: Exception) -> Response:
    return error(500, f"internal error: {type(exc).__name__}: {exc}")


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_local(host: str) -> bool:
    """True when ``host`` is reachable only from this machine."""
    return host in LOCAL_HOSTS


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), so that the URL can be printed before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise WordseqError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class ServerThread:
    """A uvicorn server running :func:`create_app` in a background thread (for tests and benchmarks):
    ``url`` once started, :meth:`stop` to shut it down."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self.socket = bind(host, port)
        self.url = url_of(self.socket)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self, timeout: float = 10.0) -> ServerThread:
        import time

        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise WordseqError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    models: Mapping[str, Any], host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None
) -> ServerThread:
    """Start a server for ``models`` on ``host:port`` (0: a free port) in a background thread; returns it
    started (its ``url`` is ready to use; call ``stop()`` or use it as a context manager)."""
    return ServerThread(create_app(models, limits), host, port).start()
