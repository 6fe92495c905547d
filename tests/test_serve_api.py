"""The HTTP API of ``wordseq serve``: every endpoint, and every kind of bad request answered with a 4xx and
a JSON error (never a traceback), through Starlette's test client on tiny models built here."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from wordseq.embed.vectors import Vectors
from wordseq.serve.app import create_app
from wordseq.serve.limits import Limits
from wordseq.serve.registry import stem, unique_names

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its test client; httpx still works
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from starlette.testclient import TestClient

WORDS = ["king", "queen", "man", "woman", "prince", "princess", "apple", "banana", "cherry", "car", "bus", "train"]


def tiny_vectors() -> Vectors:
    """Vectors with a planted royal/gender structure: king - man + woman = queen exactly, fruit and vehicles in
    their own directions."""
    dim = 6
    base = {
        "royal": np.eye(dim)[0],
        "male": np.eye(dim)[1],
        "female": np.eye(dim)[2],
        "fruit": np.eye(dim)[3],
        "vehicle": np.eye(dim)[4],
        "young": np.eye(dim)[5],
    }
    rows = {
        "king": base["royal"] + base["male"],
        "queen": base["royal"] + base["female"],
        "man": base["male"],
        "woman": base["female"],
        "prince": base["royal"] + base["male"] + 0.5 * base["young"],
        "princess": base["royal"] + base["female"] + 0.5 * base["young"],
        "apple": base["fruit"] + 0.1 * base["young"],
        "banana": base["fruit"] + 0.2 * base["young"],
        "cherry": base["fruit"] + 0.3 * base["young"],
        "car": base["vehicle"] + 0.1 * base["young"],
        "bus": base["vehicle"] + 0.2 * base["young"],
        "train": base["vehicle"] + 0.3 * base["young"],
    }
    return Vectors(WORDS, np.stack([rows[w] for w in WORDS]))


LIMITS = Limits(max_body_bytes=2048, max_tokens=20, max_concurrent_generations=1, max_words=8, max_topn=5)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app({"vec": tiny_vectors()}, LIMITS))


def post(client: TestClient, path: str, body: object) -> tuple[int, dict]:
    r = client.post(path, json=body)
    assert r.headers["content-type"].startswith("application/json"), r.text
    return r.status_code, r.json()


def assert_error(client: TestClient, path: str, body: object, status: int, *words: str) -> None:
    code, data = post(client, path, body)
    assert code == status, data
    assert set(data) == {"error"}
    for w in words:
        assert w in data["error"], data


# -- names, listing, limits ----------------------------------------------------------------------------


def test_model_names_are_stems_made_unique():
    assert stem("/some/dir/vectors-sgns.wsq") == "vectors-sgns"
    assert stem("lm.arpa.gz") == "lm"
    assert stem("we ird/na me?.wsq") == "na-me-"
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a-2", "a-3"]


def test_models_and_limits(client):
    r = client.get("/api/models")
    assert r.status_code == 200
    (m,) = r.json()["models"]
    assert m["name"] == "vec" and m["kind"] == "vectors"
    assert m["summary"]["vocab_size"] == len(WORDS) and m["summary"]["params"] == len(WORDS) * 6
    limits = client.get("/api/limits").json()
    assert limits["max_tokens"] == 20 and limits["max_topn"] == 5 and limits["max_concurrent_generations"] == 1
    assert {"max_body_bytes", "max_words"} <= set(limits)


def test_index_page_is_html(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


# -- vectors --------------------------------------------------------------------------------------------


def test_neighbors_are_cosines_in_falling_order(client):
    code, data = post(client, "/api/vec/neighbors", {"word": "apple", "topn": 3})
    assert code == 200
    assert data["word"] == "apple"
    words = [n["word"] for n in data["neighbors"]]
    assert words == ["banana", "cherry", "train"] or set(words[:2]) == {"banana", "cherry"}
    v = tiny_vectors()
    for n in data["neighbors"]:
        assert n["cosine"] == pytest.approx(v.similarity("apple", n["word"]), abs=1e-6)
    cosines = [n["cosine"] for n in data["neighbors"]]
    assert cosines == sorted(cosines, reverse=True)


def test_neighbors_resolve_case(client):
    code, data = post(client, "/api/vec/neighbors", {"word": "King", "topn": 1})
    assert code == 200 and data["word"] == "king"


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogy_answers_and_rank_of_expected(client, method):
    body = {"a": "man", "b": "king", "c": "woman", "method": method, "topn": 3, "expected": "queen"}
    code, data = post(client, "/api/vec/analogy", body)
    assert code == 200, data
    assert data["answers"][0]["word"] == "queen"
    assert data["expected"] == "queen" and data["expected_rank"] == 1
    assert len(data["answers"]) == 3
    assert not {"man", "king", "woman"} & {a["word"] for a in data["answers"]}
    # an expected answer further down is ranked among all words, not just the topn shown
    code, data = post(client, "/api/vec/analogy", {**body, "topn": 1, "expected": "bus"})
    assert data["expected_rank"] > 1 and len(data["answers"]) == 1
    code, data = post(client, "/api/vec/analogy", {**body, "expected": "zebra"})
    assert code == 200 and data["expected"] == "zebra" and data["expected_rank"] is None


def test_doesnt_match(client):
    code, data = post(client, "/api/vec/doesnt_match", {"words": ["apple", "banana", "cherry", "bus"]})
    assert code == 200 and data["odd"] == "bus"
    assert [s["word"] for s in data["scores"]][-1] == "bus"
    assert len(data["scores"]) == 4


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_map_points_groups_and_arrows(client, method):
    body = {
        "words": ["apple", "car"],
        "neighbors": 2,
        "method": method,
        "analogies": [["man", "king", "woman", "queen"]],
    }
    code, data = post(client, "/api/vec/map", body)
    assert code == 200, data
    assert data["method"] == method
    points = {p["word"]: p for p in data["points"]}
    assert len(points) == len(data["points"])  # each word once
    assert points["apple"]["query"] and points["apple"]["group"] == "apple"
    assert not points["banana"]["query"] and points["banana"]["group"] == "apple"
    assert points["queen"]["query"] and points["queen"]["group"] == "analogy"
    assert {"bus", "train"} <= set(points)
    assert all(np.isfinite([p["x"], p["y"]]).all() for p in data["points"])
    assert data["arrows"] == [{"from": "man", "to": "king"}, {"from": "woman", "to": "queen"}]


def test_map_pca_separates_the_groups(client):
    _, data = post(client, "/api/vec/map", {"words": ["apple", "car"], "neighbors": 2})
    xy = {p["word"]: np.array([p["x"], p["y"]]) for p in data["points"]}
    within = np.linalg.norm(xy["apple"] - xy["banana"])
    across = np.linalg.norm(xy["apple"] - xy["bus"])
    assert within < across


# -- bad requests ---------------------------------------------------------------------------------------


def test_malformed_json_is_400(client):
    r = client.post("/api/vec/neighbors", content=b'{"word": ')
    assert r.status_code == 400 and "JSON" in r.json()["error"]
    r = client.post("/api/vec/neighbors", content=b'["king"]')
    assert r.status_code == 400 and "object" in r.json()["error"]
    r = client.post("/api/vec/neighbors", content=b"\xff\xfe")
    assert r.status_code == 400
    r = client.post("/api/vec/neighbors", content=b"[" * 1020 + b"]" * 1020)  # within the size limit
    assert r.status_code == 400 and "deeply" in r.json()["error"]


@pytest.mark.parametrize(
    "path, body, words",
    [
        ("/api/vec/neighbors", {}, ["'word'", "required"]),
        ("/api/vec/neighbors", {"word": 3}, ["'word'", "string"]),
        ("/api/vec/neighbors", {"word": "king", "topn": "5"}, ["'topn'", "integer"]),
        ("/api/vec/neighbors", {"word": "king", "topn": True}, ["'topn'", "integer"]),
        ("/api/vec/neighbors", {"word": "king", "topn": 0}, ["'topn'", "at least 1"]),
        ("/api/vec/neighbors", {"word": "king", "topn": 6}, ["'topn'", "at most 5"]),
        ("/api/vec/analogy", {"a": "man", "b": "king"}, ["'c'"]),
        ("/api/vec/analogy", {"a": "man", "b": "king", "c": "woman", "method": "3cosdiv"}, ["'method'"]),
        ("/api/vec/doesnt_match", {"words": ["apple", "car"]}, ["'words'", "at least 3"]),
        ("/api/vec/doesnt_match", {"words": "apple car bus"}, ["'words'", "list"]),
        ("/api/vec/doesnt_match", {"words": ["apple"] * 9}, ["'words'", "at most 8"]),
        ("/api/vec/map", {"words": []}, ["'words'"]),
        ("/api/vec/map", {"words": ["apple"], "method": "umap"}, ["'method'"]),
        ("/api/vec/map", {"words": ["apple"], "analogies": [["a", "b", "c"]]}, ["'analogies'"]),
        ("/api/vec/map", {"words": ["apple"], "neighbors": 0, "method": "tsne"}, ["t-SNE"]),
    ],
)
def test_bad_fields_are_422_naming_the_field(client, path, body, words):
    assert_error(client, path, body, 422, *words)


def test_too_many_map_points_is_422():
    app = create_app({"vec": tiny_vectors()}, Limits(max_map_points=5))
    body = {"words": ["apple", "car"], "neighbors": 2}
    assert TestClient(app).post("/api/vec/map", json=body).status_code == 422  # 2 words + 4 neighbours
    assert TestClient(app).post("/api/vec/map", json={**body, "neighbors": 1}).status_code == 200


def test_unknown_words_are_422_naming_them(client):
    assert_error(client, "/api/vec/neighbors", {"word": "zebra"}, 422, "zebra")
    assert_error(client, "/api/vec/analogy", {"a": "man", "b": "kong", "c": "woman"}, 422, "'kong'")
    assert_error(client, "/api/vec/map", {"words": ["apple", "zebra", "yak"]}, 422, "'zebra'", "'yak'")
    assert_error(client, "/api/vec/doesnt_match", {"words": ["apple", "car", "gnu"]}, 422, "'gnu'")


def test_unknown_model_route_and_method(client):
    assert_error(client, "/api/nope/neighbors", {"word": "king"}, 404, "'nope'", "vec")
    assert_error(client, "/api/vec/generate", {}, 404, "'generate'", "neighbors")
    r = client.get("/api/vec/neighbors")
    assert r.status_code == 405 and "error" in r.json()
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "error" in r.json()
    r = client.get("/static/../../etc/passwd")
    assert r.status_code == 404


def test_body_too_large_is_413(client):
    big = {"word": "king", "padding": "x" * 4000}
    assert_error(client, "/api/vec/neighbors", big, 413, "2048")

    def chunks():  # no Content-Length: counted while read
        yield b'{"word": "king", "pad": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    r = client.post("/api/vec/neighbors", content=chunks())
    assert r.status_code == 413 and "error" in r.json()


def test_a_bug_is_a_json_500_without_traceback():
    class Broken(Vectors):
        def most_similar(self, *a, **k):
            raise ZeroDivisionError("boom")

    app = create_app({"b": Broken(["a", "b"], np.eye(2))}, LIMITS)
    r = TestClient(app, raise_server_exceptions=False).post("/api/b/neighbors", json={"word": "a"})
    assert r.status_code == 500
    assert r.json() == {"error": "internal error: ZeroDivisionError: boom"}
    assert "Traceback" not in r.text


def test_non_finite_floats_become_null():
    from wordseq.serve.app import dumps

    assert json.loads(dumps({"a": [float("inf"), 1.5, float("nan")]})) == {"a": [None, 1.5, None]}


# -- language models --------------------------------------------------------------------------------------

SENTENCES = ["the cat sat on the mat", "the dog sat on the log", "a cat ran", "the dog ran to the cat"]


@pytest.fixture(scope="module")
def ngram(tmp_path_factory):
    from wordseq.lm.ngram import NgramModel

    path = tmp_path_factory.mktemp("lm") / "train.txt"
    path.write_text("\n".join(SENTENCES * 3) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NgramModel(order=3, smoothing="mkn").fit(path)


@pytest.fixture(scope="module")
def neural(ngram):
    """An untrained word-level LSTM over the n-gram model's vocabulary (random weights: distinct logits)."""
    import torch

    from wordseq.lm.neural import NeuralLM
    from wordseq.lm.neural.model import build_network

    lm = NeuralLM(model="lstm", embed=8, hidden=8, layers=1)
    torch.manual_seed(0)
    lm.vocab = ngram.vocab
    lm.network = build_network(lm.config, len(ngram.vocab)).eval()
    for p in lm.network.parameters():
        torch.nn.init.normal_(p, std=1.0)
    return lm


