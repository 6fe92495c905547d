"""The n-gram step of ``wordseq demo``: a modified Kneser-Ney 3-gram on the demo corpus, its held-out
perplexity (on the same tokens as the neural model's, so the two compare) and a few sampled lines."""

from __future__ import annotations

import time


def ngram_step(ctx) -> list[str]:
    from wordseq.demo.context import lm_data
    from wordseq.lm.ngram import NgramModel

    tok, train, valid = lm_data(ctx)
    t0 = time.perf_counter()
    model = NgramModel.fit(train.ids, train.vocab, order=3, smoothing="mkn", tokenizer=tok)
    fit_s = time.perf_counter() - t0
    result = model.perplexity_ids(valid.ids)
    path = model.save(ctx.output / "ngram3.wsq")
    lines = model.sample(3, seed=ctx.seed, max_len=30)
    ctx.results["ngram"] = {"order": 3, "perplexity": result.perplexity}
    sizes = ", ".join(f"{s:,}" for s in model.sizes())
    return (
        [
            "n-gram language model: modified Kneser-Ney 3-gram",
            f"  {model.info['tokens']:,} training tokens, n-grams by order {sizes}, built in {fit_s:.2f} s",
            f"  validation perplexity {result.perplexity:.2f} over {result.tokens:,} tokens "
            f"({result.oov:,} out of vocabulary, scored as <unk>)",
            "  sampled lines:",
        ]
        + [f"    {line}" for line in lines]
        + [f"  model written to {path}"]
    )
