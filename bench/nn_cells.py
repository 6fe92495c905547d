"""Time of one forward + backward pass: the written-out cells (StackedRecurrent) against torch's fused modules.

Same weights, same input, one run, side by side; Zaremba "small" shapes by default (2 layers x 200, 20 steps,
batch 20). The written-out cells are the readable version and the home of the variants torch lacks; this
shows what using them instead of the fused kernels would cost.

    PYTHONPATH=src python bench/nn_cells.py [--layers 2 --hidden 200 --bptt 20 --batch 20 --repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from wordseq.nn import StackedRecurrent, make_recurrent


def time_pass(module: torch.nn.Module, x: torch.Tensor, repeat: int) -> float:
    """Median milliseconds of ``module(x)`` forward + backward."""
    times = []
    for i in range(repeat + 3):
        start = time.perf_counter()
        out, _ = module(x)
        out.sum().backward()
        if i >= 3:  # warm-up
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=200)
    ap.add_argument("--bptt", type=int, default=20)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    H = args.hidden
    x = torch.randn(args.bptt, args.batch, H)
    print(
        f"{args.layers} layers x {H}, {args.bptt} steps, batch {args.batch}, {args.threads} threads; "
        f"median ms of forward + backward over {args.repeat} runs"
    )
    print(f"{'cell':<15}{'fused ms':>10}{'written ms':>12}{'ratio':>8}")
    for cell in ("rnn", "gru", "lstm"):
        fused = make_recurrent(cell, H, H, args.layers)
        written = StackedRecurrent.from_fused(fused)
        f, w = time_pass(fused, x, args.repeat), time_pass(written, x, args.repeat)
        print(f"{cell:<15}{f:>10.2f}{w:>12.2f}{w / f:>7.2f}x")
    for cell in ("rnn-sigmoid", "lstm-peephole", "lstm-coupled"):
        w = time_pass(make_recurrent(cell, H, H, args.layers), x, args.repeat)
        print(f"{cell:<15}{'-':>10}{w:>12.2f}{'':>8}")


if __name__ == "__main__":
    main()
