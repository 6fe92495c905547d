import gzip

import pytest

from support import data_file, run_cli
from wordseq import __version__
from wordseq.cli import build_parser


def out(p):
    return p.stdout.decode(), p.stderr.decode()


def test_version_and_help():
    p = run_cli("--version")
    assert p.returncode == 0 and out(p)[0].strip() == f"wordseq {__version__}"
    p = run_cli("--help")
    assert p.returncode == 0 and "vocab" in out(p)[0] and "demo" in out(p)[0]


def all_subcommands(parser, prefix=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,)
                yield from all_subcommands(sub, prefix + (name,))


def test_every_subcommand_has_help_and_the_common_options():
    commands = list(all_subcommands(build_parser()))
    assert ("vocab",) in commands and ("demo",) in commands
    for cmd in commands:
        p = run_cli(*cmd, "--help")
        text = " ".join(out(p)[0].split())
        assert p.returncode == 0, cmd
        assert text.startswith("usage: wordseq " + " ".join(cmd)), cmd
        is_group = any(c[: len(cmd)] == cmd and len(c) > len(cmd) for c in commands)
        if not is_group:
            for option in ("--seed", "--threads", "--device", "--quiet", "--debug"):
                assert option in text, (cmd, option)


def test_building_the_parser_imports_no_heavy_library():
    """``wordseq --help`` and every command's option parsing stay fast: numba, torch, scipy, scikit-learn and
    matplotlib are imported by the commands that use them, not when the parser is built (configs may be)."""
    import subprocess
    import sys

    code = (
        "import sys; from wordseq.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'torch', 'sklearn', 'scipy', 'matplotlib')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_ngram_command_offers_every_smoothing_method():
    from wordseq.cli.lm_ngram import SMOOTHING
    from wordseq.lm.ngram.estimate import SMOOTHING as METHODS

    assert SMOOTHING == METHODS


def test_usage_error_exit_code_2():
    p = run_cli("vocab")
    assert p.returncode == 2 and "usage:" in out(p)[1]
    assert run_cli("no-such-command").returncode == 2


def test_vocab_reports_and_writes(tmp_path):
    corpus = tmp_path / "c.txt.gz"
    with gzip.open(corpus, "wt") as f:
        f.write("a b b\nc b\n")
    p = run_cli("vocab", str(corpus), "-o", str(tmp_path / "v.tsv"))
    text, err = out(p)
    assert p.returncode == 0, err
    assert "tokens      5" in text and "lines       2" in text and "types       3" in text
    assert (tmp_path / "v.tsv").read_text().splitlines()[4:] == ["b\t3", "a\t1", "c\t1"]


def test_vocab_from_stdin():
    p = run_cli("vocab", "-", input=b"x y z\nx\n")
    assert p.returncode == 0 and "tokens      4" in out(p)[0]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (bytes(range(256)) * 20, "binary file"),
        (b"\n\n \n", "empty corpus"),
    ],
)
def test_bad_corpus_is_one_line_exit_1(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    p = run_cli("vocab", str(path), "-o", str(tmp_path / "v.tsv"))
    _, err = out(p)
    assert p.returncode == 1
    assert err.strip().count("\n") == 0 and message in err and str(path) in err and "Traceback" not in err
    assert not (tmp_path / "v.tsv").exists()


def test_missing_path_and_debug_traceback(tmp_path):
    p = run_cli("vocab", str(tmp_path / "missing.txt"))
    assert (
        p.returncode == 1
        and out(p)[1].strip() == f"wordseq: error: {tmp_path / 'missing.txt'}: no such file or directory"
    )
    p = run_cli("vocab", str(tmp_path / "missing.txt"), "--debug")
    assert p.returncode == 1 and "Traceback" in out(p)[1]


def test_invalid_utf8_warns_and_continues(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok line\nbad \xff\xfe\nok\n")
    p = run_cli("vocab", str(path))
    text, err = out(p)
    assert p.returncode == 0
    assert f"wordseq: warning: {path}:2: invalid UTF-8" in err
    assert "invalid UTF-8 sequences replaced: 2" in text


def test_ptb_vocab_numbers():
    p = run_cli("vocab", str(data_file("ptb", "ptb.train.txt")))
    text = out(p)[0]
    assert "tokens      887,521" in text and "lines       42,068" in text and "types       9,999" in text


def test_demo_quick(tmp_path):
    p = run_cli("demo", "--quick", "-o", str(tmp_path / "demo"), "-q", timeout=300)
    text, err = out(p)
    assert p.returncode == 0, err
    assert "wordseq demo" in text and "tokens" in text
    report = (tmp_path / "demo" / "report.txt").read_text()
    assert "results in" in report and (tmp_path / "demo" / "vocab.tsv").exists()
    assert report.splitlines()[-1] == f"explore the models: wordseq serve {tmp_path / 'demo'}/*.wsq"


def test_vocab_file_option_and_malformed_vocab(tmp_path):
    (tmp_path / "c.txt").write_text("a b q\n")
    (tmp_path / "v.tsv").write_text("<unk>\t0\n</s>\t0\na\t2\nb\t1\n")
    p = run_cli("vocab", str(tmp_path / "c.txt"), "--vocab", str(tmp_path / "v.tsv"))
    assert p.returncode == 0 and "out of vocabulary: 1 tokens (33.33%)" in out(p)[0]
    (tmp_path / "bad.tsv").write_text("a\t2\nb 1\n")
    p = run_cli("vocab", str(tmp_path / "c.txt"), "--vocab", str(tmp_path / "bad.tsv"))
    assert p.returncode == 1
    assert out(p)[1].strip() == f"wordseq: error: {tmp_path / 'bad.tsv'}:2: expected 'token<TAB>count', found 0 tabs"


@pytest.mark.slow
def test_200mb_line_without_newline_stays_under_1gb(tmp_path):
    import random
    import subprocess
    import sys

    from support import ROOT

    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 8))) for _ in range(5000)]
    path = tmp_path / "huge.txt"
    with open(path, "w") as f:
        size = 0
        while size < 200_000_000:
            piece = " ".join(rng.choices(words, k=100_000)) + " "
            f.write(piece)
            size += len(piece)
    code = (
        "import resource, sys; from wordseq.cli import main; rc = main(sys.argv[1:]); "
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024); sys.exit(rc)"
    )
    p = subprocess.run(
        [sys.executable, "-c", code, "vocab", "--no-cache", str(path)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "WORDSEQ_CACHE": str(tmp_path / "c")},
    )
    assert p.returncode == 0, p.stderr
    assert "lines       1" in p.stdout
    peak_mb = int(p.stdout.split("PEAK")[1])
    assert peak_mb < 1024
