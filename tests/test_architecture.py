"""The layers contract (pyproject's [tool.importlinter]) holds: imports only point down and no sibling
modules import each other in a circle. CI fails the day someone imports upward."""

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from wordseq.config import Config

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    assert lint.exists(), "import-linter is a dev dependency: pip install -e '.[dev]'"
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_config_errors_name_the_field_and_the_range():
    import pytest

    from wordseq.config import Config, ConfigError

    @dataclass
    class Toy(Config):
        dim: int = 10
        lr: float = 0.1
        kind: str = "a"

        def validate(self) -> None:
            self.check_range("dim", lo=1, integer=True)
            self.check_range("lr", lo=0.0, lo_open=True)
            self.check_choice("kind", ["a", "b"])

    with pytest.raises(ConfigError, match=r"Toy.dim = 0: must be an integer >= 1") as e:
        Toy(dim=0)
    assert e.value.field == "dim"
    with pytest.raises(ConfigError, match=r"Toy.lr = -1: must be a number > 0"):
        Toy(lr=-1)
    with pytest.raises(ConfigError, match=r"Toy.lr = nan"):
        Toy(lr=float("nan"))
    with pytest.raises(ConfigError, match=r"Toy.kind = 'c': must be one of 'a', 'b'"):
        Toy(kind="c")
    with pytest.raises(ConfigError, match=r"Toy.dim = 2.5: must be an integer"):
        Toy(dim=2.5)
    with pytest.raises(ConfigError, match=r"Toy.dim = True"):
        Toy(dim=True)
    with pytest.raises(ConfigError, match="Toy.lr = 0"):
        Toy().replace(lr=0)
    t = Toy(dim=3)
    assert Toy.from_dict(t.to_dict()) == t
    assert Toy.from_dict({"dim": 4}) == Toy(dim=4)  # fields added later take their defaults
    with pytest.raises(ConfigError, match="Toy.bogus = 1: unknown field"):
        Toy.from_dict({"bogus": 1})


@dataclass
class _Inner(Config):
    lr: float = 0.1


@dataclass
class _Outer(Config):
    dim: int = 2
    train: _Inner = field(default_factory=_Inner)


def test_nested_configs_round_trip():
    import json

    c = _Outer(dim=3, train=_Inner(lr=0.5))
    back = _Outer.from_dict(json.loads(json.dumps(c.to_dict())))
    assert back == c and isinstance(back.train, _Inner)
