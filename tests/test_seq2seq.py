"""Sequence to sequence: masking, decoding, BLEU, a task learned exactly, files, the command line, bad input."""

from __future__ import annotations

import gzip
import random
import zipfile

import numpy as np
import pytest
import torch

from wordseq.cli import main
from wordseq.errors import InputError, WordseqError
from wordseq.io.modelfile import load_model
from wordseq.seq2seq import Seq2Seq, Seq2SeqConfig, beam_search, corpus_bleu, greedy, read_parallel, read_tsv
from wordseq.seq2seq.data import bucket_batches, pad
from wordseq.seq2seq.net import Attention, Seq2SeqNet
from wordseq.train.loop import TrainConfig

WORDS = list("abcdefgh")


def reverse_pairs(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    src = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))) for _ in range(n)]
    return src, [" ".join(reversed(s.split())) for s in src]


def tiny(attention: str = "bahdanau", epochs: int = 1, **kw) -> Seq2Seq:
    src, tgt = reverse_pairs(120)
    options = dict(embed=16, hidden=24, attention=attention, dropout=0.0, tokenizer="whitespace", batch_size=16)
    options.update(kw)
    model = Seq2Seq(**options, train=TrainConfig(epochs=epochs, optimizer="adam", lr=3e-3, clip=1.0))
    return model.fit((src, tgt), log=None)


@pytest.fixture(scope="module")
def reverser() -> Seq2Seq:
    """Bahdanau attention trained on reversing strings of letters until it gets them all right."""
    torch.manual_seed(0)
    src, tgt = reverse_pairs(600)
    model = Seq2Seq(
        embed=32,
        hidden=64,
        attention="bahdanau",
        dropout=0.0,
        tokenizer="whitespace",
        batch_size=32,
        valid_bleu=False,
        train=TrainConfig(epochs=15, optimizer="adam", lr=3e-3, clip=1.0),
    )
    return model.fit((src, tgt), log=None)


# ---------------------------------------------------------------- masking


def test_attention_weights_sum_to_one_over_real_positions_and_are_zero_on_padding():
    torch.manual_seed(1)
    for kind, score in (("bahdanau", "general"), ("luong", "general"), ("luong", "dot")):
        attn = Attention(kind, 8, 8, 6, score)
        memory = torch.randn(3, 5, 8)
        mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
        context, weights = attn(torch.randn(3, 8), attn.keys(memory), memory, mask)
        assert torch.allclose(weights.sum(1), torch.ones(3))
        assert (weights[~mask] == 0).all()
        assert (weights[mask] > 0).all()
        assert torch.allclose(context[2], memory[2, 0])  # one real position: all the weight on it


@pytest.mark.parametrize("attention", ["none", "bahdanau", "luong"])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_padded_batch_gives_the_outputs_of_each_sentence_alone(attention, cell):
    torch.manual_seed(2)
    net = Seq2SeqNet(12, 10, embed=8, hidden=8, layers=2, encoder_cell=cell, decoder_cell=cell, attention=attention)
    net.eval()
    seqs = [np.array([4, 5, 6, 7, 8]), np.array([9, 4]), np.array([11, 10, 5])]
    tgts = [np.array([4, 5, 6]), np.array([7, 8, 9, 4, 5]), np.array([6])]
    src, lengths = pad(seqs)
    tgt, _ = pad(tgts, bos=True)
    batch = net(torch.from_numpy(src), torch.from_numpy(lengths), torch.from_numpy(tgt))
    hyps = greedy(net, torch.from_numpy(src), torch.from_numpy(lengths))
    beams = beam_search(net, torch.from_numpy(src), torch.from_numpy(lengths), beam=3)
    for i, (s, t) in enumerate(zip(seqs, tgts)):
        s1, l1 = pad([s])
        t1, _ = pad([t], bos=True)
        alone = net(torch.from_numpy(s1), torch.from_numpy(l1), torch.from_numpy(t1))
        assert torch.allclose(batch[i, : len(t) + 1], alone[0], atol=1e-5)
        assert greedy(net, torch.from_numpy(s1), torch.from_numpy(l1))[0].ids == hyps[i].ids
        assert beam_search(net, torch.from_numpy(s1), torch.from_numpy(l1), beam=3)[0][0].ids == beams[i][0].ids


# ---------------------------------------------------------------- decoding


