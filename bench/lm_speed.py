"""Training speed: wordseq's trainer against a plain PyTorch loop, side by side, same configuration.

The plain loop is the PyTorch word_language_model example's design: ``nn.Embedding -> nn.LSTM -> nn.Linear``
on ``(T, B)`` batches from ``batchify``, ``repackage_hidden``, ``CrossEntropyLoss``, ``clip_grad_norm_`` and a
hand-written SGD step. wordseq runs :func:`wordseq.train.fit` on an :class:`~wordseq.lm.neural.task.LMTask`,
in float32 and with the bfloat16 output layer (``--bf16``). All start from the same weights and see the same
tokens; after an untimed warm-up run of each, the runs are interleaved and repeated, and the median time
counts. After the same number of tokens, each model's validation perplexity is measured with the same scorer.

    flock /tmp/wordseq-bench.lock env PYTHONPATH=src python bench/lm_speed.py --threads 2 --batches 150
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WORDSEQ_DATA", ROOT.parent / "shared" / "data")) / "ptb"


class PlainRNNModel(nn.Module):
    """The PyTorch example's RNNModel (LSTM, no tying), input (T, B)."""

    def __init__(self, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        return self.decoder(output).view(-1, self.decoder.out_features), hidden

    def init_hidden(self, bsz):
        w = next(self.parameters())
        return (w.new_zeros(self.nlayers, bsz, self.nhid), w.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data: torch.Tensor, bsz: int) -> torch.Tensor:
    nbatch = data.size(0) // bsz
    return data[: nbatch * bsz].view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


def repackage_hidden(h):
    return h.detach() if isinstance(h, torch.Tensor) else tuple(repackage_hidden(v) for v in h)


def plain_train(model, train_data, bptt, lr, clip, n_batches):
    """The example's train(): one pass over the first ``n_batches`` windows."""
    criterion = nn.CrossEntropyLoss()
    model.train()
    hidden = model.init_hidden(train_data.size(1))
    ntokens = model.decoder.out_features
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        if batch == n_batches:
            break
        data, targets = get_batch(train_data, i, bptt)
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output.view(-1, ntokens), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)


class PlainAsLM(nn.Module):
    """The plain model behind wordseq's LM interface, so that one scorer measures both."""

    def __init__(self, plain: PlainRNNModel) -> None:
        super().__init__()
        self.plain = plain

    def init_state(self, batch_size, device=None):
        return self.plain.init_hidden(batch_size)

    def forward(self, ids, state, targets=None):
        logits, state = self.plain(ids.t(), state)
        logits = logits.view(ids.size(1), ids.size(0), -1).transpose(0, 1)
        if targets is not None:
            return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1)), state
        return logits, state


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, default=150, help="training windows per timed run")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs of each trainer first (one-time set-up)")
    ap.add_argument("--bptt", type=int, default=20)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--hidden", type=int, default=200)
    ap.add_argument("--profile", action="store_true", help="also profile one run of each")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    from wordseq.lm.neural import NeuralLMConfig, build_network
    from wordseq.lm.neural.data import load_corpora
    from wordseq.lm.neural.task import LMTask, evaluate_lm
    from wordseq.train import TrainConfig, fit

    corpus = load_corpora(DATA / "ptb.train.txt", DATA / "ptb.valid.txt", level="word")
    V, H = len(corpus.vocab), args.hidden
    valid = corpus.valid[:20000]
    config = NeuralLMConfig(model="lstm", embed=H, hidden=H, layers=2, init="uniform", init_scale=0.1)
    torch.manual_seed(0)
    reference = build_network(config, V)
    tokens = args.batches * args.bptt * args.batch
    print(
        f"PTB, 2 x {H} LSTM, vocabulary {V:,}, bptt {args.bptt}, batch {args.batch}, SGD lr 20, clip 0.25; "
        f"{args.batches} windows = {tokens:,} tokens per run; {args.threads} thread(s); torch {torch.__version__}"
    )

    def run_plain():
        plain = PlainRNNModel(V, H, H, 2)
        plain.encoder.weight.data.copy_(reference.encoder.weight)
        plain.decoder.load_state_dict(reference.decoder.state_dict())
        plain.rnn.load_state_dict(reference.rnns[0].state_dict())
        data = batchify(torch.from_numpy(corpus.train), args.batch)
        t = time.perf_counter()
        plain_train(plain, data, args.bptt, 20.0, 0.25, args.batches)
        return time.perf_counter() - t, PlainAsLM(plain)

    def run_wordseq(bf16: bool):
        model = build_network(config, V)
        model.load_state_dict(reference.state_dict())
        model.bf16_output = bf16
        task = LMTask(corpus.train, None, None, batch=args.batch, bptt=args.bptt)
        first = task.batches(1)[: args.batches]
        task.batches = lambda epoch: first
        tc = TrainConfig(epochs=1, optimizer="sgd", lr=20.0, clip=0.25, bf16=bf16)
        t = time.perf_counter()
        fit(model, task, tc, log=None)
        return time.perf_counter() - t, model

    runs = {
        "plain PyTorch loop": lambda: run_plain(),
        "wordseq fp32": lambda: run_wordseq(False),
        "wordseq bf16 output": lambda: run_wordseq(True),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    models = {}
    for _ in range(args.warmup):
        for fn in runs.values():
            fn()
    for r in range(args.repeat):
        for name, fn in runs.items():
            seconds, models[name] = fn()
            times[name].append(seconds)
            print(f"  run {r + 1}: {name}: {seconds:.1f} s ({tokens / seconds:,.0f} tokens/s)", flush=True)
    base = statistics.median(times["plain PyTorch loop"])
    print(f"\n| trainer | median s | tokens/s | speed-up | valid ppl after {tokens:,} tokens |")
    print("|---|---:|---:|---:|---:|")
    for name in runs:
        med = statistics.median(times[name])
        loss, _ = evaluate_lm(models[name], valid, 10, 35, corpus.eos_id)
        print(f"| {name} | {med:.1f} | {tokens / med:,.0f} | {base / med:.2f}x | {math.exp(loss):.2f} |")

    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        for name in ("plain PyTorch loop", "wordseq fp32", "wordseq bf16 output"):
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                runs[name]()
            print(f"\nprofile: {name}")
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
