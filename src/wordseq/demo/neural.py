"""The demo's neural step: a small word-level LSTM on the bundled Tiny Shakespeare, its held-out perplexity
beside the n-gram model's (same data, same vocabulary, ``</s>`` counted alike) and a few generated lines."""

from __future__ import annotations

import math
import time

import torch


def neural_step(ctx) -> list[str]:
    """Train a small word LSTM on the demo's LM data for about 140 s (a few seconds with ``ctx.quick``)."""
    from wordseq.demo.context import lm_data
    from wordseq.lm.neural.files import save_lm
    from wordseq.lm.neural.generate import generate_text
    from wordseq.lm.neural.model import build_model, model_config
    from wordseq.lm.neural.task import LMTask, evaluate_lm
    from wordseq.train import TrainConfig, fit

    tok, train, valid = lm_data(ctx)
    if ctx.threads:
        torch.set_num_threads(ctx.threads)
    size = 64 if ctx.quick else 200
    config = model_config(
        vocab_size=len(train.vocab),
        model="lstm",
        embed=size,
        hidden=size,
        layers=1,
        dropout=0.0 if ctx.quick else 0.3,
        tied=True,
    )
    torch.manual_seed(ctx.seed)
    model = build_model(config)
    model.bf16_output = (
        True  # the output layer is most of the work; bfloat16 doubles its speed on CPUs with AMX/AVX-512
    )
    eos = train.vocab.stoi["</s>"]
    task = LMTask(train.ids, valid.ids, None, batch=32, bptt=35, eval_batch=10, eos_id=eos, level="word")
    budget = 4.0 if ctx.quick else 140.0
    tc = TrainConfig(
        epochs=1 if ctx.quick else 20, optimizer="adam", lr=3e-3, clip=0.5, seed=ctx.seed, max_seconds=budget, bf16=True
    )
    t0 = time.perf_counter()
    history = fit(model, task, tc, log=None)
    seconds = time.perf_counter() - t0
    loss, n = evaluate_lm(model, valid.ids, 10, 35, eos)
    ppl = math.exp(loss)
    path = ctx.output / "lstm.wsq"
    save_lm(
        path,
        model,
        config,
        train.vocab,
        tok.config(),
        "word",
        {"demo": True, "history": history.to_list(), "valid_perplexity": ppl},
    )
    ctx.results["neural"] = {"perplexity": ppl, "path": path}
    lines = [
        f"neural LM: 1-layer LSTM, {size} units, tied embeddings, {sum(p.numel() for p in model.parameters()):,} "
        f"parameters, trained {seconds:.0f} s ({len(history.epochs)} epoch(s), {history.stopped or 'all epochs'})",
        f"  valid perplexity {ppl:.1f} over {n:,} tokens",
    ]
    ngram = ctx.results.get("ngram", {})
    if isinstance(ngram, dict) and "perplexity" in ngram:
        lines.append(f"  n-gram model on the same data: {ngram['perplexity']:.1f}")
    lines.append("  samples (temperature 0.8):")
    for k, prompt in enumerate(["", "the king"]):
        text = generate_text(model, train.vocab, tok, "word", prompt, 8 if ctx.quick else 40, 0.8, ctx.seed + k)
        lines += [f"    | {line}" for line in text.strip().splitlines()[:4] if line.strip()]
    lines.append(f"  model written to {path}")
    return lines