@pytest.fixture(scope="module")
def lm_app(ngram, neural):
    return create_app({"ng": ngram, "nn": neural}, LIMITS)


@pytest.fixture(scope="module")
def lm_client(lm_app):
    return TestClient(lm_app)


def stream(client, name: str, body: dict) -> list[dict]:
    r = client.post(f"/api/{name}/generate", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines()]


def check_events(events: list[dict]) -> list[dict]:
    *tokens, done = events
    assert done["done"] is True and done["tokens"] == len(tokens)
    for e in tokens:
        assert set(e) == {"token", "text", "prob", "alternatives"}
        assert 0 < e["prob"] <= 1
        probs = [a["prob"] for a in e["alternatives"]]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True)
        assert e["prob"] <= probs[0] + 1e-12
    return tokens


def test_lms_are_listed_with_their_kinds(lm_client):
    kinds = {m["name"]: m["kind"] for m in lm_client.get("/api/models").json()["models"]}
    assert kinds == {"ng": "ngram", "nn": "neural_lm"}


def test_ngram_greedy_generation_follows_the_models_distribution(lm_client, ngram):
    events = stream(lm_client, "ng", {"prompt": "the dog", "temperature": 0, "max_tokens": 10})
    tokens = check_events(events)
    vocab = ngram.vocab
    history = [vocab.stoi["<s>"], *ngram.encode("the dog").tolist()]
    for e in tokens:
        dist = ngram.distribution(history)
        best = int(np.argmax(dist))
        assert e["token"] == vocab.itos[best]
        assert e["prob"] == pytest.approx(10 ** dist[best])
        assert e["alternatives"][0] == {"token": e["token"], "prob": pytest.approx(e["prob"])}
        history.append(best)
    assert tokens[-1]["token"] == "</s>" or len(tokens) == 10  # a sentence model stops at </s>
    words = [e["token"] for e in tokens if e["token"] != "</s>"]
    assert events[-1]["text"].split() == ["the", "dog", *words]


