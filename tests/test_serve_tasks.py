"""``wordseq serve`` over the task models: a classifier's probabilities, a tagger's tags and spans, a
parser's tree and a translation with its attention matrix, each the same as the model's own prediction;
and the task endpoints' bad requests. The models are tiny and barely trained: the API is under test."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from wordseq.serve.app import create_app
from wordseq.serve.limits import Limits
from wordseq.train import TrainConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from starlette.testclient import TestClient

EXCERPT = Path(__file__).parent / "data" / "parse" / "ewt-excerpt.conllu"
NER = [
    ("John Smith lives in Paris", "B-PER I-PER O O B-LOC"),
    ("Mary works for Acme Corp in Rome", "B-PER O O B-ORG I-ORG O B-LOC"),
    ("the Acme Corp office", "O B-ORG I-ORG O"),
]


def quick(epochs: int = 2) -> TrainConfig:
    return TrainConfig(epochs=epochs, optimizer="adam", lr=0.01)


@pytest.fixture(scope="module")
def models(one_torch_thread_module):
    from wordseq.classify.data import LabelledData
    from wordseq.classify.linear import LinearClassifier
    from wordseq.parse import BiaffineParser
    from wordseq.seq2seq import Seq2Seq
    from wordseq.tag import TaggedSentence, WindowTagger

    pairs = [("pos", "good film"), ("neg", "bad film"), ("pos", "great cast"), ("neg", "awful plot")] * 5
    classifier = LinearClassifier().fit(LabelledData.from_pairs(pairs))
    sentences = [TaggedSentence(w.split(), {"ner": t.split()}) for w, t in NER]
    tagger = WindowTagger(columns=["ner"], embed=8, hidden=16, train=quick(3)).fit(sentences, log=None)
    parser = BiaffineParser(
        hidden=16, embed=8, tag_embed=4, char_filters=4, arc_mlp=8, label_mlp=8, layers=1, dropout=0.0, min_count=1,
        batch_tokens=100, train=quick(1),
    )  # fmt: skip
    parser.fit(EXCERPT, log=None)
    src = ["a b c", "b c d", "c d a", "d a b c"] * 8
    tgt = [" ".join(reversed(s.split())) for s in src]
    options = dict(embed=8, hidden=8, dropout=0.0, tokenizer="whitespace", batch_size=16, valid_bleu=False)
    with_attention = Seq2Seq(attention="bahdanau", **options, train=quick(1)).fit((src, tgt), log=None)
    without = Seq2Seq(attention="none", **options, train=quick(1)).fit((src, tgt), log=None)
    return {"clf": classifier, "tagger": tagger, "parser": parser, "mt": with_attention, "mt0": without}


@pytest.fixture(scope="module")
def one_torch_thread_module():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def client(models):
    return TestClient(create_app(models, Limits(max_text_tokens=10, max_beam=4)))


def post(client, path, body):
    r = client.post(path, json=body)
    assert r.headers["content-type"].startswith("application/json"), r.text
    return r.status_code, r.json()


def test_kinds(client):
    kinds = {m["name"]: m["kind"] for m in client.get("/api/models").json()["models"]}
    assert kinds == {
        "clf": "classifier",
        "tagger": "tagger",
        "parser": "parser",
        "mt": "translator",
        "mt0": "translator",
    }


def test_classify_gives_the_models_probabilities_most_probable_first(client, models):
    code, data = post(client, "/api/clf/classify", {"text": "a good plot"})
    assert code == 200, data
    clf = models["clf"]
    probs = clf.predict_proba(["a good plot"])[0]
    assert {p["label"]: p["prob"] for p in data["probabilities"]} == {
        label: pytest.approx(float(p)) for label, p in zip(clf.labels, probs)
    }
    ranked = [p["prob"] for p in data["probabilities"]]
    assert ranked == sorted(ranked, reverse=True)
    assert data["label"] == clf.predict(["a good plot"])[0] == data["probabilities"][0]["label"]
    assert sum(ranked) == pytest.approx(1.0)


def test_tag_gives_the_models_tags_and_their_spans(client, models):
    from wordseq.tag.schemes import spans

    text = "John Smith works in Rome"
    code, data = post(client, "/api/tagger/tag", {"text": text})
    assert code == 200, data
    tags = models["tagger"].tag(text.split())
    assert [t["token"] for t in data["tokens"]] == text.split()
    assert [t["tag"] for t in data["tokens"]] == tags
    assert [(s["label"], s["start"], s["end"]) for s in data["spans"]] == spans(tags)
    assert data["column"] == "ner" and data["columns"] == {"ner": tags}


def test_parse_gives_the_models_tree(client, models):
    from wordseq.text.conllu import Sentence

    words = ["The", "dog", "barks", "at", "the", "cat", "."]
    code, data = post(client, "/api/parser/parse", {"text": " ".join(words)})
    assert code == 200, data
    (ref,) = models["parser"].predict([Sentence.from_forms(words)])
    assert [t["id"] for t in data["tokens"]] == list(range(1, len(words) + 1))
    assert [t["form"] for t in data["tokens"]] == words
    assert [(t["head"], t["deprel"]) for t in data["tokens"]] == [(t.head, t.deprel) for t in ref.tokens]
    assert sum(t["head"] == 0 for t in data["tokens"]) >= 1
    assert all(0 <= t["head"] <= len(words) for t in data["tokens"])


def test_translate_with_attention_rows_over_the_source(client, models):
    code, data = post(client, "/api/mt/translate", {"text": "a b c d", "beam": 2})
    assert code == 200, data
    assert data["source"] == ["a", "b", "c", "d"]
    assert data["target"][-1] == "</s>"
    att = np.array(data["attention"])
    assert att.shape == (len(data["target"]), len(data["source"]))
    assert np.allclose(att.sum(axis=1), 1.0, atol=1e-4)
    assert data["translation"] == models["mt"].translate(["a b c d"], beam=2)[0]


def test_translate_without_attention(client, models):
    code, data = post(client, "/api/mt0/translate", {"text": "a b c"})
    assert code == 200, data
    assert data["attention"] is None
    assert " ".join(data["target"]) == models["mt0"].translate(["a b c"], beam=4, tokenized=True)[0]


@pytest.mark.parametrize(
    "path, body, status, words",
    [
        ("/api/clf/classify", {}, 422, ["'text'", "required"]),
        ("/api/clf/classify", {"text": 5}, 422, ["'text'", "string"]),
        ("/api/tagger/tag", {"text": ""}, 422, ["'text'", "empty"]),
        ("/api/parser/parse", {"text": " ".join(["w"] * 11)}, 422, ["11 tokens", "10"]),
        ("/api/mt/translate", {"text": "a b", "beam": 0}, 422, ["'beam'"]),
        ("/api/mt/translate", {"text": "a b", "beam": 5}, 422, ["'beam'", "at most 4"]),
        ("/api/tagger/classify", {"text": "a"}, 404, ["'classify'", "tag"]),
        ("/api/clf/generate", {"text": "a"}, 404, ["'generate'"]),
    ],
)
def test_bad_task_requests(client, path, body, status, words):
    code, data = post(client, path, body)
    assert code == status, data
    assert set(data) == {"error"}
    for w in words:
        assert w in data["error"]
