"""``wordseq generate``: (being built)."""


def register(sub, parents) -> None:
    pass