def test_sampling_is_seeded_and_top_k_1_is_greedy(lm_client):
    body = {"prompt": "the", "max_tokens": 8, "seed": 3, "temperature": 1.5}
    assert stream(lm_client, "ng", body) == stream(lm_client, "ng", body)
    greedy = stream(lm_client, "nn", {"prompt": "the", "max_tokens": 8, "temperature": 0})
    top1 = stream(lm_client, "nn", {"prompt": "the", "max_tokens": 8, "top_k": 1, "seed": 5})
    assert [e.get("token") for e in greedy] == [e.get("token") for e in top1]


def test_neural_greedy_generation_matches_the_family_decoder(lm_client, neural):
    from wordseq.lm.neural import generate as gen

    events = stream(lm_client, "nn", {"prompt": "the cat", "temperature": 0, "max_tokens": 12})
    tokens = check_events(events)
    assert len(tokens) == 12  # a neural LM reads </s> as a line end and goes on
    prompt = gen.encode_prompt("the cat", neural.tokenizer, neural.vocab)
    ids = list(gen.greedy_ids(neural.network, prompt.ids, 12, banned_ids=gen.never_generated(neural.vocab)))
    assert [e["token"] for e in tokens] == [neural.vocab.itos[i] for i in ids]
    expected = "the cat" + gen.Detokenizer(neural.vocab, "word", at_line_start=False).text(ids)
    assert events[-1]["text"] == expected
    assert "".join(e["text"] for e in tokens) == expected[len("the cat") :]


