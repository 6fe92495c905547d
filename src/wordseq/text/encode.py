"""Corpus -> one flat int32 array of token ids, ``</s>`` after every line, cached on disk.

One pass over the text: tokens get provisional ids in order of first appearance while counts accumulate;
then the vocabulary is sorted by frequency and the ids are remapped with one numpy gather. The encoded
array is written to disk in chunks and memory-mapped, so memory grows with the vocabulary, not the corpus.
The cache key is a hash of the corpus contents, the tokenizer settings and the vocabulary settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import numpy as np

from wordseq.errors import WordseqError
from wordseq.io.atomic import atomic_path
from wordseq.progress import progress
from wordseq.text.corpus import CorpusWarning, ReadStats, fingerprint, read_blocks, resolve_paths, total_size
from wordseq.text.tokenize import NEWLINE, Tokenizer
from wordseq.text.vocab import EOS, SPECIALS, Vocab

CACHE_VERSION = 1
COMPILED_MIN_BYTES = 8 << 20  # whitespace-tokenized corpora from this size on use the compiled splitter


def cache_dir() -> Path:
    """Where encoded corpora are cached: ``$WORDSEQ_CACHE``, else ``~/.cache/wordseq``."""
    return Path(os.environ.get("WORDSEQ_CACHE") or Path.home() / ".cache" / "wordseq")


@dataclass
class Encoded:
    """An encoded corpus: ``ids`` (int32, ``</s>`` after each line), its vocabulary and statistics."""

    ids: np.ndarray
    vocab: Vocab
    lines: int
    tokens: int  # corpus tokens, not counting the </s> markers
    types: int  # distinct tokens in the corpus
    invalid_utf8: int = 0
    corpus_hash: str | None = None
    cached: bool = False


def _cache_key(corpus_hash: str, tokenizer: Tokenizer, vocab_settings: dict) -> str:
    blob = json.dumps(
        {"v": CACHE_VERSION, "corpus": corpus_hash, "tok": tokenizer.config(), "vocab": vocab_settings},
        sort_keys=True,
    )
    return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()


def _vocab_settings(vocab: Vocab | None, min_count: int, max_size: int | None, specials: Sequence[str]) -> dict:
    if vocab is None:
        return {"min_count": min_count, "max_size": max_size, "specials": list(specials)}
    h = hashlib.blake2b(digest_size=12)
    for t in vocab.itos:
        h.update(t.encode("utf-8") + b"\0")
    return {"fixed": h.hexdigest()}


def encode_corpus(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    tokenizer: Tokenizer | None = None,
    vocab: Vocab | None = None,
    min_count: int = 1,
    max_size: int | None = None,
    specials: Sequence[str] = SPECIALS,
    cache: bool = True,
    desc: str = "encoding",
) -> Encoded:
    """Tokenize and encode a corpus, building its vocabulary unless ``vocab`` is given.

    With a fixed ``vocab``, unknown tokens become ``<unk>``. Results are cached (unless ``cache`` is
    False or the corpus is stdin) and reused when the corpus, tokenizer and vocabulary settings match.
    """
    tokenizer = tokenizer or Tokenizer()
    paths = resolve_paths(corpus)
    for p in paths:
        if p != "-" and os.path.getsize(p) == 0 and len(paths) == 1:
            raise WordseqError(f"{p}: empty file, nothing to encode")
    corpus_hash = fingerprint(paths) if cache else None
    key = None
    if corpus_hash is not None:
        key = _cache_key(corpus_hash, tokenizer, _vocab_settings(vocab, min_count, max_size, specials))
        hit = _load_cached(key)
        if hit is not None:
            hit.corpus_hash = corpus_hash
            return hit

    stats = ReadStats()
    raw_path, first_seen, counts, n_ids = _first_pass(paths, tokenizer, stats, desc)
    try:
        if n_ids == stats.lines:
            names = ", ".join("<stdin>" if f == "-" else f for f in stats.files)
            raise WordseqError(f"{names}: empty corpus (no tokens)")
        # provisional id -> final id (provisional id 0 is the line end)
        if vocab is None:
            new_vocab, word_ids = Vocab.from_count_array(
                first_seen[1:], counts[1:], min_count=min_count, max_size=max_size, specials=specials
            )
            remap = np.concatenate([np.zeros(1, dtype=np.int32), word_ids])
            del word_ids
            if EOS in new_vocab.stoi:
                new_vocab.counts[new_vocab.stoi[EOS]] += int(counts[0])
        else:
            new_vocab = vocab
            unk = new_vocab.unk_id if new_vocab.unk_id is not None else -1
            get = new_vocab.stoi.get
            remap = np.fromiter((get(t, unk) for t in first_seen), dtype=np.int32, count=len(first_seen))
        del counts
        eos = new_vocab.stoi.get(EOS, -1)
        if eos < 0:
            raise WordseqError(f"the vocabulary has no {EOS} entry, which marks line ends")
        remap[0] = eos
        missing = remap < 0
        if missing.any():
            bad = first_seen[int(np.argmax(missing))]
            raise WordseqError(f"token {bad!r} is not in the vocabulary, which has no <unk>")
        types = len(first_seen) - 1
        del first_seen
        if vocab is None:
            # The tokens kept were created among millions of short-lived strings while the text was read;
            # they would pin most of the allocator's blocks once the others are gone. So they are joined
            # into one string, all the originals are freed (and the memory handed back), and fresh copies
            # are cut from it, packed together. (A token never contains a line end.)
            k = len(new_vocab.specials)
            packed = "\n".join(new_vocab.itos[k:])
            vocab_counts, vocab_specials, n_kept = new_vocab.counts, new_vocab.specials, len(new_vocab) - k
            del new_vocab
            _release_free_heap()
            kept = packed.split("\n") if n_kept else []
            del packed
            assert len(kept) == n_kept, "a token holds a line end"
            new_vocab = Vocab(list(vocab_specials) + kept, vocab_counts, vocab_specials)
            del kept
        else:
            _release_free_heap()
        target_dir = cache_dir() if key else Path(tempfile.gettempdir())
        target_dir.mkdir(parents=True, exist_ok=True)
        out_path = target_dir / (f"{key}.npy" if key else f"wordseq-{os.getpid()}-{time.time_ns()}.npy")
        with atomic_path(out_path) as tmp, open(tmp, "wb") as out:
            np.lib.format.write_array_header_1_0(
                out, {"descr": np.dtype(np.int32).str, "fortran_order": False, "shape": (n_ids,)}
            )
            for chunk in _raw_chunks(raw_path):
                remap[chunk].tofile(out)
    finally:
        os.unlink(raw_path)
    ids = np.load(out_path, mmap_mode="r")
    tokens = n_ids - stats.lines
    enc = Encoded(ids, new_vocab, stats.lines, tokens, types, stats.invalid, corpus_hash, False)
    if key:
        meta = {
            "lines": stats.lines,
            "tokens": tokens,
            "types": types,
            "invalid_utf8": stats.invalid,
            "warnings": stats.warnings,
        }
        new_vocab.save(cache_dir() / f"{key}.vocab")
        with atomic_path(cache_dir() / f"{key}.json") as tmp:
            tmp.write_text(json.dumps(meta))
    else:
        os.unlink(out_path)  # the memmap keeps the data alive until it is dropped
    return enc


def _first_pass(paths, tokenizer: Tokenizer, stats: ReadStats, desc: str):
    """Tokenize block by block; write provisional ids (order of first appearance) to a temporary file.

    Returns the file's path, the distinct tokens in provisional-id order (id 0 is the line end), how often
    each occurs (counted block by block, so the file is read only once more, for the final ids) and the
    number of ids written.
    """
    if tokenizer.kind == "whitespace" and _compiled_worthwhile(paths):
        return _first_pass_compiled(paths, tokenizer, stats, desc)
    index: defaultdict[str, int] = defaultdict(count(1).__next__)  # a new token takes the next id
    index[NEWLINE] = 0
    lookup = index.__getitem__
    counts = np.zeros(1 << 16, dtype=np.int64)

    def ids_of(block: str) -> np.ndarray:
        nonlocal counts
        tokens = tokenizer.tokenize_block(block)
        arr = np.fromiter(map(lookup, tokens), dtype=np.int32, count=len(tokens))
        del tokens
        n = len(index)
        if n > len(counts):
            counts = np.concatenate([counts, np.zeros(max(n, 2 * len(counts)) - len(counts), np.int64)])
        counts[:n] += np.bincount(arr, minlength=n)
        return arr

    raw_path, n_ids = _write_provisional_ids(paths, stats, desc, ids_of)
    first_seen = list(index)
    return raw_path, first_seen, counts[: len(first_seen)], n_ids


def _write_provisional_ids(paths, stats: ReadStats, desc: str, ids_of: Callable[[str], np.ndarray]) -> tuple[str, int]:
    """Read the corpus block by block and append ``ids_of(block)`` to a new temporary file, with a progress
    bar over the bytes read; the file's path and the number of ids written (the file is removed on error)."""
    fd, raw_path = tempfile.mkstemp(prefix="wordseq-raw-", suffix=".i32")
    n_ids = 0
    bar = progress(total=total_size(paths), unit="B", unit_scale=True, desc=desc)
    try:
        with os.fdopen(fd, "wb") as raw:
            last_bytes = 0
            for block in read_blocks(paths, stats):
                arr = ids_of(block)
                del block
                arr.tofile(raw)
                n_ids += len(arr)
                bar.update(stats.bytes - last_bytes)
                last_bytes = stats.bytes
    except BaseException:
        os.unlink(raw_path)
        raise
    finally:
        bar.close()
    return raw_path, n_ids


