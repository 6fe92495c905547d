"""fastText-style accuracy against the ``fasttext`` package over several seeds, one thread each (so that each
run is deterministic and the spread is the seeds', not Hogwild's), on SST-2, SST-5 and TREC: mean and
standard deviation of dev and test accuracy; ``trec50`` (TREC's 50 fine labels) is where the hierarchical
softmax (``--loss hs``) is meant to help.

    python bench/classify_fasttext_seeds.py [--seeds 5] [--data sst2,sst5,trec] [--loss softmax]

Settings as in ``bench/classify_kim.py`` (dim 50, lr 0.5, 10 epochs, bigrams, 200,000 buckets). The package
gets its training file shuffled with the same seed (it reads the file in order) and ``seed=`` for its
initialisation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classify_kim as ck


def load(name: str) -> dict:
    """``classify_kim.load``'s data sets, and ``trec50``: TREC with its 50 fine labels (``NUM:dist``), the
    same split (a stratified 10% of train by coarse label held out as dev)."""
    if name != "trec50":
        return ck.load(name)
    from wordseq.classify import read_labelled
    from wordseq.classify.data import LabelledData

    coarse = ck.load("trec")
    t = ck.DATA / "trec"
    fine = read_labelled(t / "train_5500.label", format="first", encoding="latin-1")
    test = read_labelled(t / "TREC_10.label", format="first", encoding="latin-1")
    by_line = dict(zip(fine.lines, fine.labels))

    def relabel(d: LabelledData, labels: list[str]) -> LabelledData:
        return LabelledData(d.texts, labels, d.source, d.lines)

    return {
        "train": relabel(coarse["train"], [by_line[n] for n in coarse["train"].lines]),
        "dev": relabel(coarse["dev"], [by_line[n] for n in coarse["dev"].lines]),
        "test": relabel(coarse["test"], test.labels),
    }


def package(train, evals, seed: int, loss: str) -> list[float]:
    import fasttext

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        t = train.subset(np.random.default_rng(seed).permutation(len(train)))
        path.write_text("".join(f"__label__{a} {b}\n" for a, b in zip(t.labels, t.texts)), encoding="utf-8")
        m = fasttext.train_supervised(
            str(path), dim=ck.FT["dim"], lr=ck.FT["lr"], epoch=ck.FT["epochs"], wordNgrams=ck.FT["word_ngrams"],
            bucket=ck.FT["buckets"], minCount=ck.FT["min_count"], thread=1, verbose=0, seed=seed, loss=loss,
        )  # fmt: skip
        out = []
        for d in evals:
            p = Path(tmp) / "eval.txt"
            p.write_text("".join(f"__label__{a} {b}\n" for a, b in zip(d.labels, d.texts)), encoding="utf-8")
            out.append(float(m.test(str(p))[1]))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--data", default="sst2,sst5,trec")
    p.add_argument("--loss", default="softmax", choices=["softmax", "hs", "ns"])
    args = p.parse_args()
    from wordseq.classify import FastTextClassifier

    for name in args.data.split(","):
        d = load(name)
        res: dict[str, list[list[float]]] = {"wordseq": [], "fasttext": []}
        for seed in range(args.seeds):
            m = FastTextClassifier(**ck.FT, threads=1, seed=seed, loss=args.loss).fit(d["train"])
            res["wordseq"].append([m.evaluate(d["dev"]).accuracy, m.evaluate(d["test"]).accuracy])
            res["fasttext"].append(package(d["train"], [d["dev"], d["test"]], seed, args.loss))
        for tool, runs in res.items():
            dev, test = zip(*runs)
            row = {"data": name, "tool": tool, "loss": args.loss, "seeds": args.seeds}
            row |= {"dev_mean": statistics.mean(dev), "dev_std": statistics.stdev(dev) if len(dev) > 1 else 0.0}
            row |= {"test_mean": statistics.mean(test), "test_std": statistics.stdev(test) if len(test) > 1 else 0.0}
            row["test"] = [round(x, 4) for x in test]
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
