"""``wordseq info MODEL``: what a model file holds, like Keras's ``model.summary()`` plus the file's story."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub, parents) -> None:
    p = sub.add_parser(
        "info",
        parents=parents,
        help="what a model file holds: kind, configuration, layers, parameters, provenance",
        description=(
            "Show a model file's kind, configuration, vocabulary size, layers with their output shapes and "
            "parameter counts, training provenance and final metrics, and check its integrity (digest). "
            "Works for every .wsq file wordseq writes and for ARPA files."
        ),
    )
    p.add_argument("model", help="a wordseq model file (.wsq) or an ARPA file (.arpa, .arpa.gz)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (from a family's summary) as JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def run(args: argparse.Namespace) -> int:
    from wordseq.models import summarize

    summary = summarize(args.model)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False, default=_plain))
    else:
        print(summary.text())
    return 0
