"""``wordseq embed``: (being built)."""


def register(sub, parents) -> None:
    pass
