"""What every parser shares beyond the estimator shape: an optional tagger for predicted tags (kept by path in
the model file), tagging before parsing, and writing the model file from the network and the vocabularies."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Self

from wordseq.config import Config
from wordseq.errors import WordseqError
from wordseq.estimator import C, Estimator
from wordseq.parse.evaluate import attachment_scores
from wordseq.parse.treebank import gold_heads, gold_relations
from wordseq.text.conllu import Sentence


def _is_main() -> bool:
    """Whether this is the first (or the only) training process."""
    from wordseq.train import distributed as dist

    return dist.is_main()


class DevEpochs:
    """What a parser's training task remembers across epochs: the dev UAS/LAS of each epoch and the weights
    of the best one by LAS, kept in checkpoints so that a resumed run keeps the epoch an uninterrupted one
    would."""

    def __init__(self, dev: Any, log: Any) -> None:
        self.dev, self.log = dev, log
        self.dev_scores: list[tuple[float, float]] = []
        self.best: tuple[float, float] | None = None
        self.best_epoch = 0
        self.best_state: dict[str, Any] | None = None

    def score_dev(self, model: Any, trees: list[tuple[list[int], list[str]]]) -> float:
        """Score the dev parses ``trees``, remember the epoch (and the weights if it is the best); the LAS."""
        score = attachment_scores([(gold_heads(s)[1:], gold_relations(s)) for s in self.dev], trees)
        self.dev_scores.append((score.uas, score.las))
        if self.best is None or score.las > self.best[1]:
            self.best = (score.uas, score.las)
            self.best_epoch = len(self.dev_scores)
            self.best_state = copy.deepcopy(model.state_dict())
        if self.log and _is_main():  # under torchrun every process scores the dev set; the first one says so
            self.log(f"  dev UAS {100 * score.uas:.2f}  LAS {100 * score.las:.2f}")
        return score.las

    def state_dict(self) -> dict[str, Any]:
        return {
            "dev_scores": [list(x) for x in self.dev_scores],
            "best": list(self.best) if self.best is not None else None,
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.dev_scores = [(float(u), float(las)) for u, las in state["dev_scores"]]
        self.best = (float(state["best"][0]), float(state["best"][1])) if state["best"] is not None else None
        self.best_epoch = int(state["best_epoch"])
        self.best_state = state["best_state"]


class Parser(Estimator[C]):
    """Base of the parsers: subclasses set ``net`` when trained and say which vocabularies they store."""

    config: Any

    def __init__(self, config: C | None = None, **overrides: Any) -> None:
        super().__init__(config, **overrides)
        self.net: Any = None
        self.tagger: Any = None  # a tagger for predicted tags (wordseq.tag), if any
        self.tagger_path: str | None = None
        self.provenance: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}

    def _check_trained(self) -> None:
        if self.net is None:
            raise WordseqError("the parser is not trained yet (call fit or load a model)")

    def _vocabs(self) -> dict[str, Any]:
        """The vocabularies the model file stores, by name."""
        raise NotImplementedError

    def _restore(self, mf: Any, path: str | os.PathLike) -> None:
        """After :meth:`load` has built ``net`` from the model file ``mf``: its weights (a file whose weights
        do not fit is an input error naming it), history, metrics, provenance and tagger path."""
        from wordseq.nn.weights import load_weights

        load_weights(self.net, dict(mf.tensors), path)
        self.net.eval()
        self.history = list(mf.provenance.get("history", []))
        self.metrics = dict(mf.provenance.get("metrics", {}))
        self.provenance = {k: v for k, v in mf.provenance.items() if k not in ("history", "metrics")}
        self.tagger_path = mf.extra.get("tagger")

    # ------------------------------------------------------------------ training

    def _train(self, task: Any, checkpoint: Any, resume: bool, log: Any, valid_loss: bool = False) -> None:
        """Run the one training loop on ``task`` (which keeps the best dev epoch's weights and scores), then
        restore those weights and record the per-epoch history and the final metrics."""
        from wordseq.train.loop import fit as train_fit

        hist = train_fit(
            self.net,
            task,
            self.config.train,
            checkpoint=Path(checkpoint) if checkpoint else None,
            resume=resume,
            meta={"model": {k: v for k, v in self.config.to_dict().items() if k != "train"}},  # not the epochs
            log=log,
        )
        if task.best_state is not None:
            self.net.load_state_dict(task.best_state)
        self.history = []
        for entry, scores in zip(hist.to_list(), task.dev_scores + [None] * len(hist.epochs)):
            row = {"epoch": entry["epoch"], "train_loss_nats": entry["train_loss"]}
            if valid_loss:
                row["valid_loss_nats"] = entry["valid_loss"]
            row["seconds"] = entry["seconds"]
            if scores is not None:
                row["valid_uas"], row["valid_las"] = scores
            self.history.append(row)
        if task.best is not None:
            self.metrics = {"valid_uas": task.best[0], "valid_las": task.best[1], "best_epoch": task.best_epoch}
        self.provenance["train_seconds"] = sum(h["seconds"] for h in self.history)
        self.net.eval()

    # ------------------------------------------------------------------ predicted tags

    def use_tagger(self, path: str | os.PathLike) -> Self:
        """Tag input with this tagger model (it must predict the parser's tag column); the path is kept in
        the parser's model file, so a loaded parser tags plain text the same way."""
        from wordseq.parse.tagging import load_tagger

        self.tagger = load_tagger(path, self.config.tag_column)
        self.tagger_path = os.path.abspath(path)
        return self

    def _active_tagger(self) -> Any:
        if self.tagger is None and self.tagger_path:
            from wordseq.parse.tagging import load_tagger

            self.tagger = load_tagger(self.tagger_path, self.config.tag_column)
        return self.tagger

    def _tagged(self, sentences: list[Sentence], gold_tags: bool) -> list[Sentence]:
        """The sentences with the tagger's tags, unless ``gold_tags`` or there is no tagger."""
        if gold_tags or self._active_tagger() is None:
            return sentences
        from wordseq.parse.tagging import tag_sentences

        return tag_sentences(self.tagger, sentences, self.config.tag_column)

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike) -> Path:
        from wordseq.io.modelfile import ModelFile, save_model

        self._check_trained()
        tensors = {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        extra = {"tagger": self.tagger_path} if self.tagger_path else {}
        prov = {**self.provenance, "history": self.history, "metrics": self.metrics}
        config: Config = self.config
        return save_model(path, ModelFile(self.kind, config.to_dict(), tensors, self._vocabs(), prov, extra))
