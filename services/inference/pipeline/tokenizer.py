"""CLIP's byte-level BPE tokenizer, read from the `vocab.json` + `merges.txt`
pair that Stable Diffusion exports ship (tokenizer/ in an ONNX export).

Text is lower-cased and split into words; each word is spelt in CLIP's
byte-to-unicode alphabet, its last symbol marked with "</w>", and pairs are
merged by rank. The ids are framed by <|startoftext|> and <|endoftext|> and
padded with <|endoftext|> to the encoder's fixed length (77).
"""

from __future__ import annotations

import functools
import json
import pathlib
import re

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
MAX_LENGTH = 77
# CLIP's pattern with \p{L}/\p{N} written for the standard library's re.
WORDS = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def byte_alphabet() -> dict[int, str]:
    """GPT-2/CLIP's reversible map of bytes to printable unicode characters."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars)))


class ClipTokenizer:
    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]], max_length: int = MAX_LENGTH):
        self.vocab = vocab
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.max_length = max_length
        self.bos, self.eos = vocab[BOS], vocab[EOS]

    @classmethod
    def load(cls, folder: pathlib.Path) -> "ClipTokenizer":
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        lines = (folder / "merges.txt").read_text(encoding="utf-8").splitlines()
        merges = [tuple(line.split()) for line in lines if line and not line.startswith("#version")]
        return cls(vocab, merges)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one tokenizer per process
    def bpe(self, word: str) -> tuple[str, ...]:
        symbols = [*word[:-1], word[-1] + "</w>"]
        while len(symbols) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            symbols[i : i + 2] = [symbols[i] + symbols[i + 1]]
        return tuple(symbols)

    def tokens(self, text: str) -> list[int]:
        alphabet = byte_alphabet()
        ids = []
        for word in WORDS.findall(" ".join(text.lower().split())):
            spelt = "".join(alphabet[b] for b in word.encode("utf-8"))
            ids.extend(self.vocab[symbol] for symbol in self.bpe(spelt) if symbol in self.vocab)
        return ids

    def encode(self, text: str) -> list[int]:
        """[BOS, tokens…, EOS] padded with EOS to max_length (a longer prompt is cut)."""
        ids = [self.bos, *self.tokens(text)[: self.max_length - 2], self.eos]
        return ids + [self.eos] * (self.max_length - len(ids))
