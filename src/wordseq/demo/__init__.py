"""``wordseq demo``: the main job, one step per area (``corpus``, ``embed``, ``ngram``, ``neural``), run in
order by :func:`run_demo` on the bundled Tiny Shakespeare."""

from wordseq.demo.context import DemoContext, bundled_corpus, lm_data, split_corpus
from wordseq.demo.run import STEPS, run_demo

__all__ = ["STEPS", "DemoContext", "bundled_corpus", "lm_data", "run_demo", "split_corpus"]
