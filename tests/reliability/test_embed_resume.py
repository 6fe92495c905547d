"""``fit(checkpoint=..., resume=True)`` of the word-vector estimators: resuming from the checkpoint of any
epoch ends bit-identical to the uninterrupted run (one thread); a checkpoint of another config or corpus is
refused; the CLI's ``--resume`` and ``--checkpoint``."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from crash import write_corpus

import wordseq.embed.glove as glove_module
import wordseq.embed.word2vec as w2v_module
from wordseq.cli import main as cli_main
from wordseq.embed import GloVe, Word2Vec
from wordseq.embed.checkpoint import describe_checkpoint
from wordseq.errors import InputError, WordseqError
from wordseq.text.encode import encode_corpus

MODELS = {
    "sgns-ns": (Word2Vec, w2v_module, {"arch": "sg", "loss": "ns"}),
    "cbow-hs": (Word2Vec, w2v_module, {"arch": "cbow", "loss": "hs"}),
    "sg-softmax": (Word2Vec, w2v_module, {"arch": "sg", "loss": "softmax"}),
    "glove": (GloVe, glove_module, {}),
}


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    corpus = write_corpus(tmp_path_factory.mktemp("c") / "corpus.txt", lines=300)
    return encode_corpus(corpus, min_count=1, cache=False)


def _weights(model):
    return [model.vectors.vectors] + ([model.syn1] if isinstance(model, Word2Vec) else [])


@pytest.mark.parametrize("name", list(MODELS))
def test_resume_from_every_epoch_is_bit_identical(tmp_path, monkeypatch, encoded, name):
    cls, module, options = MODELS[name]
    kw = {"dim": 12, "epochs": 3, "window": 3, "threads": 1, "min_count": 1, **options}
    ckpt = tmp_path / "run.ckpt"
    real = module.save_training_state

    def keep_each(path, *args):  # keep a copy of every epoch's checkpoint
        out = real(path, *args)
        shutil.copy(out, f"{path}.{args[-1].epoch}")
        return out

    monkeypatch.setattr(module, "save_training_state", keep_each)
    full = cls(**kw).fit(encoded, checkpoint=ckpt)
    plain = cls(**kw).fit(encoded)  # writing checkpoints changes nothing
    assert all(np.array_equal(a, b) for a, b in zip(_weights(full), _weights(plain)))
    for epoch in range(1, 4):
        shutil.copy(f"{ckpt}.{epoch}", ckpt)
        resumed = cls(**kw).fit(encoded, checkpoint=ckpt, resume=True)
        assert all(np.array_equal(a, b) for a, b in zip(_weights(full), _weights(resumed))), epoch
        assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
        assert [h[k] for h in resumed.history for k in h if k != "seconds"] == [
            h[k] for h in full.history for k in h if k != "seconds"
        ]
    assert describe_checkpoint(ckpt).endswith("training state after epoch 3 of 3")


def test_resume_refuses_another_config_or_corpus(tmp_path, encoded):
    ckpt = tmp_path / "w.ckpt"
    kw = {"dim": 8, "epochs": 2, "window": 3, "threads": 1, "min_count": 1}
    Word2Vec(**kw).fit(encoded, checkpoint=ckpt)
    with pytest.raises(WordseqError, match=r"cannot resume.*dim: 8 in the checkpoint, 9 now"):
        Word2Vec(**{**kw, "dim": 9}).fit(encoded, checkpoint=ckpt, resume=True)
    other = encode_corpus(write_corpus(tmp_path / "other.txt", lines=300, seed=5), min_count=1, cache=False)
    with pytest.raises(WordseqError, match="another corpus"):
        Word2Vec(**kw).fit(other, checkpoint=ckpt, resume=True)
    with pytest.raises(InputError, match="is a 'word2vec-checkpoint' model, expected 'vectors-glove-checkpoint'"):
        GloVe(dim=8, epochs=2, threads=1, min_count=1).fit(encoded, checkpoint=ckpt, resume=True)
    with pytest.raises(InputError, match="no such checkpoint"):
        Word2Vec(**kw).fit(encoded, checkpoint=tmp_path / "none.ckpt", resume=True)
    ckpt.write_bytes(ckpt.read_bytes()[:-10])
    with pytest.raises(InputError, match="truncated or corrupt|checksum"):
        Word2Vec(**kw).fit(encoded, checkpoint=ckpt, resume=True)


def test_cli_checkpoint_and_resume(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus.txt", lines=300)
    out = tmp_path / "vec.txt"
    args = ["embed", "train", str(corpus), "-o", str(out), "--dim", "8", "--min-count", "1", "--threads", "1"]
    assert cli_main([*args, "--epochs", "2"]) == 0
    assert f"checkpoint  {out}.ckpt" in capsys.readouterr().out
    first = out.read_bytes()
    assert cli_main([*args, "--epochs", "2", "--resume"]) == 0  # all epochs done: the same vectors again
    assert out.read_bytes() == first
    capsys.readouterr()
    assert cli_main([*args, "--epochs", "3", "--resume"]) == 1
    assert "cannot resume" in capsys.readouterr().err
    own = tmp_path / "elsewhere" / "state.ckpt"
    assert cli_main([*args, "--epochs", "2", "--checkpoint", str(own)]) == 0 and own.exists()
    (tmp_path / "vec.txt.ckpt").unlink()
    assert cli_main([*args, "--epochs", "2", "--no-checkpoint"]) == 0 and not (tmp_path / "vec.txt.ckpt").exists()
    capsys.readouterr()
    assert cli_main([*args, "--method", "ppmi-svd", "--resume"]) == 1
    assert "ppmi-svd trains in one step" in capsys.readouterr().err
