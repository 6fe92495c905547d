"""Chen & Manning's parser: the pre-computation trick scores exactly as the plain forward pass; a saved
parser gives the same trees; it learns a tiny treebank; odd input (one word, 300 words, unseen words and tags,
broken trees) is handled."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from wordseq.errors import InputError, WordseqError
from wordseq.parse import ChenManningParser
from wordseq.parse.features import N_FEATURES, N_POSITIONS
from wordseq.parse.tree import is_projective, tree_problems
from wordseq.parse.treebank import gold_heads, read_treebank
from wordseq.text.conllu import RawLine, Sentence, parse_conllu

EXCERPT = Path(__file__).parent / "data" / "parse" / "ewt-excerpt.conllu"


def train(**overrides) -> ChenManningParser:
    p = ChenManningParser(embed=8, hidden=16, batch_size=64, precompute=20, **overrides)
    p.config.train.epochs = 3
    p.config.train.optimizer = "adam"
    p.config.train.lr = 0.01
    p.config.train.weight_decay = 0.0
    return p.fit(EXCERPT, log=None)


@pytest.fixture(scope="module")
def parser() -> ChenManningParser:
    return train()


def random_features(p: ChenManningParser, rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.empty((rows, N_FEATURES), dtype=np.int64)
    x[:, :N_POSITIONS] = rng.integers(0, len(p.words), (rows, N_POSITIONS))  # cached and rare words alike
    x[:, N_POSITIONS : 2 * N_POSITIONS] = rng.integers(0, len(p.tags), (rows, N_POSITIONS))
    x[:, 2 * N_POSITIONS :] = rng.integers(0, len(p.labels), (rows, N_FEATURES - 2 * N_POSITIONS))
    return x


@pytest.mark.parametrize("activation", ["cube", "relu", "tanh"])
def test_precomputation_gives_the_plain_forward_scores(activation):
    p = train(activation=activation) if activation != "cube" else train()
    assert len(p.words) > p.config.precompute  # some words go through the uncached path
    x = random_features(p, 200)
    np.testing.assert_allclose(p.scores(x, precompute=True), p.scores(x, precompute=False), rtol=1e-4, atol=1e-6)


def test_precomputation_with_a_word_size_of_its_own():
    p = train(word_embed=12)
    assert p.net.words.weight.shape[1] == 12 and p.net.tags.weight.shape[1] == 8
    assert p.net.hidden.in_features == N_POSITIONS * 12 + (N_FEATURES - N_POSITIONS) * 8
    x = random_features(p, 200)
    np.testing.assert_allclose(p.scores(x, precompute=True), p.scores(x, precompute=False), rtol=1e-4, atol=1e-6)


def test_saved_parser_gives_the_same_trees(parser, tmp_path):
    sentences = read_treebank(EXCERPT)
    before = parser.parse_trees(sentences)
    beam_before = parser.parse_trees(sentences[:5], beam=3)
    loaded = ChenManningParser.load(parser.save(tmp_path / "cm.wsq"))
    assert loaded.parse_trees(sentences) == before
    assert loaded.parse_trees(sentences[:5], beam=3) == beam_before
    assert loaded.config == parser.config
    assert loaded.summary().total_params == parser.summary().total_params > 0


@pytest.mark.parametrize("system", ["arc-standard", "arc-eager", "arc-hybrid"])
def test_learns_the_training_trees(system):
    p = ChenManningParser(system=system, embed=16, hidden=64, dropout=0.0, batch_size=32, min_count=1)
    p.config.train.epochs = 60
    p.config.train.optimizer = "adam"
    p.config.train.lr = 0.01
    p.config.train.weight_decay = 0.0
    p.fit(EXCERPT, log=None)
    sentences = [s for s in read_treebank(EXCERPT) if is_projective(gold_heads(s))]  # the others are skipped
    score = p.evaluate(sentences)
    assert score.uas > 0.93 and score.las > 0.9


def test_greedy_and_beam_give_trees(parser):
    sentences = read_treebank(EXCERPT)
    for trees in (parser.parse_trees(sentences, beam=1), parser.parse_trees(sentences, beam=4)):
        assert all(tree_problems([-1, *h]) == [] for h, _ in trees)


def test_odd_sentences_give_well_formed_trees(parser):
    one = Sentence.from_forms(["Hello"])
    long = Sentence.from_forms([f"w{i % 37}" for i in range(300)])  # unseen words, unseen tag "_"
    for t in long.tokens:
        t.upos = "NEVER-SEEN"
    trees = parser.parse_trees([one, long])
    assert trees[0][0] == [0]
    assert tree_problems([-1, *trees[1][0]]) == [] and len(trees[1][0]) == 300


def test_heads_are_ignored_at_prediction(parser):
    sentences = read_treebank(EXCERPT)
    broken = copy.deepcopy(sentences[:3])
    for s in broken:
        for t in s.tokens:
            t.head, t.deprel = None, "_"
    assert [[t.head for t in s.tokens] for s in parser.predict(broken)] == [
        [t.head for t in s.tokens] for s in parser.predict(sentences[:3])
    ]


BAD = {
    "cycle": "1\tA\ta\tX\tX\t_\t2\tdep\t_\t_\n2\tB\tb\tX\tX\t_\t1\tdep\t_\t_\n3\tC\tc\tX\tX\t_\t0\troot\t_\t_\n",
    "two roots": "1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n2\tB\tb\tX\tX\t_\t0\troot\t_\t_\n",
    "outside": "1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n2\tB\tb\tX\tX\t_\t7\tdep\t_\t_\n",
    "no head": "1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n2\tB\tb\tX\tX\t_\t_\tdep\t_\t_\n",
}


@pytest.mark.parametrize("problem", sorted(BAD))
def test_broken_training_trees_name_file_and_line(problem, tmp_path):
    path = tmp_path / "bad.conllu"
    good = EXCERPT.read_text(encoding="utf-8")
    path.write_text(good + "# sent_id = bad\n" + BAD[problem] + "\n", encoding="utf-8")
    line = good.count("\n") + 1
    with pytest.raises(InputError) as e:
        ChenManningParser().fit(path, log=None)
    assert str(e.value).startswith(f"{path}:{line}: not a dependency tree")
    assert len(parse_conllu(BAD[problem] + "\n")) == 1  # the file itself reads; only the tree is wrong


def test_vectors_initialise_the_words_projected_to_the_embedding_size(tmp_path):
    from wordseq.parse.common import init_from_vectors
    from wordseq.text.vocab import Vocab

    rng = np.random.default_rng(0)
    words = ["the", "cat", "sat", "dog", "ran", "a", "mat", "on", "in", "it", "is", "was"]
    mat = rng.normal(size=(len(words), 10))
    path = tmp_path / "v.txt"
    lines = [f"{len(words)} 10"] + [w + " " + " ".join(f"{x:.6f}" for x in row) for w, row in zip(words, mat)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    vocab = Vocab(["<unk>", "<null>", "<root>", "cat", "zebra"], [0, 0, 0, 1, 1], ["<unk>", "<null>", "<root>"])
    table = np.zeros((5, 4), dtype=np.float32)
    out, found, note = init_from_vectors(table, vocab, str(path), lower=True, scale=0.01)
    assert found == 1 and "projected to 4" in note
    assert np.abs(out[3]).sum() > 0 and np.all(out[4] == 0)  # "cat" found, "zebra" left as it was
    centred = mat - mat.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:4].T
    expected *= 0.01 / expected.std()
    np.testing.assert_allclose(out[3], expected[1], rtol=1e-4, atol=1e-7)


def vector_file(tmp_path: Path, words: list[str], seed: int) -> tuple[Path, np.ndarray]:
    """An 8-dimensional word2vec text file of ``words`` with random vectors, and those vectors."""
    mat = np.random.default_rng(seed).normal(size=(len(words), 8)).round(5)
    path = tmp_path / "v.txt"
    lines = [f"{len(words)} 8"] + [w + " " + " ".join(f"{x:.5f}" for x in row) for w, row in zip(words, mat)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, mat


def test_vector_words_join_the_vocabulary_with_their_vectors(tmp_path):
    """With vectors, the file's first ``max_vectors`` words get ids of their own (a word seen once in training
    as well as a word never seen), initialised from the file; without them they would be <unk>."""
    path, mat = vector_file(tmp_path, ["the", "zyzzyva", "quokka", "of"], seed=1)
    p = ChenManningParser(embed=8, hidden=16, batch_size=64, precompute=20, max_vectors=100)
    p.config.train.epochs = 1
    p.config.train.weight_decay = 0.0
    p.fit(EXCERPT, vectors=path, log=None)
    assert {"zyzzyva", "quokka"} <= set(p.words.stoi)
    row = p.net.words.weight.detach().numpy()[p.words.stoi["zyzzyva"]]
    np.testing.assert_allclose(row, mat[1] * 0.01 / mat.std(), rtol=1e-4)  # its file vector, never trained
    assert "4 of" in p.provenance["vectors"]
    plain = ChenManningParser(embed=8, hidden=16, batch_size=64, precompute=20, max_vectors=0)
    plain.config.train.epochs = 1
    plain.fit(EXCERPT, vectors=path, log=None)
    assert "zyzzyva" not in plain.words.stoi and len(plain.words) == len(p.words) - 2
    # the paper's L2 (1e-8) under AdaGrad: a row without data gradients moves by the full rate towards zero
    decayed = ChenManningParser(embed=8, hidden=16, batch_size=64, precompute=20, max_vectors=100)
    decayed.config.train.epochs = 1
    notes: list[str] = []
    decayed.fit(EXCERPT, vectors=path, log=notes.append)
    assert any("shrink towards zero" in n for n in notes)
    gone = decayed.net.words.weight.detach().numpy()[decayed.words.stoi["zyzzyva"]]
    assert np.abs(gone).max() < 0.01 * np.abs(row).max()


def test_frozen_vectors_stay_fixed_and_the_correction_moves(tmp_path):
    """frozen_vectors: the file's table is not trained, the correction of training words moves from zero, a
    word never seen in training scores with its file vector alone; the pre-computed scores equal the plain
    forward pass; without a vector file the option is refused."""
    import torch

    path, mat = vector_file(tmp_path, ["the", "zyzzyva", "of", "to"], seed=2)
    p = ChenManningParser(embed=8, hidden=16, batch_size=64, precompute=20, frozen_vectors=True, max_vectors=100)
    p.config.train.epochs = 1
    p.fit(EXCERPT, vectors=path, log=None)
    fixed, corr = p.net.pretrained.weight.detach().numpy(), p.net.words.weight.detach().numpy()
    the, unseen = p.words.stoi["the"], p.words.stoi["zyzzyva"]
    np.testing.assert_allclose(fixed[the], mat[0] * 0.01 / mat.std(), rtol=1e-5)
    assert np.abs(corr[the]).sum() > 0 and not p.net.pretrained.weight.requires_grad
    assert np.all(corr[unseen] == 0)
    x = random_features(p, 100)
    np.testing.assert_allclose(p.scores(x, precompute=True), p.scores(x, precompute=False), rtol=1e-4, atol=1e-6)
    loaded = ChenManningParser.load(p.save(tmp_path / "f.wsq"))
    assert torch.equal(loaded.net.pretrained.weight, p.net.pretrained.weight)
    with pytest.raises(WordseqError, match="needs a vector file"):
        ChenManningParser(frozen_vectors=True).fit(EXCERPT, log=None)


def test_resumed_training_keeps_the_best_dev_epoch_of_an_uninterrupted_run(tmp_path):
    """Stopped after epoch 1 of 3 and resumed: the dev scores of every epoch, the best epoch and its weights
    are those of one uninterrupted run (the dev record travels in the checkpoint)."""

    def run(epochs: int, ckpt: str, resume: bool = False) -> ChenManningParser:
        p = ChenManningParser(embed=8, hidden=16, batch_size=64, precompute=20)
        p.config.train.epochs = epochs
        p.config.train.optimizer, p.config.train.lr = "adam", 0.01
        return p.fit(EXCERPT, valid=EXCERPT, checkpoint=tmp_path / ckpt, resume=resume, log=None)

    full = run(3, "full.ckpt")
    run(1, "part.ckpt")
    resumed = run(3, "part.ckpt", resume=True)
    assert resumed.metrics == full.metrics

    def scores(history: list[dict]) -> list[dict]:
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert scores(resumed.history) == scores(full.history) and len(full.history) == 3
    for (name, a), b in zip(full.net.state_dict().items(), resumed.net.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name


@pytest.mark.parametrize("system", ["arc-standard", "arc-hybrid"])
def test_compiled_states_follow_the_python_states_move_by_move(system):
    """Random legal moves through every excerpt sentence (and a 300-word one): at each step the compiled
    states give the Python states' 48 features and take the same move, and end in the same trees."""
    from wordseq.parse import _cm_kernel as K
    from wordseq.parse.features import features
    from wordseq.parse.transitions import make_system

    tm = make_system(system, 5)
    actions = np.array(tm.actions, dtype=np.int64)
    rng = np.random.default_rng(1)
    lengths = [len(s) for s in read_treebank(EXCERPT)] + [300, 1]
    ids = [(rng.integers(3, 50, n + 2).tolist(), rng.integers(3, 20, n + 2).tolist()) for n in lengths]
    states = [tm.initial(len(w) - 2) for w, _ in ids]
    st = K.States(ids)
    active = st.unfinished()
    steps = 0
    while len(active):
        assert st.features(active).tolist() == [features(states[k], *ids[k]) for k in active]
        scores = rng.random((len(active), tm.n_actions)).astype(np.float32)
        for r, k in enumerate(active.tolist()):
            sc = np.where(tm.legal_mask(states[k]), scores[r], -np.inf)
            move, label = tm.actions[int(sc.argmax())]
            tm.apply(states[k], move, label)
        active = st.step(K.COMPILED_SYSTEMS[system], active, scores, actions)
        assert active.tolist() == [k for k, s in enumerate(states) if not tm.is_terminal(s)]
        steps += 1
    assert steps == 2 * 300
    assert [st.tree(k) for k in range(len(ids))] == [tm.finish(s) for s in states]
    assert any(h > d for h, d in zip(st.heads, range(len(st.heads))) if h > 0)  # left arcs were built


