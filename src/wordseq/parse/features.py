"""Chen & Manning's (2014) 48 features of a parser state: 18 words, 18 tags and 12 arc labels.

The 18 positions are the top three stack words s1 s2 s3, the first three buffer words b1 b2 b3, and for
s1 and s2: the leftmost and rightmost children lc1 rc1, the second leftmost and rightmost lc2 rc2, and the
leftmost child of the leftmost child lc1(lc1) and the rightmost of the rightmost rc1(rc1). Words and tags are
read at all 18; labels at the last 12 (the children). A missing position is -1, which every padded array
(see :class:`~wordseq.parse.transitions.State`) maps to NULL.
"""

from __future__ import annotations

from wordseq.parse.transitions import State

N_POSITIONS = 18
N_LABEL_POSITIONS = 12
N_FEATURES = 2 * N_POSITIONS + N_LABEL_POSITIONS
POSITION_NAMES = (
    "s1", "s2", "s3", "b1", "b2", "b3",
    "lc1(s1)", "rc1(s1)", "lc2(s1)", "rc2(s1)", "lc1(lc1(s1))", "rc1(rc1(s1))",
    "lc1(s2)", "rc1(s2)", "lc2(s2)", "rc2(s2)", "lc1(lc1(s2))", "rc1(rc1(s2))",
)  # fmt: skip


def positions(s: State) -> list[int]:
    """The 18 feature positions of a state (word indices, 0 for ROOT, -1 for none)."""
    st = s.stack
    depth = len(st)
    s1 = st[-1] if depth > 0 else -1
    s2 = st[-2] if depth > 1 else -1
    s3 = st[-3] if depth > 2 else -1
    i, n = s.i, s.n
    out = [s1, s2, s3, i if i <= n else -1, i + 1 if i + 1 <= n else -1, i + 2 if i + 2 <= n else -1]
    lefts, rights = s.lefts, s.rights  # lefts[-1] and rights[-1] are the empty NULL slot
    for k in (s1, s2):
        lk = lefts[k]
        rk = rights[k]
        lc1 = lk[0] if lk else -1
        rc1 = rk[-1] if rk else -1
        llc = lefts[lc1]
        rrc = rights[rc1]
        out += (
            lc1,
            rc1,
            lk[1] if len(lk) > 1 else -1,
            rk[-2] if len(rk) > 1 else -1,
            llc[0] if llc else -1,
            rrc[-1] if rrc else -1,
        )
    return out


def features(s: State, words: list[int], tags: list[int]) -> list[int]:
    """The 48 feature ids: ``words``/``tags`` are the sentence's ids padded as [ROOT, w1..wn, NULL]; label ids
    are the action label + 1 (0 is NULL)."""
    pos = positions(s)
    labels = s.labels
    w = [words[p] for p in pos]
    w += [tags[p] for p in pos]
    w += [labels[p] + 1 for p in pos[6:]]
    return w
