"""The page of ``wordseq serve`` as a person uses it, in a headless Chromium: ask for neighbours, an analogy,
a map, a generation and a score, and check what the page shows against what the API answers."""

from __future__ import annotations

import pytest
from browser_helpers import api

pytestmark = pytest.mark.browser


def rows(card, css: str = ".result tbody tr") -> list[list[str]]:
    return [
        [td.text for td in tr.find_elements("css selector", "td")] for tr in card.find_elements("css selector", css)
    ]


def test_page_lists_a_panel_per_model(page, models):
    panels = page.driver.find_elements("css selector", "section.panel")
    kinds = sorted(p.get_attribute("data-kind") for p in panels)
    assert kinds == sorted(models)
    nav = [a.get_attribute("href").rsplit("#", 1)[1] for a in page.driver.find_elements("css selector", "#model-nav a")]
    assert nav == [p.get_attribute("id") for p in panels]


def test_neighbours_analogy_and_map(page):
    card, outcome = page.submit("vectors", "neighbors", {"word": "king", "topn": 5}, "table.scores")
    assert outcome == "ok", page.error_text(card)
    shown = rows(card)
    expected = api(page.url, "api/vectors/neighbors", {"word": "king", "topn": 5})["neighbors"]
    assert [r[1] for r in shown] == [n["word"] for n in expected]
    assert [float(r[2]) for r in shown] == pytest.approx([n["cosine"] for n in expected], abs=1e-3)
    assert shown[0][1] == "prince"  # royal and male, as planted

    card, outcome = page.submit(
        "vectors",
        "analogy",
        {"a": "man", "b": "king", "c": "woman", "expected": "queen", "method": "3cosmul"},
        ".answer",
    )
    assert outcome == "ok", page.error_text(card)
    assert card.find_element("css selector", ".answer-word").text == "queen"
    assert "ranks 1" in card.find_element("css selector", ".expected-rank").text
    assert card.find_element("css selector", "tr.highlight td.word").text == "queen"

    card, outcome = page.submit("vectors", "doesnt_match", {"words": "apple pear paris plum"}, ".answer")
    assert outcome == "ok", page.error_text(card)
    assert card.find_element("css selector", ".answer-word").text == "paris"

    # the map's words are those asked about above; each point is one circle, the analogy two arrows
    map_card = page.card("vectors", "map")
    words = map_card.find_element("css selector", '[name="words"]').get_attribute("value").split()
    assert words == ["king", "man", "woman", "queen"]
    card, outcome = page.submit("vectors", "map", {"neighbors": 2}, "svg.map")
    assert outcome == "ok", page.error_text(card)
    body = {"words": words, "neighbors": 2, "method": "pca", "analogies": [["man", "king", "woman", "queen"]]}
    expected_map = api(page.url, "api/vectors/map", body)
    circles = card.find_elements("css selector", "svg.map circle")
    labels = [t.get_attribute("textContent") for t in card.find_elements("css selector", "svg.map text.label")]
    assert len(circles) == len(expected_map["points"]) > len(words)
    assert sorted(labels) == sorted(p["word"] for p in expected_map["points"])
    assert len(card.find_elements("css selector", "svg.map line.arrow")) == len(expected_map["arrows"]) == 2

    # zooming with the wheel spreads the points apart
    svg = card.find_element("css selector", "svg.map")
    xs = lambda: sorted(float(c.get_attribute("cx")) for c in card.find_elements("css selector", "svg.map circle"))
    before = xs()
    page.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -400, clientX: r.left + r.width / 2,"
        " clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));",
        svg,
    )
    after = xs()
    assert after[-1] - after[0] > 1.5 * (before[-1] - before[0])
    page.screenshot("serve-vectors", page.panel("vectors"))

    # the same words by t-SNE: as many points, in other places
    card, outcome = page.submit("vectors", "map", {"method": "tsne"}, "svg.map")
    assert outcome == "ok", page.error_text(card)
    assert len(card.find_elements("css selector", "svg.map circle")) == len(expected_map["points"])
    assert card.find_element("css selector", ".map-controls .hint").text.startswith("t-SNE · ")


def test_errors_from_the_api_are_shown_in_the_panel(page):
    card, outcome = page.submit("vectors", "neighbors", {"word": "zzzqx"}, "table.scores", keyboard=True)
    assert outcome == "error"
    assert "zzzqx" in page.error_text(card)


def test_generation_streams_coloured_tokens(page):
    card, outcome = page.submit(
        "ngram3", "generate", {"prompt": "the king", "max_tokens": 25, "seed": 1}, '.tokens[data-done="true"]'
    )
    assert outcome == "ok", page.error_text(card)
    tokens = card.find_elements("css selector", ".tokens .token")
    status = card.find_element("css selector", ".status").text
    assert status == f"Done: {len(tokens)} tokens."
    assert 5 <= len(tokens) <= 25
    assert all(t.get_attribute("style").startswith("background") for t in tokens)

    # hovering a token shows its probability and the top alternatives
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(page.driver).move_to_element(tokens[0]).perform()
    tip = page.driver.find_element("id", "tooltip")
    page.wait(lambda _: tip.is_displayed(), 5, "no tooltip on hover")
    assert tokens[0].text in tip.text
    assert tip.find_elements("css selector", "table.tip-alts tr")
    page.screenshot("serve-generate", page.card("ngram3", "generate"))


