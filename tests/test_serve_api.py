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