def test_beam_one_is_greedy_and_wider_beams_never_score_below_greedy(reverser):
    net = reverser.net
    rng = random.Random(5)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 9))) for _ in range(30)]
    tokens = reverser.tokenize(sentences)
    seqs = [reverser.src_vocab.encode(t).astype(np.int64) for t in tokens]
    src, lengths = (torch.from_numpy(a) for a in pad(seqs))
    g = greedy(net, src, lengths)
    b1 = beam_search(net, src, lengths, beam=1, alpha=0.0)
    for x, y in zip(g, b1):
        assert x.ids == y[0].ids
        assert x.log_prob == pytest.approx(y[0].log_prob, abs=1e-4)
    for k in (2, 4, 8):
        bk = beam_search(net, src, lengths, beam=k, alpha=0.0)
        for x, y in zip(g, bk):
            assert y[0].log_prob >= x.log_prob - 1e-4
    # the reported log-probabilities are the model's
    scored = reverser.score_ids(seqs, [np.array(h.ids, dtype=np.int64) for h in g])
    assert scored == pytest.approx([h.log_prob for h in g], abs=1e-3)


def test_nbest_lists_are_sorted_and_distinct(reverser):
    out = reverser.translate(["a b c", "h g"], beam=4, nbest=3, tokenized=True)
    for hyps in out:
        assert len(hyps) == 3
        assert len({t for t, _ in hyps}) == 3
    assert out[0][0][0] == "c b a"


def test_tiny_reverse_task_is_learned_exactly(reverser):
    src, tgt = reverse_pairs(600)
    for beam in (1, 5):
        assert reverser.translate(src[:200], beam=beam, tokenized=True) == tgt[:200]
    src, tgt = reverse_pairs(100, seed=7)  # strings never seen
    out = reverser.translate(src, beam=5, tokenized=True)
    assert sum(o == t for o, t in zip(out, tgt)) >= 95


def test_unknown_word_replacement_copies_the_attended_source_word(reverser):
    from wordseq.seq2seq import Hypothesis

    unk = reverser.tgt_vocab.unk_id
    a = reverser.tgt_vocab["a"]
    attention = torch.tensor([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]])
    hyp = Hypothesis([a, unk, unk], -1.0, -1.0, attention)
    src = ["x", "zzz", "qqq"]
    assert reverser._output_tokens(hyp, src, replace_unk=True) == ["a", "x", "qqq"]
    assert reverser._output_tokens(hyp, src, replace_unk=False) == ["a", "<unk>", "<unk>"]


# ---------------------------------------------------------------- BLEU


def test_corpus_bleu_equals_sacrebleu_on_fixed_outputs():
    sacrebleu = pytest.importorskip("sacrebleu")
    hyps = ["the cat sat on the mat .", "a man rides a red bike down the road", "two dogs play in the snow"]
    refs = ["the cat is on the mat .", "a man rides a bicycle down the road .", "two dogs are playing in snow"]
    ours = corpus_bleu([h.split() for h in hyps], [r.split() for r in refs])
    theirs = sacrebleu.corpus_bleu(hyps, [refs], tokenize="none", smooth_method="none").score
    assert ours == pytest.approx(theirs, abs=1e-9)
    assert corpus_bleu([r.split() for r in refs], [r.split() for r in refs]) == pytest.approx(100.0)


def test_evaluate_reports_both_bleus_and_chrf(reverser):
    src, tgt = (x[:20] for x in reverse_pairs(600))
    score = reverser.evaluate((src, tgt), beam=2)
    assert score.tokenized_bleu_pct == pytest.approx(100.0)
    assert score.sacrebleu_pct == pytest.approx(100.0)
    assert score.chrf_pct == pytest.approx(100.0)
    assert "case:lc" in score.sacrebleu_signature and score.sentences == 20


# ---------------------------------------------------------------- files


@pytest.mark.parametrize(
    "options",
    [
        {"attention": "none"},
        {"attention": "bahdanau", "tie_embeddings": True},
        {"attention": "luong", "luong_score": "dot", "bidirectional": False, "decoder_cell": "lstm-peephole"},
        {"attention": "luong", "encoder_cell": "lstm", "decoder_cell": "lstm", "layers": 2},
    ],
)
def test_saved_model_translates_exactly_as_before(tmp_path, options):
    model = tiny(**options)
    sentences = ["a b c", "h g f e d", "b"]
    before = model.translate(sentences, beam=3, nbest=2)
    path = model.save(tmp_path / "m.wsq")
    loaded = Seq2Seq.load(path)
    assert loaded.config == model.config
    assert loaded.translate(sentences, beam=3, nbest=2) == before
    import wordseq

    assert wordseq.load(path).translate(sentences, beam=1) == model.translate(sentences, beam=1)
    assert loaded.summary().total_params == sum(p.numel() for p in model.net.parameters())
    stored = load_model(path).tensors
    if options.get("tie_embeddings"):  # the shared matrix once, and shared again after loading
        assert "out.weight" not in stored and loaded.net.out.weight is loaded.net.tgt_embed.weight


