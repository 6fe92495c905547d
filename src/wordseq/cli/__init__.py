"""The ``wordseq`` command: subcommands registered by one module each, shared options spelled alike.

Errors caused by input are one line on stderr with exit code 1 (2 for usage errors); a traceback is shown
only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from wordseq import __version__
from wordseq.config import ConfigError
from wordseq.errors import WordseqError


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" to option help, except where the help already names its default or there is
    none to name (None, False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help = action.help or ""
        if "default" in help or action.default is None or action.default is False:
            return help
        return super()._get_help_string(action) or help


class _DeprecatedAlias(argparse.Action):
    """Stores like the option it stands for, and says once that the spelling is going away."""

    def __init__(self, option_strings, dest, new: str = "", **kwargs) -> None:
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"wordseq: warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def deprecated_alias(parser: argparse.ArgumentParser | argparse._ArgumentGroup, old: str, new: str, **kwargs) -> None:
    """Accept ``old`` (hidden from ``--help``) for the option ``new`` for one more release, with a notice."""
    dest = new.lstrip("-").replace("-", "_")
    parser.add_argument(old, dest=dest, action=_DeprecatedAlias, new=new, help=argparse.SUPPRESS, **kwargs)


def config_error_message(error: ConfigError, args: argparse.Namespace) -> str:
    """A config field's error in the command line's words: the option that sets the field."""
    flags: dict[str, str] = getattr(args, "config_flags", {}) or {}
    flag = flags.get(error.field, "--" + error.field.replace("_", "-"))
    return f"{flag} {error.value}: {error.allowed}"


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes, spelled the same everywhere."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    g.add_argument("--device", default="cpu", help="torch device for neural models: cpu, cuda, cuda:N (default cpu)")
    g.add_argument("-v", "--verbose", action="count", default=0, help="say more")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars, only results and errors")
    g.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    return p


def tokenizer_options() -> argparse.ArgumentParser:
    """Options that choose a tokenizer (for commands that read raw text)."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("tokenizer")
    g.add_argument(
        "--tokenizer",
        choices=["whitespace", "word", "char"],
        default="whitespace",
        help="how text is split into tokens (default whitespace)",
    )
    g.add_argument("--lower", action="store_true", help="lowercase the text")
    g.add_argument("--nfkc", action="store_true", help="apply Unicode NFKC normalization")
    g.add_argument("--split-apostrophes", action="store_true", help="word tokenizer: split don't into don ' t")
    g.add_argument("--split-hyphens", action="store_true", help="word tokenizer: split well-known at the hyphen")
    g.add_argument("--drop-punctuation", action="store_true", help="word tokenizer: drop punctuation marks")
    return p


def tokenizer_from_args(args: argparse.Namespace):
    from wordseq.text.tokenize import Tokenizer

    return Tokenizer(
        kind=args.tokenizer,
        lower=args.lower,
        nfkc=args.nfkc,
        keep_apostrophes=not args.split_apostrophes,
        keep_hyphens=not args.split_hyphens,
        punctuation="drop" if args.drop_punctuation else "split",
    )


def set_torch_threads(args: argparse.Namespace) -> None:
    """Apply ``--threads`` to torch (for the commands that run neural models)."""
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wordseq",
        description="Classic NLP from counts to recurrent networks: word vectors, n-gram and neural language models.",
    )
    parser.add_argument("--version", action="version", version=f"wordseq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    parents = [common_options()]
    # Each module has ``register(subparsers, parents)``; the order is the order in ``--help``. The modules
    # import their heavy dependencies (torch, numba) inside the commands, so ``--help`` stays fast.
    from wordseq.cli import classify, demo, embed, generate, info, lm, parse, serve, tag, translate, vocab

    for module in (demo, vocab, embed, lm, generate, classify, tag, parse, translate, serve, info):
        module.register(sub, parents)
    return parser


def _setup(args: argparse.Namespace) -> None:
    from wordseq import progress

    progress.set_quiet(bool(getattr(args, "quiet", False)))
    threads = getattr(args, "threads", None)
    if threads is not None and threads < 1:
        raise WordseqError(f"--threads must be at least 1, got {threads}")
        # Commands hand --threads to their kernels (numba.set_num_threads, torch.set_num_threads); the
        # environment is left alone, because numba refuses a NUMBA_NUM_THREADS that changes after its
        # threads have started (as it would between two commands run in one process).

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"wordseq: warning: {message}", file=sys.stderr)

    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _setup(args)
        result = args.func(args)
        return int(result or 0)
    except ConfigError as e:
        if args.debug:
            raise
        print(f"wordseq: error: {config_error_message(e, args)}", file=sys.stderr)
        return 1
    except WordseqError as e:
        if args.debug:
            raise
        print(f"wordseq: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:  # a training command may say what its checkpoint holds and how to continue
        print(f"wordseq: interrupted{f'; {e}' if str(e) else ''}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug: say so in one line unless --debug
        if args.debug:
            raise
        print(f"wordseq: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)", file=sys.stderr)
        return 1
