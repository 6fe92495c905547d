"""Generation speed: wordseq's sampler beside the PyTorch word_language_model example's generate loop.

    python bench/generate_speed.py [--tokens 2000] [--vocab 10000] [--hidden 200] [--layers 2] [--threads 1]

Both sample from the same model (``nn.Embedding -> nn.LSTM -> nn.Linear``, the example's design, at PTB's
vocabulary size; untrained weights, which cost the same as trained ones) with temperature 1, one token per
step, batch 1. The example's loop is copied from its ``generate.py``: ``exp(output / T)`` into
``torch.multinomial``. wordseq's :func:`~wordseq.lm.neural.generate.sample_ids` also applies top-k/top-p
filters when asked (timed too, with ``--top-k 40 --top-p 0.9``), bans ``<pad>``/``<s>``, draws from a seeded
CPU generator and yields each token as it is produced. The fixed-window model is timed at the same sizes.
Each timing is the best of ``--rounds`` runs, the generators interleaved round robin.
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from wordseq.lm.neural.generate import beam_search, sample_ids
from wordseq.lm.neural.window import WindowLM


class ExampleLSTM(nn.Module):
    """The PyTorch example's RNNModel (LSTM), with the wordseq LM interface around it (batch-first ids)."""

    def __init__(self, V: int, E: int, H: int, L: int) -> None:
        super().__init__()
        self.encoder, self.rnn, self.decoder = nn.Embedding(V, E), nn.LSTM(E, H, L), nn.Linear(H, V)
        self.L, self.H = L, H

    def init_state(self, batch_size: int, device=None):
        h = torch.zeros(self.L, batch_size, self.H)
        return (h, h.clone())

    def forward_tb(self, ids, state):  # (T, B) as in the example
        out, state = self.rnn(self.encoder(ids), state)
        return self.decoder(out), state

    def forward(self, ids, state):  # (B, T), the wordseq interface
        logits, state = self.forward_tb(ids.t(), state)
        return logits.transpose(0, 1), state


def example_generate(model: ExampleLSTM, n: int, temperature: float = 1.0, seed: int = 0) -> list[int]:
    """The loop of pytorch/examples word_language_model/generate.py."""
    torch.manual_seed(seed)
    hidden = model.init_state(1)
    input = torch.randint(model.decoder.out_features, (1, 1), dtype=torch.long)
    words = []
    with torch.no_grad():
        for _ in range(n):
            output, hidden = model.forward_tb(input, hidden)
            word_weights = output.squeeze().div(temperature).exp().cpu()
            word_idx = torch.multinomial(word_weights, 1)[0]
            input.fill_(word_idx)
            words.append(int(word_idx))
    return words


def best_of(f, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=2000)
    ap.add_argument("--vocab", type=int, default=10000)
    ap.add_argument("--hidden", type=int, default=200)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5, help="runs of each generator, interleaved; best counts")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    V, H, n = args.vocab, args.hidden, args.tokens
    lstm = ExampleLSTM(V, H, H, args.layers).eval()
    window = WindowLM(V, context=4, embed=H, hidden=H).eval()

    beam_n = max(n // 10, 1)
    runs = {
        "LSTM, PyTorch example loop": lambda: example_generate(lstm, n),
        "LSTM, wordseq sample": lambda: list(sample_ids(lstm, [], n, seed=0, banned_ids=[1, 2])),
        "LSTM, wordseq sample top-k 40 top-p 0.9": lambda: list(
            sample_ids(lstm, [], n, seed=0, top_k=40, top_p=0.9, banned_ids=[1, 2])
        ),
        "LSTM, wordseq greedy": lambda: list(sample_ids(lstm, [], n, temperature=0.0)),
        "window (context 4), wordseq sample": lambda: list(sample_ids(window, [], n, seed=0)),
        "beam": lambda: beam_search(lstm, [], beam_n, beam=5),
    }
    # Round robin, best of `rounds` for each: on a shared machine the load changes from minute to minute,
    # and interleaving exposes every generator to the same conditions.
    best = {name: math.inf for name in runs}
    for _ in range(args.rounds):
        for name, f in runs.items():
            best[name] = min(best[name], best_of(f, repeats=1))
    t_beam = best.pop("beam")
    t_ref = best["LSTM, PyTorch example loop"]
    rows = list(best.items())

    print(f"{n} tokens, vocabulary {V}, {args.layers} x {H} LSTM, batch 1, {args.threads} thread(s)\n")
    print("| generator | seconds | tokens/s | vs example |")
    print("|---|---:|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t:.3f} | {n / t:,.0f} | {t_ref / t:.2f}x |")
    print(f"| LSTM, wordseq beam search, beam 5 ({beam_n} steps) | {t_beam:.3f} | {beam_n / t_beam:,.0f} steps/s | |")


if __name__ == "__main__":
    main()
