"""``wordseq lm``: (being built)."""


def register(sub, parents) -> None:
    pass