@pytest.mark.parametrize("system", ["arc-standard", "arc-hybrid"])
@pytest.mark.parametrize("precompute", [True, False])
def test_compiled_greedy_parsing_gives_the_python_trees(system, precompute):
    """The compiled decoder's trees are those of the Python states, batched and one sentence at a time."""
    p = ChenManningParser(system=system, embed=16, hidden=64, dropout=0.0, batch_size=32, precompute=20)
    p.config.train.epochs = 8
    p.config.train.optimizer, p.config.train.lr, p.config.train.weight_decay = "adam", 0.01, 0.0
    p.fit(EXCERPT, log=None)
    assert len(p.words) > p.config.precompute  # rare words take the uncached path
    sentences = read_treebank(EXCERPT) + [Sentence.from_forms(["Hello"])]
    compiled = p.parse_trees(sentences, precompute=precompute)
    assert compiled == p.parse_trees(sentences, precompute=precompute, compiled=False)
    assert compiled == [p.parse_trees([s], precompute=precompute, compiled=False)[0] for s in sentences]
    labels = {r for _, rels in compiled for r in rels}
    assert len(labels) > 10  # a parser that has learnt something: the comparison is not of trivial trees


def test_compiled_hidden_layer_is_numpys_bit_for_bit(parser):
    pre = parser.precomputed()
    x = random_features(parser, 300)
    assert (x[:, :N_POSITIONS] >= pre.K).any() and (x[:, :N_POSITIONS] < pre.K).any()  # rare and cached words
    assert np.array_equal(pre.compiled_hidden_input(x), pre.hidden_input(x))


def test_with_tree_copies_the_sentence():
    from wordseq.parse.treebank import with_tree

    s = read_treebank(EXCERPT)[0]
    s.raw_lines.append(RawLine(1, "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_"))
    original = copy.deepcopy(s)
    heads = list(range(len(s)))
    rels = [f"r{k}" for k in range(len(s))]
    out = with_tree(s, heads, rels)
    expected = copy.deepcopy(s)
    for t, h, r in zip(expected.tokens, heads, rels):
        t.head, t.deprel = h, r
    assert out == expected and out.line == s.line and s == original
    assert out.raw_lines == s.raw_lines and out.raw_lines[0] is not s.raw_lines[0]
    assert out.to_text() == expected.to_text()
    with pytest.raises(ValueError):
        with_tree(s, heads[1:], rels[1:])
