"""The demo's neural step: a small word-level LSTM on the bundled Tiny Shakespeare, its held-out perplexity
beside the n-gram model's (same data, same vocabulary, ``</s>`` counted alike) and a few generated lines."""

from __future__ import annotations

import time

import torch


def neural_step(ctx) -> list[str]:
    """Train a small word LSTM on the demo's LM data for about 140 s (a few seconds with ``ctx.quick``)."""
    from wordseq.demo.context import lm_data
    from wordseq.lm.neural import NeuralLM, NeuralLMConfig
    from wordseq.train import TrainConfig
    from wordseq.train.precision import fast_bf16

    tok, train, valid = lm_data(ctx)
    if ctx.threads:
        torch.set_num_threads(ctx.threads)
    size = 64 if ctx.quick else 200
    config = NeuralLMConfig(
        model="lstm",
        embed=size,
        hidden=size,
        layers=1,
        dropout=0.0 if ctx.quick else 0.3,
        tied=True,
        tokenizer=tok.kind,  # how lm_data read the text, so that the saved model reads new text alike
        lower=tok.lower,
        min_count=2,
        batch_size=32,
        bptt=35,
        eval_batch_size=10,
        # bf16: the output layer is most of the work; bfloat16 doubles its speed on CPUs with AMX/AVX-512 BF16,
        # and is emulated (about 14x slower than float32) on CPUs without them
        train=TrainConfig(
            epochs=1 if ctx.quick else 20,
            optimizer="adam",
            lr=3e-3,
            clip=0.5,
            seed=ctx.seed,
            max_seconds=4.0 if ctx.quick else 140.0,
            bf16=fast_bf16(),
        ),
    )
    t0 = time.perf_counter()
    model = NeuralLM(config).fit(train, valid)
    seconds = time.perf_counter() - t0
    score = model.evaluate(valid)
    model.provenance.update(demo=True, valid_perplexity=score.perplexity)
    path = model.save(ctx.output / "lstm.wsq")
    ctx.results["neural"] = {"perplexity": score.perplexity, "path": path}
    n_params = model.summary().total_params
    lines = [
        f"neural LM: 1-layer LSTM, {size} units, tied embeddings, {n_params:,} parameters, trained {seconds:.0f} s "
        f"({len(model.history)} epoch(s), {model.stopped or 'all epochs'})",
        f"  valid perplexity {score.perplexity:.1f} over {score.tokens:,} tokens",
    ]
    ngram = ctx.results.get("ngram", {})
    if isinstance(ngram, dict) and "perplexity" in ngram:
        lines.append(f"  n-gram model on the same data: {ngram['perplexity']:.1f}")
    lines.append("  samples (temperature 0.8):")
    for k, prompt in enumerate(["", "the king"]):
        (text,) = model.generate(prompt, 8 if ctx.quick else 40, temperature=0.8, no_unk=True, seed=ctx.seed + k)
        lines += [f"    | {line}" for line in text.strip().splitlines()[:4] if line.strip()]
    lines.append(f"  model written to {path}")
    return lines