def test_beam_search_streams_a_sequence_at_least_as_probable_as_greedy(lm_client, ngram):
    events = stream(lm_client, "ng", {"prompt": "the", "beam": 4, "max_tokens": 6})
    tokens = check_events(events)
    assert 1 <= len(tokens) <= 6 and (tokens[-1]["token"] == "</s>" or len(tokens) == 6)
    history = [ngram.vocab.stoi["<s>"], ngram.vocab.stoi["the"]]
    for e in tokens:  # each streamed probability is the model's, along the chosen path
        token = ngram.vocab.stoi[e["token"]]
        assert e["prob"] == pytest.approx(10 ** ngram.distribution(history)[token])
        history.append(token)
    greedy = check_events(stream(lm_client, "ng", {"prompt": "the", "temperature": 0, "max_tokens": 6}))
    if greedy[-1]["token"] == "</s>" and len(greedy) == len(tokens):  # same length: beam's total is no worse
        assert sum(np.log(e["prob"]) for e in tokens) >= sum(np.log(e["prob"]) for e in greedy) - 1e-9
    events = stream(lm_client, "nn", {"prompt": "the", "beam": 3, "max_tokens": 5})
    assert 1 <= len(check_events(events)) <= 5


def test_ngram_score_matches_the_models_own_perplexity(lm_client, ngram):
    text = "the cat sat on the log"
    code, data = post(lm_client, "/api/ng/score", {"text": text})
    assert code == 200, data
    assert [t["token"] for t in data["tokens"]] == text.split() + ["</s>"]
    assert data["tokens_scored"] == 7
    ref = ngram.evaluate([text])
    assert data["perplexity"] == pytest.approx(ref.perplexity, rel=1e-9)
    assert data["nats"] == pytest.approx(-sum(np.log(t["prob"]) for t in data["tokens"]))
    for (lp, _, _), t in zip(ngram.full_scores(text), data["tokens"]):
        assert t["prob"] == pytest.approx(10**lp)