def test_config_errors_name_the_field():
    with pytest.raises(WordseqError, match="Seq2SeqConfig.attention"):
        Seq2SeqConfig(attention="cosine")
    with pytest.raises(WordseqError, match="Seq2SeqConfig.label_smoothing"):
        Seq2SeqConfig(label_smoothing=1.0)


# ---------------------------------------------------------------- reading and batching


def test_bucketed_batches_cover_every_pair_once_with_similar_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 40, size=1000)
    batches = bucket_batches(lengths, lengths, 32, seed=3)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1000))
    assert all(np.ptp(lengths[b]) <= 2 for b in batches)
    assert [b.tolist() for b in batches] == [b.tolist() for b in bucket_batches(lengths, lengths, 32, seed=3)]


def test_training_batches_carry_the_number_of_target_tokens_the_loss_counts():
    from wordseq.seq2seq.data import PAD_ID, EncodedPairs
    from wordseq.seq2seq.model import Seq2SeqTask

    rng = np.random.default_rng(1)
    pairs = EncodedPairs(
        [rng.integers(4, 30, size=rng.integers(1, 12)) for _ in range(200)],
        [rng.integers(4, 30, size=rng.integers(1, 15)) for _ in range(200)],
    )
    task = Seq2SeqTask(Seq2SeqConfig(batch_size=16), pairs, None, log=None)
    batches = task.batches(1)
    assert sum(n for *_, n in batches) == sum(len(t) + 1 for t in pairs.tgt)
    for _src, _lengths, tgt, n in batches:
        assert n == int((tgt[:, 1:] != PAD_ID).sum())


def test_different_line_counts_name_both_files_and_the_line(tmp_path):
    (tmp_path / "a.de").write_text("eins\nzwei\ndrei\n")
    with gzip.open(tmp_path / "a.en.gz", "wt") as f:
        f.write("one\ntwo\n")
    with pytest.raises(InputError) as e:
        read_parallel(tmp_path / "a.de", tmp_path / "a.en.gz")
    message = str(e.value)
    assert "a.de" in message and "a.en.gz" in message and "3" in message


def test_empty_lines_are_skipped_and_counted(tmp_path):
    (tmp_path / "s").write_text("eins\n\ndrei\nvier\n")
    (tmp_path / "t").write_text("one\ntwo\n\nfour\n")
    text = read_parallel(tmp_path / "s", tmp_path / "t")
    assert text.src == ["eins", "vier"] and text.tgt == ["one", "four"] and text.empty_skipped == 2


def test_tab_separated_pairs_and_zip_archives(tmp_path):
    lines = "Go.\tVa !\nHi.\tSalut !\n\nRun!\tCours !\tCC-BY\n"
    (tmp_path / "p.tsv").write_text(lines)
    with zipfile.ZipFile(tmp_path / "fra-eng.zip", "w") as z:
        z.writestr("fra.txt", lines)
        z.writestr("_about.txt", "terms")
    for path in (tmp_path / "p.tsv", str(tmp_path / "fra-eng.zip"), str(tmp_path / "fra-eng.zip") + ":fra.txt"):
        text = read_tsv(path)
        assert text.src == ["Go.", "Hi.", "Run!"] and text.tgt == ["Va !", "Salut !", "Cours !"]
        assert text.empty_skipped == 1
    assert read_tsv(tmp_path / "p.tsv", swap=True).src[0] == "Va !"
    (tmp_path / "bad.tsv").write_text("Go.\tVa !\nno tab here\n")
    with pytest.raises(InputError, match="bad.tsv:2: expected a tab"):
        read_tsv(tmp_path / "bad.tsv")


# ---------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, reverser):
    return reverser.save(tmp_path_factory.mktemp("m") / "rev.wsq")


def test_cli_translates_files_and_stdin(model_file, tmp_path, capsys, monkeypatch):
    (tmp_path / "in.txt").write_text("a b c\n\nd e\n")
    assert main(["translate", str(model_file), str(tmp_path / "in.txt"), "--beam", "3", "-q"]) == 0
    assert capsys.readouterr().out == "c b a\n\ne d\n"
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"h g f\n")))
    assert main(["translate", str(model_file), "-", "--beam", "1"]) == 0
    assert capsys.readouterr().out == "f g h\n"


def test_cli_long_input_and_unseen_words(model_file, tmp_path, capsys):
    (tmp_path / "long.txt").write_text(" ".join(["a", "b"] * 500) + "\nqqq a\n")
    assert main(["translate", str(model_file), str(tmp_path / "long.txt"), "--beam", "1"]) == 0
    captured = capsys.readouterr()
    assert "1,000 tokens" in captured.err
    lines = captured.out.splitlines()
    assert len(lines) == 2 and lines[0] and "a" in lines[1].split()


