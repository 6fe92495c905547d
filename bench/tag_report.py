"""Format the JSON lines written by bench/tag_bench.py as a Markdown table.

python bench/tag_report.py bench/results/tag_runs.jsonl
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "bench/results/tag_runs.jsonl"
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    print(
        "| run | task | model | vectors | epochs (best) | s/epoch | dev | test | test, unseen words | "
        "tagging sent/s (1 thread) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        col = r["task"].split("+")[0]
        dev, test = r["dev"][col], r["test"][col]
        span = test["f1"] is not None
        metric = "F1" if span else "acc"
        d = 100 * (dev["f1"] if span else dev["accuracy"])
        t = 100 * (test["f1"] if span else test["accuracy"])
        model = r["model"] + ("-crf" if r["crf"] else "") + f" (chars {r['chars']})"
        vec = "wiki sgns-300" if r["vectors"] else "random"
        print(
            f"| {r['name']} | {r['task']} | {model} | {vec} | {r['epochs_run']} ({r['best_epoch']}) | "
            f"{r['seconds_per_epoch']} | {metric} {d:.2f} | {metric} {t:.2f} | "
            f"acc {100 * test['unseen_word_accuracy']:.2f} ({test['unseen_word_tokens']}) | "
            f"{r['tagging_sentences_per_s']:,.0f} |"
        )


if __name__ == "__main__":
    main()