def _compiled_worthwhile(paths) -> bool:
    """Whether the compiled whitespace tokenizer pays for loading numba (about 0.3 s): corpora of
    :data:`COMPILED_MIN_BYTES` and more, read from files."""
    if "-" in paths:
        return False
    size = total_size(paths)  # None for a file that has gone: the reading reports it, naming the file
    return size is not None and size >= COMPILED_MIN_BYTES


def _first_pass_compiled(paths, tokenizer: Tokenizer, stats: ReadStats, desc: str):
    """:func:`_first_pass` for the whitespace tokenizer with the compiled splitter: the same ids, tokens
    and counts (:mod:`wordseq.text._split_kernel`), at several times the speed."""
    from wordseq.io.memory import release_llvm_code
    from wordseq.text._split_kernel import SplitTable

    table = SplitTable()
    table.split(b"")  # loads the compiled splitter; LLVM's code, needed only for that, leaves memory
    release_llvm_code()
    raw_path, n_ids = _write_provisional_ids(
        paths, stats, desc, lambda block: table.split(tokenizer.normalize(block).encode("utf-8", "surrogatepass"))
    )
    first_seen = table.tokens()
    counts = table.token_counts().copy()
    return raw_path, first_seen, counts, n_ids


def _release_free_heap() -> None:
    """Hand the C heap's free memory back to the system (glibc's ``malloc_trim``; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _raw_chunks(raw_path: str, step: int = 1 << 20):
    """The provisional ids, in chunks (bounded memory)."""
    with open(raw_path, "rb") as f:
        while True:
            chunk = np.fromfile(f, dtype=np.int32, count=step)
            if not len(chunk):
                return
            yield chunk


def _load_cached(key: str) -> Encoded | None:
    d = cache_dir()
    paths = [d / f"{key}.npy", d / f"{key}.vocab", d / f"{key}.json"]
    if not all(p.exists() for p in paths):
        return None
    try:
        meta = json.loads(paths[2].read_text())
        ids = np.load(paths[0], mmap_mode="r")
        vocab = Vocab.load(paths[1])
    except (OSError, ValueError, WordseqError):
        return None  # a damaged cache entry is rebuilt
    for message in meta.get("warnings", []):  # a cached corpus warns as the first reading did
        warnings.warn(message, CorpusWarning, stacklevel=3)
    return Encoded(ids, vocab, meta["lines"], meta["tokens"], meta["types"], meta["invalid_utf8"], None, True)


def corpus_report(enc, top: list[int]) -> list[str]:
    """Lines of text describing an encoded corpus."""
    v = enc.vocab
    counts = np.sort(v.counts[v.n_specials :])[::-1]
    lines = [
        f"tokens      {enc.tokens:,}",
        f"lines       {enc.lines:,}",
        f"types       {enc.types:,}",
        f"vocabulary  {len(v):,} entries ({v.n_specials} reserved: {' '.join(v.specials)})",
    ]
    if enc.invalid_utf8:
        lines.append(f"invalid UTF-8 sequences replaced: {enc.invalid_utf8:,}")
    total = enc.tokens
    shown = [k for k in top if 0 < k <= len(counts)]
    if total and shown:
        lines.append("coverage of the most frequent types:")
        cum = np.cumsum(counts)
        lines += [f"  top {k:>7,}  {100.0 * cum[k - 1] / total:6.2f}%" for k in shown]
    return lines