def test_cli_eval_and_attention_picture(model_file, tmp_path, capsys):
    src, tgt = (x[20:30] for x in reverse_pairs(600))
    (tmp_path / "s").write_text("\n".join(src) + "\n")
    (tmp_path / "r").write_text("\n".join(tgt) + "\n")
    assert main(["translate", "eval", str(model_file), "--src", str(tmp_path / "s"), "--ref", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "BLEU (lowercased, tokenized) 100.00" in out and "sacreBLEU 100.00" in out
    png = tmp_path / "a.png"
    assert main(["translate", "attention", str(model_file), "a b c d", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _src_words, out_words, weights = Seq2Seq.load(model_file).attention("a b c d")
    assert weights.shape == (len(out_words), 4)
    assert np.allclose(weights.sum(1), 1.0, atol=1e-5)


def test_cli_bad_input(tmp_path, capsys):
    (tmp_path / "s").write_text("a b\nc d\n")
    (tmp_path / "t").write_text("b a\n")
    code = main(
        ["translate", "train", "--src", str(tmp_path / "s"), "--tgt", str(tmp_path / "t"), "-o", str(tmp_path / "m")]
    )
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "line 2" in err and str(tmp_path / "t") in err
    code = main(
        [
            "translate",
            "train",
            "--tsv",
            str(tmp_path / "s"),
            "-o",
            str(tmp_path / "m"),
            "--attention",
            "luong",
            "--luong-score",
            "dot",
        ]
    )
    assert code == 1 and "s:1: expected a tab" in capsys.readouterr().err
    code = main(
        [
            "translate",
            "train",
            "--src",
            str(tmp_path / "s"),
            "--tgt",
            str(tmp_path / "s"),
            "-o",
            str(tmp_path / "m"),
            "--label-smoothing",
            "2",
        ]
    )
    assert code == 1 and "--label-smoothing 2" in capsys.readouterr().err


def test_cli_refuses_a_model_of_another_kind(tmp_path, capsys):
    from wordseq.io.modelfile import ModelFile, save_model

    path = save_model(tmp_path / "other.wsq", ModelFile("word2vec", {}, {"w": np.zeros(2, dtype=np.float32)}))
    (tmp_path / "in.txt").write_text("a\n")
    assert main(["translate", str(path), str(tmp_path / "in.txt")]) == 1
    err = capsys.readouterr().err
    assert "word2vec" in err and "seq2seq" in err and "Traceback" not in err


def test_log_names_the_validation_figure_when_it_is_bleu_not_a_loss():
    src, tgt = reverse_pairs(60)
    lines: list[str] = []
    options = dict(embed=8, hidden=8, dropout=0.0, tokenizer="whitespace", batch_size=16, early_stop="bleu")
    model = Seq2Seq(**options, train=TrainConfig(epochs=1, optimizer="adam", lr=3e-3))
    model.fit((src, tgt), valid=(src[:10], tgt[:10]), log=lines.append)
    epoch = next(line for line in lines if line.startswith("epoch 1: lr"))
    bleu = model.history[0]["valid_bleu_pct"]
    assert f"valid 100 - BLEU {100 - bleu:.4f}" in epoch and "ppl" not in epoch.split("valid")[1]
    model = Seq2Seq(**(options | {"early_stop": "loss"}), train=TrainConfig(epochs=1, optimizer="adam", lr=3e-3))
    lines.clear()
    model.fit((src, tgt), valid=(src[:10], tgt[:10]), log=lines.append)
    assert "ppl" in next(line for line in lines if line.startswith("epoch 1: lr")).split("valid")[1]


def test_resumed_training_ends_where_an_uninterrupted_run_ends(tmp_path):
    """Killed after epoch 1 of 3 and resumed: the same weights, history and best epoch as one run of 3."""
    src, tgt = reverse_pairs(80)
    valid = (src[:12], tgt[:12])

    def run(epochs: int, ckpt: str, resume: bool = False) -> Seq2Seq:
        model = Seq2Seq(
            embed=8, hidden=8, dropout=0.2, tokenizer="whitespace", batch_size=16, teacher_forcing=0.8,
            train=TrainConfig(epochs=epochs, optimizer="adam", lr=3e-3, seed=5),
        )  # fmt: skip
        return model.fit((src, tgt), valid=valid, checkpoint=tmp_path / ckpt, resume=resume, log=None)

    full = run(3, "full.ckpt")
    run(1, "part.ckpt")
    resumed = run(3, "part.ckpt", resume=True)
    assert [h["valid_bleu_pct"] for h in resumed.history] == [h["valid_bleu_pct"] for h in full.history]
    assert resumed.metrics == full.metrics
    for (name, a), b in zip(full.net.state_dict().items(), resumed.net.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
