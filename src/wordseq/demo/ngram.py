"""The n-gram step of ``wordseq demo``: a modified Kneser-Ney 3-gram on the demo corpus, its held-out
perplexity (on the same tokens as the neural model's, so the two compare) and a few generated lines."""

from __future__ import annotations

from typing import Any


def ngram_step(ctx: Any) -> list[str]:
    from wordseq.demo.context import lm_data
    from wordseq.lm.ngram import NgramConfig, NgramModel

    tok, train, valid = lm_data(ctx)
    model = NgramModel(NgramConfig(order=3, smoothing="mkn")).fit(train, tokenizer=tok)
    fitted = model.history[-1]
    fit_s = fitted["count_seconds"] + fitted["estimate_seconds"]
    result = model.evaluate(valid)
    path = model.save(ctx.output / "ngram3.wsq")
    lines = model.generate(num_samples=3, seed=ctx.seed, max_len=30)
    ctx.results["ngram"] = {"order": 3, "perplexity": result.perplexity}
    sizes = ", ".join(f"{s:,}" for s in model.sizes())
    return (
        [
            "n-gram language model: modified Kneser-Ney 3-gram",
            f"  {fitted['train_tokens']:,} training tokens, n-grams by order {sizes}, built in {fit_s:.2f} s",
            f"  validation perplexity {result.perplexity:.2f} over {result.tokens:,} tokens "
            f"({result.oov:,} out of vocabulary, scored as <unk>)",
            "  generated lines:",
        ]
        + [f"    {line}" for line in lines]
        + [f"  model written to {path}"]
    )
