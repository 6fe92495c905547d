import json
import pickle
import struct

import numpy as np
import pytest

from wordseq.errors import InputError
from wordseq.io.modelfile import ModelFile, load_model, read_metadata, save_model
from wordseq.text.vocab import Vocab


def make_model():
    vocab = Vocab.from_counts({"a": 3, "tab\there": 2, "new\nline": 1, "é東": 1})
    tensors = {
        "emb": np.arange(12, dtype=np.float32).reshape(6, 2),
        "bias": np.zeros(3, np.float64),
        "empty": np.zeros((0, 4), np.float32),
    }
    return ModelFile(
        "test-kind",
        {"dim": 2, "nested": {"x": [1, 2]}},
        tensors,
        {"vocab": vocab},
        {"corpus_hash": "abc"},
        {"note": "ok"},
    )


def test_round_trip(tmp_path):
    m = make_model()
    save_model(tmp_path / "m.wsq", m)
    back = load_model(tmp_path / "m.wsq", kind="test-kind")
    assert back.kind == m.kind and back.config == m.config and back.extra == m.extra
    assert Vocab.from_stored(back.vocab) == m.vocab
    assert set(back.tensors) == set(m.tensors)
    for k in m.tensors:
        assert back.tensors[k].dtype == m.tensors[k].dtype
        assert np.array_equal(back.tensors[k], m.tensors[k])
    assert (
        back.provenance["corpus_hash"] == "abc" and "wordseq_version" in back.provenance and "date" in back.provenance
    )
    assert read_metadata(tmp_path / "m.wsq")["kind"] == "test-kind"


def test_file_is_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file

    save_model(tmp_path / "m.wsq", make_model())
    assert np.array_equal(load_file(tmp_path / "m.wsq")["emb"], make_model().tensors["emb"])


def test_wrong_kind_is_refused(tmp_path):
    save_model(tmp_path / "m.wsq", make_model())
    with pytest.raises(InputError, match="is a 'test-kind' model, expected 'ngram'"):
        load_model(tmp_path / "m.wsq", kind="ngram")


def test_truncated_files_are_refused(tmp_path):
    save_model(tmp_path / "m.wsq", make_model())
    data = (tmp_path / "m.wsq").read_bytes()
    for n in (0, 5, 12, len(data) // 2, len(data) - 1):
        (tmp_path / "t.wsq").write_bytes(data[:n])
        with pytest.raises(InputError, match=r"t\.wsq: (truncated|not a wordseq)"):
            load_model(tmp_path / "t.wsq")


def test_corrupt_data_is_refused(tmp_path):
    save_model(tmp_path / "m.wsq", make_model())
    data = bytearray((tmp_path / "m.wsq").read_bytes())
    data[-10] ^= 0xFF
    (tmp_path / "c.wsq").write_bytes(bytes(data))
    with pytest.raises(InputError, match="checksum"):
        load_model(tmp_path / "c.wsq")


def test_corrupt_header_is_refused(tmp_path):
    save_model(tmp_path / "m.wsq", make_model())
    data = bytearray((tmp_path / "m.wsq").read_bytes())
    data[10] = ord("#")
    (tmp_path / "h.wsq").write_bytes(bytes(data))
    with pytest.raises(InputError, match="h.wsq"):
        load_model(tmp_path / "h.wsq")


class Evil:
    def __reduce__(self):
        return (exec, ("open('PWNED', 'w').write('x')",))


def test_pickle_renamed_is_refused_and_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for protocol in (2, 4, 5):
        (tmp_path / "p.wsq").write_bytes(pickle.dumps(Evil(), protocol=protocol))
        with pytest.raises(InputError, match="pickle"):
            load_model(tmp_path / "p.wsq")
    assert not (tmp_path / "PWNED").exists()


def test_zip_and_foreign_safetensors_are_refused(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "z.wsq", "w") as z:
        z.writestr("data.pkl", b"x")
    with pytest.raises(InputError, match="zip"):
        load_model(tmp_path / "z.wsq")
    from safetensors.numpy import save_file

    save_file({"w": np.ones(2, np.float32)}, tmp_path / "plain.wsq")
    with pytest.raises(InputError, match="not a wordseq model"):
        load_model(tmp_path / "plain.wsq")


def test_text_file_and_missing_file(tmp_path):
    (tmp_path / "t.wsq").write_text("just some text that is long enough\n")
    with pytest.raises(InputError, match="t.wsq"):
        load_model(tmp_path / "t.wsq")
    with pytest.raises(InputError, match="no such file"):
        load_model(tmp_path / "none.wsq")


def test_newer_format_is_refused(tmp_path):
    save_model(tmp_path / "m.wsq", make_model())
    data = (tmp_path / "m.wsq").read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["wordseq"])
    meta["format_version"] = 99
    header["__metadata__"]["wordseq"] = json.dumps(meta)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    (tmp_path / "new.wsq").write_bytes(struct.pack("<Q", len(new)) + new + data[8 + n :])
    with pytest.raises(InputError, match="newer wordseq"):
        load_model(tmp_path / "new.wsq")


def test_failed_save_leaves_old_file(tmp_path, monkeypatch):
    save_model(tmp_path / "m.wsq", make_model())
    before = (tmp_path / "m.wsq").read_bytes()
    bad = make_model()
    bad.config = {"unserializable": object()}
    with pytest.raises(TypeError):
        save_model(tmp_path / "m.wsq", bad)
    assert (tmp_path / "m.wsq").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.wsq"]
