"""The fixed-window LM on the bundled Tiny Shakespeare, word level: held-out perplexity and generated text.

    nice -n 19 python bench/window_shakespeare.py [--minutes 10] [--context 4] [--embed 64] [--hidden 256]

The data are the demo's language-model data (``wordseq.demo.lm_data``): first 90% of the lines train, the
rest validation; lowercased word tokens; words seen at least twice in train, the rest ``<unk>``; blank lines
dropped; ``</s>`` after each line is predicted and counted. Training is a plain loop over the shared
stream / BPTT-window layout (``lm_streams``, ``bptt_windows``) with the window state carried, Adam, gradient
clipping at 1, the learning rate divided by 4 when validation perplexity stops falling; it stops after
``--minutes`` or ``--epochs``, keeping the best weights on validation. ``--bounded`` keeps each window within
its line (the n-gram models' condition); by default windows read across line ends. Then it writes samples with
``wordseq.lm.neural.generate`` (top-p and beam search) from a few prompts.
"""

from __future__ import annotations

import argparse
import copy
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from wordseq.demo import DemoContext, bundled_corpus, lm_data, split_corpus
from wordseq.lm.neural.generate import Detokenizer, beam_search, encode_prompt, never_generated, sample_ids
from wordseq.lm.neural.window import WindowLM
from wordseq.nn import detach_state
from wordseq.text.batching import bptt_windows, lm_streams


@torch.no_grad()
def perplexity(model: WindowLM, ids: np.ndarray, batch: int = 10, bptt: int = 64) -> float:
    model.eval()
    streams = torch.from_numpy(lm_streams(ids, batch))
    state, total, n = model.init_state(batch), 0.0, 0
    for x, y in bptt_windows(streams, bptt):
        logits, state = model(x, state)
        total += torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"
        ).item()
        n += y.numel()
    return math.exp(total / n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--context", type=int, default=4)
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--direct", action="store_true")
    ap.add_argument(
        "--bounded",
        action="store_true",
        help="windows stop at </s>, so each line is predicted from its own words, as n-gram models do",
    )
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--bptt", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        train_path, valid_path = split_corpus(bundled_corpus(), Path(tmp))
        ctx = DemoContext(bundled_corpus(), Path(tmp), train_path, valid_path)
        tok, train, valid = lm_data(ctx)
        train_ids, valid_ids = np.asarray(train.ids), np.asarray(valid.ids)
    vocab = train.vocab
    V = len(vocab)
    print(f"train {len(train_ids):,} tokens, valid {len(valid_ids):,} tokens, vocabulary {V:,}")
    model = WindowLM(
        V,
        context=args.context,
        embed=args.embed,
        hidden=args.hidden,
        dropout=args.dropout,
        tied=args.tied,
        direct=args.direct,
        bounded_by=vocab.stoi["</s>"] if args.bounded else None,
    )
    print(model)
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    streams = torch.from_numpy(lm_streams(train_ids, args.batch))
    best, best_state, start = math.inf, None, time.perf_counter()
    print("| epoch | train ppl | valid ppl | lr | minutes |\n|---:|---:|---:|---:|---:|")
    for epoch in range(1, args.epochs + 1):
        model.train()
        state, total, n = model.init_state(args.batch), 0.0, 0
        for x, y in bptt_windows(streams, args.bptt):
            logits, state = model(x, detach_state(state))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total, n = total + loss.item() * y.numel(), n + y.numel()
        valid_ppl = perplexity(model, valid_ids)
        minutes = (time.perf_counter() - start) / 60
        print(
            f"| {epoch} | {math.exp(total / n):.1f} | {valid_ppl:.1f} | {opt.param_groups[0]['lr']:.2g} "
            f"| {minutes:.1f} |",
            flush=True,
        )
        if valid_ppl < best:
            best, best_state = valid_ppl, copy.deepcopy(model.state_dict())
        else:
            for g in opt.param_groups:
                g["lr"] /= 4
        if minutes > args.minutes:
            break
    model.load_state_dict(best_state)
    print(f"\nbest validation perplexity {best:.1f} ({V:,} words, </s> counted)\n")

    banned = never_generated(vocab, no_unk=True)
    for prompt_text in ["", "KING RICHARD III:\n", "o romeo,"]:
        prompt = encode_prompt(prompt_text, tok, vocab)
        at_start = prompt_text == "" or prompt_text[-1].isspace()
        text = Detokenizer(vocab, "word", at_start).text(
            sample_ids(model, prompt.ids, 60, temperature=0.8, top_p=0.9, banned_ids=banned, seed=args.seed)
        )
        print(f"--- top-p 0.9, temperature 0.8, prompt {prompt_text!r}\n{prompt_text}{text}\n")
        best_hyp = beam_search(model, prompt.ids, 30, beam=8, banned_ids=banned)[0]
        print(
            f"--- beam 8, prompt {prompt_text!r} (log-probability {best_hyp.logprob:.2f})\n"
            f"{prompt_text}{Detokenizer(vocab, 'word', at_start).text(best_hyp.tokens)}\n"
        )


if __name__ == "__main__":
    main()
