"""``wordseq generate``: write text with a neural language model, printed token by token as it is produced.

Sampling (temperature, top-k, top-p), greedy decoding and beam search, from a prompt given on the command
line or in a file; the methods are in :mod:`wordseq.lm.neural.generate`. The prompt is tokenized the way the
model's training corpus was; tokens the model does not know are read as ``<unk>``, with a notice on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from wordseq.cli import set_torch_threads
from wordseq.errors import InputError, WordseqError

if TYPE_CHECKING:
    from wordseq.lm.neural.model import NeuralLM

MAX_LISTED = 10  # unknown prompt tokens named in the notice


def register(sub, parents) -> None:
    p = sub.add_parser(
        "generate",
        parents=parents,
        help="write text with a neural language model",
        description="Continue a prompt with a neural language model (word or character level), printing each "
        "token as soon as it is produced. By default tokens are sampled from the model's "
        "distribution (--temperature, --top-k, --top-p: applied in this order); --greedy takes "
        "the most likely token each time; --beam N searches for the most likely continuation up "
        "to the end of the line (printed when the search ends). The same --seed gives the same "
        "text.",
    )
    p.add_argument("model", help="a neural language model file (.wsq) from `wordseq lm train`")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--prompt",
        default=None,
        metavar="TEXT",
        help="text to continue (default: none, start a new line); a newline in it ends a line",
    )
    src.add_argument(
        "--prompt-file",
        default=None,
        metavar="FILE",
        help="read the prompt from FILE (- for stdin), exactly as written: a final newline means "
        "the text continues on a new line",
    )
    g = p.add_argument_group("generation")
    g.add_argument(
        "--max-tokens",
        type=int,
        default=200,
        metavar="N",
        help="tokens (words or characters) to generate per sample (default 200)",
    )
    g.add_argument(
        "--num-samples",
        type=int,
        default=1,
        metavar="N",
        help="independent samples to write (with --beam: the N best hypotheses) (default 1)",
    )
    g.add_argument(
        "--temperature",
        type=float,
        default=None,
        metavar="T",
        help="divide the logits by T before sampling: <1 sharper, >1 flatter, 0 greedy (default 1)",
    )
    g.add_argument(
        "--top-k",
        type=int,
        default=None,
        metavar="K",
        help="sample only among the K most likely tokens (default 0: all)",
    )
    g.add_argument(
        "--top-p",
        type=float,
        default=None,
        metavar="P",
        help="sample only within the nucleus: the most likely tokens whose probability adds up to P (default 1: all)",
    )
    g.add_argument("--greedy", action="store_true", help="always take the most likely token (= --temperature 0)")
    g.add_argument(
        "--beam",
        type=int,
        default=0,
        metavar="N",
        help="beam search with a beam of N hypotheses for the best continuation up to </s> "
        "(default 0: sample); --beam 1 is greedy decoding",
    )
    g.add_argument(
        "--length-penalty",
        type=float,
        default=1.0,
        metavar="A",
        help="beam search ranks hypotheses by log-probability / length^A: 0 prefers short ones, "
        "1 ranks by the mean per token (default 1)",
    )
    g.add_argument(
        "--stop-at-eos",
        action="store_true",
        help="end each sample at the end of its line (</s>) instead of after --max-tokens tokens",
    )
    g.add_argument("--no-unk", action="store_true", help="never produce <unk>")
    g.add_argument("--no-echo", action="store_true", help="print only the generated text, not the prompt first")
    g.add_argument(
        "--level",
        choices=["word", "char"],
        default=None,
        help="the kind of text expected; refuse a model of the other level (default: the model's)",
    )
    p.set_defaults(func=run)


def check_options(args: argparse.Namespace) -> None:
    """Refuse option values and combinations that make no sense, naming the option."""
    from wordseq.lm.neural.generate import check_sampling

    if args.max_tokens < 1:
        raise WordseqError(f"--max-tokens must be at least 1, got {args.max_tokens}")
    if args.num_samples < 1:
        raise WordseqError(f"--num-samples must be at least 1, got {args.num_samples}")
    if args.beam < 0:
        raise WordseqError(f"--beam must be at least 1 (0: sample instead), got {args.beam}")
    sampling = [
        name
        for name, value in (("--temperature", args.temperature), ("--top-k", args.top_k), ("--top-p", args.top_p))
        if value is not None
    ]
    if args.beam:
        if sampling or args.greedy:
            raise WordseqError(
                f"beam search is deterministic: {', '.join(sampling or ['--greedy'])} cannot be used with --beam"
            )
        if args.num_samples > args.beam:
            raise WordseqError(
                f"--num-samples {args.num_samples} asks for more hypotheses than the beam of {args.beam} holds"
            )
        if not args.length_penalty >= 0:
            raise WordseqError(f"--length-penalty must be >= 0, got {args.length_penalty}")
    elif args.greedy and args.temperature not in (None, 0.0):
        raise WordseqError(f"--greedy and --temperature {args.temperature} contradict each other")
    check_sampling(
        1.0 if args.temperature is None else args.temperature,
        0 if args.top_k is None else args.top_k,
        1.0 if args.top_p is None else args.top_p,
    )


def read_prompt(args: argparse.Namespace) -> str:
    """The prompt text: ``--prompt``, the contents of ``--prompt-file`` (``-``: stdin), or empty."""
    if args.prompt is not None:
        return args.prompt
    if args.prompt_file is None:
        return ""
    path = args.prompt_file
    try:
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        with open(path, "rb") as f:
            data = f.read()
        return data.decode("utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a prompt file") from None
    except UnicodeDecodeError as e:
        where = "stdin" if path == "-" else path
        line = None if path == "-" else data[: e.start].count(b"\n") + 1
        raise InputError(where, "the prompt is not UTF-8 text", line) from None


def _load_lm(path: str, device: str) -> NeuralLM:
    """The neural LM in ``path`` (its network in eval mode on ``device``); an n-gram model is refused."""
    from wordseq.cli.lm import model_family
    from wordseq.lm.neural.model import NeuralLM

    if model_family(path) == "ngram":
        raise InputError(
            path,
            "is an n-gram model; `wordseq generate` writes text with neural models "
            "(sample from an n-gram model with `wordseq lm sample`)",
        )
    return NeuralLM.load(path, device=device)


def _check_device(device: str) -> None:
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise WordseqError(f"--device {device}: no CUDA device is available (use --device cpu)")


def _level_name(level: str) -> str:
    return {"char": "character", "word": "word"}.get(level, level)


def notice_unknown(unknown: list[str], level: str, vocab_size: int) -> None:
    """Say on stderr which prompt tokens the model does not know (they are read as <unk>)."""
    if not unknown:
        return
    what = ("character" if level == "char" else "word") + ("s" if len(unknown) > 1 else "")
    verb = "are" if len(unknown) > 1 else "is"
    listed = ", ".join(repr(t) for t in unknown[:MAX_LISTED]) + (", ..." if len(unknown) > MAX_LISTED else "")
    print(
        f"wordseq: notice: {len(unknown)} prompt {what} not in the model's vocabulary of {vocab_size} "
        f"{verb} read as <unk>: {listed}",
        file=sys.stderr,
    )


def run(args: argparse.Namespace) -> int:
    check_options(args)
    prompt_text = read_prompt(args)
    _check_device(args.device)
    import torch

    from wordseq.lm.neural import generate as gen

    set_torch_threads(args)
    lm = _load_lm(args.model, args.device)
    assert lm.network is not None and lm.vocab is not None  # a loaded model has both
    level, vocab, network = lm.config.level, lm.vocab, lm.network
    if args.level is not None and args.level != level:
        raise InputError(
            args.model,
            f"is a {_level_name(level)}-level model: it writes "
            f"{'characters' if level == 'char' else 'words'}, not "
            f"{'characters' if args.level == 'char' else 'words'} "
            f"(use a {_level_name(args.level)}-level model, or drop --level)",
        )
    prompt = gen.encode_prompt(prompt_text, lm.tokenizer, vocab)
    notice_unknown(prompt.unknown, level, len(vocab))
    if prompt.tokens and len(prompt.unknown) and all(i == vocab.unk_id for i in prompt.ids):
        print(
            f"wordseq: notice: the model knows none of the prompt's {prompt.tokens} "
            f"{'characters' if level == 'char' else 'words'}; it continues from <unk> alone",
            file=sys.stderr,
        )
    banned = gen.never_generated(vocab, no_unk=args.no_unk)
    eos_id = lm.eos_id
    out = sys.stdout
    at_line_start = prompt_text == "" or prompt_text[-1].isspace()
    echo = "" if args.no_echo else prompt_text

    def write_sample(ids) -> None:
        detok = gen.Detokenizer(vocab, level, at_line_start=True if args.no_echo else at_line_start)
        out.write(echo)
        out.flush()
        ended = echo == "" or echo.endswith("\n")
        for token in ids:
            text = detok(token)
            out.write(text)
            out.flush()
            ended = text.endswith("\n")
        if not ended:
            out.write("\n")
        out.flush()

    separator = "-" * 40 + "\n"
    if args.beam:
        hyps = gen.beam_search(
            network,
            prompt.ids,
            args.max_tokens,
            args.beam,
            length_penalty=args.length_penalty,
            n_best=args.num_samples,
            eos_id=eos_id,
            banned_ids=banned,
        )
        for n, h in enumerate(hyps):
            if n:
                out.write(separator)
            write_sample(h.tokens)
            if args.verbose:
                print(
                    f"wordseq: hypothesis {n + 1}: log-probability {h.logprob:.4f}, {len(h.tokens)} tokens, "
                    f"score {h.score:.4f}{'' if h.complete else ' (no </s> within --max-tokens)'}",
                    file=sys.stderr,
                )
        return 0
    temperature = 0.0 if args.greedy else (1.0 if args.temperature is None else args.temperature)
    generator = torch.Generator().manual_seed(args.seed)
    for n in range(args.num_samples):
        if n:
            out.write(separator)
        write_sample(
            gen.sample_ids(
                network,
                prompt.ids,
                args.max_tokens,
                temperature=temperature,
                top_k=args.top_k or 0,
                top_p=1.0 if args.top_p is None else args.top_p,
                eos_id=eos_id,
                stop_at_eos=args.stop_at_eos,
                banned_ids=banned,
                generator=generator,
            )
        )
    return 0
