"""Dependency parsing: transition systems and their oracles, Chen & Manning's neural transition parser,
Dozat & Manning's biaffine graph parser, maximum-spanning-tree decoders, CoNLL 2018 attachment scores."""

from wordseq.parse.biaffine import BiaffineConfig, BiaffineParser
from wordseq.parse.chen_manning import ChenManningConfig, ChenManningParser
from wordseq.parse.decode import chu_liu_edmonds, eisner
from wordseq.parse.evaluate import ParseScore, attachment_scores
from wordseq.parse.transitions import ArcEager, ArcHybrid, ArcStandard, make_system

__all__ = [
    "ArcEager",
    "ArcHybrid",
    "ArcStandard",
    "BiaffineConfig",
    "BiaffineParser",
    "ChenManningConfig",
    "ChenManningParser",
    "ParseScore",
    "attachment_scores",
    "chu_liu_edmonds",
    "eisner",
    "make_system",
]
