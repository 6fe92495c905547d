"""Draw the pictures of ``wordseq serve``'s page (docs/img/serve-*.png): serve the given models, ask each
panel a question in a headless Chromium, and save a picture of each panel's answer.

    python tests/browser/screenshots.py -o docs/img vectors-wiki.wsq shakespeare4.wsq sst5.wsq ner.wsq ewt.wsq fra-eng.wsq

One model of each kind is pictured (the first given); the questions suit English models, and docs/serve.md
says how the pictured models were trained. Without models it pictures the browser tests' tiny ones.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_helpers import Page, api, build_models, find_browser, make_driver, serve

QUESTIONS = {
    "neighbors": {"word": "paris", "topn": 8},
    "analogy": {"a": "man", "b": "king", "c": "woman", "expected": "queen", "method": "3cosmul", "topn": 5},
    "doesnt_match": {"words": "breakfast lunch dinner piano"},
    "map_neighbors": 4,
    "generate": {"prompt": "what is", "max_tokens": 40, "temperature": 0.9, "seed": 4},
    "score": {"text": "To be, or not to be: that is the question."},
    "classify": {"text": "a gripping , beautifully acted and very funny film"},
    "tag": {"text": "John Smith flew from New York to London with Mary last week ."},
    "parse": {"text": "The quick brown fox jumped over the lazy dog ."},
    "translate": {"text": "where is the station ?", "beam": 5},
}
TINY_QUESTIONS = {
    "neighbors": {"word": "king", "topn": 5},
    "doesnt_match": {"words": "apple pear paris plum"},
    "generate": {"prompt": "the king", "max_tokens": 30, "seed": 1},
    "classify": {"text": "a really great film"},
    "tag": {"text": "Mary works for Acme Corp in Rome"},
    "parse": {"text": "the cat sat on the mat"},
    "translate": {"text": "a b c d e", "beam": 3},
}


def picture(page: Page, q: dict) -> list[Path]:
    """Ask every panel of the page its questions; a picture of each panel (and of the map alone)."""
    models = {m["kind"]: m["name"] for m in reversed(api(page.url, "api/models")["models"])}
    made: list[Path | None] = []

    def ask(model: str, op: str, fields: dict, done: str) -> None:
        card, outcome = page.submit(model, op, fields, done, timeout=120)
        if outcome != "ok":
            raise SystemExit(f"{model} {op}: {page.error_text(card)}")

    if "vectors" in models:
        name = models["vectors"]
        ask(name, "neighbors", q["neighbors"], "table.scores")
        ask(name, "analogy", q["analogy"], ".answer")
        ask(name, "doesnt_match", q["doesnt_match"], ".answer")
        ask(name, "map", {"neighbors": q["map_neighbors"]}, "svg.map")
        made.append(page.screenshot("serve-vectors", page.panel(name)))
        made.append(page.screenshot("serve-map", page.card(name, "map")))
    lm = models.get("neural_lm") or models.get("ngram")
    if lm:
        ask(lm, "score", q["score"], "dd.perplexity")
        ask(lm, "generate", q["generate"], '.tokens[data-done="true"]')
        tokens = page.card(lm, "generate").find_elements("css selector", ".tokens .token")
        made.append(page.screenshot("serve-lm", page.panel(lm), hover=tokens[min(len(tokens) - 1, 6)]))
    for kind, op, done in (
        ("classifier", "classify", "table.probs"),
        ("tagger", "tag", ".tagged"),
        ("parser", "parse", "svg.tree"),
        ("translator", "translate", ".translation"),
    ):
        if kind in models:
            ask(models[kind], op, q[op], done)
            made.append(page.screenshot(f"serve-{kind}", page.panel(models[kind])))
    return [p for p in made if p is not None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="model files (one of each kind to picture)")
    parser.add_argument("-o", "--output", default="docs/img", help="folder for the pictures")
    parser.add_argument("--width", type=int, default=1100, help="browser window width in CSS pixels")
    args = parser.parse_args(argv)
    found = find_browser()
    if isinstance(found, str):
        print(f"screenshots: {found}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        models = args.models or list(build_models(Path(tmp) / "models").values())
        questions = QUESTIONS if args.models else {**QUESTIONS, **TINY_QUESTIONS}
        driver = make_driver(*found, Path(tmp) / "profile", width=args.width, height=1400)
        try:
            with serve(models) as url:
                page = Page(driver, url, Path(args.output)).open()
                for path in picture(page, questions):
                    print(path)
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