def test_neural_language_model_generates_and_scores(page):
    """The demo's kind of LSTM: a sampled generation streamed into the page, then the perplexity of a line."""
    settings = {"prompt": "the king", "max_tokens": 12, "temperature": 0.8, "top_k": 20, "seed": 3}
    card, outcome = page.submit("lstm", "generate", settings, '.tokens[data-done="true"]')
    assert outcome == "ok", page.error_text(card)
    tokens = card.find_elements("css selector", ".tokens .token")
    assert 1 <= len(tokens) <= 12 and all(t.get_attribute("style").startswith("background") for t in tokens)
    text = "the king is here"
    card, outcome = page.submit("lstm", "score", {"text": text}, "dd.perplexity")
    assert outcome == "ok", page.error_text(card)
    expected = api(page.url, "api/lstm/score", {"text": text})
    assert card.find_element("css selector", "dd.perplexity").text == f"{expected['perplexity']:.2f}"


def test_perplexity_of_pasted_text(page):
    text = "the king is dead and the queen is here"
    card, outcome = page.submit("ngram3", "score", {"text": text}, "dd.perplexity", keyboard=True)  # Ctrl+Enter
    assert outcome == "ok", page.error_text(card)
    expected = api(page.url, "api/ngram3/score", {"text": text})
    assert card.find_element("css selector", "dd.perplexity").text == f"{expected['perplexity']:.2f}"
    assert len(card.find_elements("css selector", ".tokens .token")) == len(expected["tokens"])
    page.screenshot("serve-lm", page.panel("ngram3"))


def test_classifier_bars(page):
    text = "a really great film"
    card, outcome = page.submit("classifier", "classify", {"text": text}, "table.probs")
    assert outcome == "ok", page.error_text(card)
    expected = api(page.url, "api/classifier/classify", {"text": text})
    assert card.find_element("css selector", ".answer-word").text == expected["label"] == "pos"
    labels = [th.text for th in card.find_elements("css selector", "table.probs th")]
    assert labels == [p["label"] for p in expected["probabilities"]]
    widths = [
        float(b.get_attribute("style").split("width:")[1].rstrip("%;"))
        for b in card.find_elements("css selector", ".prob-fill")
    ]
    assert widths == pytest.approx([100 * p["prob"] for p in expected["probabilities"]], abs=0.01)
    page.screenshot("serve-classifier", page.panel("classifier"))


def test_tagger_tags_inline_and_entity_spans(page):
    text = "Mary works for Acme Corp in Rome"
    card, outcome = page.submit("tagger", "tag", {"text": text}, ".tagged")
    assert outcome == "ok", page.error_text(card)
    expected = api(page.url, "api/tagger/tag", {"text": text})
    shown = [(t.find_element("css selector", ".form").text, t.find_element("css selector", ".tag").text)
             for t in card.find_elements("css selector", ".tagged-token")]  # fmt: skip
    assert shown == [(t["token"], t["tag"]) for t in expected["tokens"]]
    marks = card.find_elements("css selector", "mark.entity")
    assert [m.get_attribute("data-label") for m in marks] == [s["label"] for s in expected["spans"]]
    assert [m.get_attribute("data-label") for m in marks] == ["PER", "ORG", "LOC"]  # a sentence it learned
    assert [f.text for f in marks[1].find_elements("css selector", ".form")] == ["Acme", "Corp"]
    page.screenshot("serve-tagger", page.panel("tagger"))


def test_parser_draws_the_tree(page):
    text = "the cat sat on the mat"
    card, outcome = page.submit("parser", "parse", {"text": text}, "svg.tree")
    assert outcome == "ok", page.error_text(card)
    tokens = api(page.url, "api/parser/parse", {"text": text})["tokens"]
    forms = [t.text for t in card.find_elements("css selector", "svg.tree text.form")]
    assert forms == text.split()
    arcs = card.find_elements("css selector", "svg.tree g.arc")
    assert len(arcs) == len(tokens)  # one arc per word: its head, or the root
    labels = sorted(t.text for t in card.find_elements("css selector", "svg.tree text.deprel"))
    assert labels == sorted(t["deprel"] for t in tokens)
    page.screenshot("serve-parser", page.panel("parser"))


def test_translation_and_its_attention(page):
    text = "a b c d"
    card, outcome = page.submit("translator", "translate", {"text": text, "beam": 3}, ".translation")
    assert outcome == "ok", page.error_text(card)
    expected = api(page.url, "api/translator/translate", {"text": text, "beam": 3})
    shown = card.find_element("css selector", ".translation").text
    assert shown == " ".join(w for w in expected["target"] if w != "</s>")
    cells = card.find_elements("css selector", "svg.attention rect.cell")
    assert len(cells) == len(expected["target"]) * len(expected["source"])
    page.screenshot("serve-translator", page.panel("translator"))
