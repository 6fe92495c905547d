"""Driving ``wordseq serve``'s page in a real browser: find Chromium and its driver, start the server on a
free port, build tiny models, and the steps a person takes in each panel (type, click, wait for the answer).
Shared by the browser tests and by ``tests/browser/screenshots.py``, which draws the documentation's images."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TINY_SHAKESPEARE = ROOT / "src" / "wordseq" / "data" / "tinyshakespeare.txt"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
SERVING = re.compile(r"serving .* at (http://\S+)")
WAIT_S = 30.0

# Flags that let Chromium run headless as root on a machine without a display or a network: no sandbox
# (root), no GPU, and none of the background calls home (update checks, sync, QUIC probes) that would hang.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def find_browser() -> tuple[str, str] | str:
    """``(chromium, chromedriver)`` paths, or a sentence saying what is missing. ``WORDSEQ_CHROMIUM`` and
    ``WORDSEQ_CHROMEDRIVER`` name them explicitly; otherwise they are looked up on PATH."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    chromium = os.environ.get("WORDSEQ_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    driver = os.environ.get("WORDSEQ_CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path]
    if missing:
        return (
            f"no {' or '.join(missing)} found: install them (Debian: apt-get install chromium chromium-driver) "
            "or name them in WORDSEQ_CHROMIUM / WORDSEQ_CHROMEDRIVER"
        )
    assert chromium and driver
    return chromium, driver


def make_driver(chromium: str, chromedriver: str, profile: str | os.PathLike, width: int = 1280, height: int = 1600):
    """A headless Chromium under Selenium with a fresh profile in ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(WAIT_S)
    return driver


@contextlib.contextmanager
def serve(models: Sequence[str | os.PathLike], *extra: str, timeout: float = 90.0) -> Iterator[str]:
    """Run ``wordseq serve MODELS --port 0`` in a subprocess; yields its URL once it prints its
    ``serving ... at http://...`` line, and stops it afterwards."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    cmd = [sys.executable, "-m", "wordseq", "serve", *map(str, models), "--port", "0", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()
    err: list[str] = []

    def pump(stream, sink) -> None:
        for line in stream:
            sink(line)
        if stream is proc.stdout:
            lines.put(None)

    threading.Thread(target=pump, args=(proc.stdout, lines.put), daemon=True).start()
    threading.Thread(target=pump, args=(proc.stderr, err.append), daemon=True).start()
    try:
        url = None
        deadline = time.monotonic() + timeout
        while url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                proc.kill()
                raise RuntimeError(f"`{' '.join(cmd)}` did not start serving: {''.join(err)[-2000:]}")
            m = SERVING.search(line)
            url = m.group(1) if m else None
        yield url if url.endswith("/") else url + "/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def api(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the JSON API directly (to compare the page with what the server answers)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=WAIT_S) as resp:
        return json.loads(resp.read())


# ---------------------------------------------------------------------------- tiny models

# Six features (royal, male, female, young, fruit, city) make the relations exact: king - man + woman = queen.
_FEATURES = {
    "king": [1, 1, 0, 0, 0, 0],
    "queen": [1, 0, 1, 0, 0, 0],
    "man": [0, 1, 0, 0, 0, 0],
    "woman": [0, 0, 1, 0, 0, 0],
    "prince": [1, 1, 0, 1, 0, 0],
    "princess": [1, 0, 1, 1, 0, 0],
    "boy": [0, 1, 0, 1, 0, 0],
    "girl": [0, 0, 1, 1, 0, 0],
    "apple": [0, 0, 0, 0, 1, 0],
    "pear": [0, 0, 0, 0, 1, 0.1],
    "plum": [0, 0, 0, 0.1, 1, 0],
    "paris": [0, 0, 0, 0, 0, 1],
    "rome": [0, 0, 0, 0, 0.1, 1],
    "london": [0.1, 0, 0, 0, 0, 1],
}


def tiny_vectors(path: Path) -> Path:
    """Word vectors with planted relations (a little noise in two extra dimensions)."""
    import numpy as np

    from wordseq.embed.vectors import Vectors

    rng = np.random.default_rng(0)
    words = list(_FEATURES)
    base = np.array([_FEATURES[w] for w in words], dtype=np.float32)
    vectors = np.hstack([base, 0.05 * rng.standard_normal((len(words), 2)).astype(np.float32)])
    return Vectors(words, vectors).save(path)


def tiny_ngram(path: Path, lines: int = 4000) -> Path:
    """A trigram Kneser-Ney model of the first lines of the bundled Tiny Shakespeare."""
    from wordseq.lm.ngram.model import NgramModel

    text = TINY_SHAKESPEARE.read_text(encoding="utf-8").splitlines()[:lines]
    return NgramModel(order=3, smoothing="kn").fit([t for t in text if t.strip()]).save(path)


def tiny_neural_lm(path: Path, lines: int = 1500) -> Path:
    """A small word-level LSTM language model after one epoch on the first lines of Tiny Shakespeare (the
    demo's ``lstm.wsq``, in miniature)."""
    from wordseq.lm.neural import NeuralLM
    from wordseq.train import TrainConfig

    text = TINY_SHAKESPEARE.read_text(encoding="utf-8").splitlines()[:lines]
    corpus = path.with_suffix(".txt")
    corpus.write_text("\n".join(t.lower() for t in text if t.strip()) + "\n", encoding="utf-8")
    train = TrainConfig(epochs=1, optimizer="adam", lr=0.01, seed=0)
    model = NeuralLM(model="lstm", embed=32, hidden=32, layers=1, batch_size=16, bptt=20, train=train)
    return model.fit(corpus, log=None).save(path)


def tiny_classifier(path: Path) -> Path:
    """A bag-of-words logistic regression that tells praise from complaint by its cue words."""
    import random

    from wordseq.classify import LabelledData, LinearClassifier

    rng = random.Random(0)
    cues = {"pos": ["good", "great", "superb"], "neg": ["bad", "awful", "dull"], "question": ["why", "how", "where"]}
    fill = ["the", "film", "was", "a", "plot", "and", "it", "really", "very", "cast"]
    pairs = []
    for i in range(150):
        label = list(cues)[i % 3]
        words = [rng.choice(fill) for _ in range(rng.randint(1, 5))]
        words.insert(rng.randint(0, len(words)), rng.choice(cues[label]))
        pairs.append((label, " ".join(words)))
    return LinearClassifier(c=10.0).fit(LabelledData.from_pairs(pairs)).save(path)


NER_SENTENCES = [
    ("John Smith lives in Paris", "B-PER I-PER O O B-LOC"),
    ("Mary works for Acme Corp in Rome", "B-PER O O B-ORG I-ORG O B-LOC"),
    ("the Acme Corp office", "O B-ORG I-ORG O"),
    ("Paris and Rome", "B-LOC O B-LOC"),
    ("Mary Jones visited London", "B-PER I-PER O B-LOC"),
]


def tiny_tagger(path: Path) -> Path:
    """A BiLSTM named-entity tagger that has learned five sentences by heart."""
    from wordseq.tag import BiLSTMTagger, TaggedSentence
    from wordseq.train import TrainConfig

    data = [TaggedSentence(w.split(), {"ner": t.split()}) for w, t in NER_SENTENCES]
    train = TrainConfig(epochs=20, optimizer="adam", lr=0.05, seed=0)
    small = dict(embed=16, hidden=16, chars="none", dropout=0.0, word_dropout=0.0, batch_size=8)
    return BiLSTMTagger(columns=["ner"], train=train, **small).fit(data, log=None).save(path)


def tiny_parser(path: Path) -> Path:
    """Chen & Manning's parser after a few epochs on the test suite's treebank excerpt."""
    from wordseq.parse import ChenManningParser

    p = ChenManningParser(embed=8, hidden=16, batch_size=64, precompute=20)
    p.config.train.epochs = 3
    p.config.train.optimizer = "adam"
    p.config.train.lr = 0.01
    return p.fit(ROOT / "tests" / "data" / "parse" / "ewt-excerpt.conllu", log=None).save(path)


def tiny_translator(path: Path) -> Path:
    """An attentional encoder-decoder that reverses short strings of letters (its attention is an anti-diagonal)."""
    import random

    from wordseq.seq2seq import Seq2Seq
    from wordseq.train import TrainConfig

    rng = random.Random(0)
    src = [" ".join(rng.choice("abcdefgh") for _ in range(rng.randint(2, 6))) for _ in range(200)]
    tgt = [" ".join(reversed(s.split())) for s in src]
    train = TrainConfig(epochs=3, optimizer="adam", lr=3e-3, clip=1.0, seed=0)
    model = Seq2Seq(
        embed=16, hidden=24, attention="bahdanau", dropout=0.0, tokenizer="whitespace", batch_size=16, train=train
    )
    return model.fit((src, tgt), log=None).save(path)


BUILDERS = {
    "vectors": ("vectors.wsq", tiny_vectors),
    "ngram": ("ngram3.wsq", tiny_ngram),
    "neural_lm": ("lstm.wsq", tiny_neural_lm),
    "classifier": ("classifier.wsq", tiny_classifier),
    "tagger": ("tagger.wsq", tiny_tagger),
    "parser": ("parser.wsq", tiny_parser),
    "translator": ("translator.wsq", tiny_translator),
}


def build_models(folder: Path, kinds: Sequence[str] = tuple(BUILDERS)) -> dict[str, Path]:
    """The tiny models the browser tests serve, by API kind (one torch thread: they are small)."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(k not in ("vectors", "ngram") for k in kinds):
        import torch

        torch.set_num_threads(1)
    return {kind: BUILDERS[kind][1](folder / BUILDERS[kind][0]) for kind in kinds}


# ---------------------------------------------------------------------------- what a person does on the page


class Page:
    """The page at ``url`` in ``driver``, with the steps of each panel."""

    def __init__(self, driver, url: str, shots: Path | None = None) -> None:
        self.driver = driver
        self.url = url
        self.shots = shots

    def open(self) -> Page:
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.get(self.url)
        WebDriverWait(self.driver, WAIT_S).until(
            lambda d: d.find_element("tag name", "body").get_attribute("data-ready")
        )
        state = self.driver.find_element("tag name", "body").get_attribute("data-ready")
        if state != "true":
            raise AssertionError(f"the page did not load its models: {self.driver.find_element('id', 'panels').text}")
        return self

    def wait(self, condition, timeout: float = WAIT_S, message: str = ""):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(condition, message)

    def panel(self, model: str):
        return self.driver.find_element("css selector", f'section.panel[data-model="{model}"]')

    def card(self, model: str, op: str):
        return self.panel(model).find_element("css selector", f".card-{op}")

    def fill(self, card, name: str, value: Any) -> None:
        field = card.find_element("css selector", f'[name="{name}"]')
        if field.tag_name == "select":
            from selenium.webdriver.support.ui import Select

            Select(field).select_by_value(str(value))
        elif field.get_attribute("type") == "checkbox":
            if field.is_selected() != bool(value):
                field.click()
        else:
            field.clear()
            field.send_keys(str(value))

    def submit(
        self,
        model: str,
        op: str,
        fields: dict[str, Any],
        done_css: str,
        timeout: float = WAIT_S,
        keyboard: bool = False,
    ):
        """Fill the card's fields, press its button (``keyboard``: Enter in the last field, Ctrl+Enter in a text
        area) and wait for ``done_css`` (or an error) in its result."""
        card = self.card(model, op)
        for name, value in fields.items():
            self.fill(card, name, value)
        old = card.find_element("css selector", ".result").get_attribute("innerHTML")
        if keyboard:
            from selenium.webdriver.common.keys import Keys

            last = card.find_element("css selector", f'[name="{list(fields)[-1]}"]')
            if last.tag_name == "textarea":
                last.send_keys(Keys.CONTROL, Keys.ENTER)
            else:
                last.send_keys(Keys.ENTER)
        else:
            card.find_element("css selector", "button[type=submit]").click()

        def answered(_):
            err = card.find_element("css selector", ".error")
            if err.is_displayed() and err.text:
                return "error"
            result = card.find_element("css selector", ".result")
            found = result.find_elements("css selector", done_css)
            return "ok" if found and result.get_attribute("innerHTML") != old else False

        outcome = self.wait(answered, timeout, f"no answer from {op} in {timeout} s")
        return card, outcome

    def error_text(self, card) -> str:
        return card.find_element("css selector", ".error").text

    def screenshot(self, name: str, element=None, hover=None) -> Path | None:
        """Save the element (or the whole window) as ``NAME.png`` in the screenshot folder, with the pointer
        over ``hover`` (an element) if given."""
        if self.shots is None:
            return None
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        if element is None:
            self.driver.save_screenshot(str(path))
        else:
            # a window tall enough for the whole element: Chromium clips element shots to the window
            height = self.driver.execute_script(
                "return Math.ceil(arguments[0].getBoundingClientRect().height)", element
            )
            size = self.driver.get_window_size()
            if height + 200 > size["height"]:
                self.driver.set_window_size(size["width"], height + 300)
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
            if hover is not None:
                from selenium.webdriver.common.action_chains import ActionChains

                ActionChains(self.driver).move_to_element(hover).perform()
            element.screenshot(str(path))
        return path


def screenshot_folder(default: Path | None = None) -> Path:
    """``$WORDSEQ_SCREENSHOTS`` if set, else ``default`` (a temporary folder if None)."""
    env = os.environ.get("WORDSEQ_SCREENSHOTS")
    if env:
        return Path(env)
    return default or Path(tempfile.mkdtemp(prefix="wordseq-screenshots-"))