def test_neural_score_matches_the_models_own_evaluation(lm_client, neural):
    text = "the dog sat on a mat"
    code, data = post(lm_client, "/api/nn/score", {"text": text})
    assert code == 200, data
    ids = [neural.vocab.stoi[w] for w in text.split()] + [neural.eos_id]
    ref = neural.evaluate(np.array(ids), batch_size=1, bptt=len(ids))
    assert data["tokens_scored"] == len(ids)
    assert data["perplexity"] == pytest.approx(ref.perplexity, rel=1e-5)


def test_score_of_unknown_words_uses_unk(lm_client):
    code, data = post(lm_client, "/api/ng/score", {"text": "the zebra sat"})
    assert code == 200 and data["tokens"][1]["token"] == "zebra" and data["tokens"][1]["prob"] > 0


@pytest.mark.parametrize(
    "op, body, words",
    [
        ("generate", {"max_tokens": 21}, ["'max_tokens'", "at most 20"]),
        ("generate", {"max_tokens": 0}, ["'max_tokens'"]),
        ("generate", {"temperature": -1}, ["'temperature'"]),
        ("generate", {"temperature": "hot"}, ["'temperature'", "number"]),
        ("generate", {"top_p": 0}, ["'top_p'"]),
        ("generate", {"top_p": 1.5}, ["'top_p'"]),
        ("generate", {"top_k": -1}, ["'top_k'"]),
        ("generate", {"beam": 11}, ["'beam'"]),
        ("generate", {"prompt": ["the"]}, ["'prompt'", "string"]),
        ("generate", {"seed": 1.5}, ["'seed'"]),
        ("score", {}, ["'text'", "required"]),
        ("score", {"text": "   "}, ["'text'", "empty"]),
        ("score", {"text": " ".join(["the"] * 2001)}, ["2001 tokens"]),
    ],
)
def test_bad_lm_requests_are_422(op, body, words):
    app = create_app({"ng": _ngram_for_errors()}, Limits(max_tokens=20))
    assert_error(TestClient(app), f"/api/ng/{op}", body, 422, *words)


def _ngram_for_errors():
    from wordseq.lm.ngram import NgramModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NgramModel(order=2, smoothing="add-k").fit(["the cat", "the dog"])


def test_too_many_concurrent_generations_is_429_and_slots_come_back(lm_app, lm_client):
    slots = lm_app.state.slots
    assert slots.n == 1 and slots.held == 0
    release = slots.try_take()  # a generation in progress
    assert release is not None and slots.try_take() is None
    try:
        assert_error(lm_client, "/api/ng/generate", {"max_tokens": 3}, 429, "generations")
        code, _ = post(lm_client, "/api/ng/score", {"text": "the cat"})  # other operations still run
        assert code == 200
    finally:
        release()
        release()  # only the first call counts
    assert slots.held == 0
    stream(lm_client, "ng", {"max_tokens": 3})
    assert slots.held == 0
    assert_error(lm_client, "/api/ng/generate", {"max_tokens": 21}, 422)  # refused before taking a slot
    assert slots.held == 0


def test_a_real_server_streams_and_frees_the_slot_of_a_client_that_leaves_early(lm_app):
    import time

    import httpx

    from wordseq.serve.app import ServerThread

    with ServerThread(lm_app) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.url, timeout=10) as http:
            with http.stream("POST", "api/nn/generate", json={"max_tokens": 20}) as r:
                assert r.status_code == 200
                assert "token" in json.loads(next(r.iter_lines()))
            deadline = time.monotonic() + 5
            while lm_app.state.slots.held and time.monotonic() < deadline:
                time.sleep(0.02)
            assert lm_app.state.slots.held == 0
            assert http.get("api/models").status_code == 200


def test_sampling_distribution_temperature_top_k_top_p():
    from wordseq.serve.lm import sampling_probs

    with np.errstate(divide="ignore"):
        logp = np.log(np.array([0.5, 0.2, 0.15, 0.1, 0.05, 0.0]))
    assert np.allclose(sampling_probs(logp, 1.0, 0, 1.0), np.exp(logp))
    assert np.allclose(sampling_probs(logp, 0.0, 0, 1.0), [1, 0, 0, 0, 0, 0])
    hot = sampling_probs(logp, 2.0, 0, 1.0)
    assert np.allclose(hot[:5], np.sqrt(np.exp(logp[:5])) / np.sqrt(np.exp(logp[:5])).sum()) and hot[5] == 0
    assert np.allclose(sampling_probs(logp, 1.0, 2, 1.0), [5 / 7, 2 / 7, 0, 0, 0, 0])
    assert np.allclose(sampling_probs(logp, 1.0, 0, 0.7), [5 / 7, 2 / 7, 0, 0, 0, 0])  # 0.5 + 0.2 reaches 0.7
    assert np.allclose(sampling_probs(logp, 1.0, 0, 0.71), [0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85, 0, 0, 0])
    assert np.allclose(sampling_probs(logp, 1.0, 3, 0.6), [5 / 7, 2 / 7, 0, 0, 0, 0])  # top-k first, then top-p


def test_a_stream_whose_client_is_gone_before_it_starts_gives_its_slot_back():
    import anyio

    from wordseq.serve.app import GenerationStream
    from wordseq.serve.limits import Slots

    slots = Slots(1)
    release = slots.try_take()
    started = []

    async def lines():
        started.append(True)
        yield "{}\n"

    async def receive():
        await anyio.sleep(5)
        return {"type": "http.disconnect"}

    async def send(message):
        raise OSError("the client is gone")

    response = GenerationStream(lines(), release)
    with pytest.raises((OSError, BaseExceptionGroup)):
        anyio.run(response, {"type": "http", "asgi": {"spec_version": "2.0"}}, receive, send)
    assert not started and slots.held == 0
