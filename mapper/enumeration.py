"""Split an enumeration in prose ("with A, B, and C") into answers, guided by the vocabulary.

Labels themselves contain "and" ("Social inclusion and equity", "financing and
partnerships"), so splitting on every separator would cut answers in two. Instead the text
is cut at every possible separator and the longest run of pieces that a concept of the
scheme prints is taken first; a piece no concept covers is kept as printed (free text). Runs
are never longer than the scheme's longest label, so the time is linear in the list's length.
"""

from __future__ import annotations

import re
from weakref import WeakKeyDictionary

from mapper.vocab import Vocabulary

_SEMICOLON = re.compile(r"\s*;\s*(?:and\s+)?")
_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+|as well as\s+)?|\s+and\s+|\s+as well as\s+")


def split_enumeration(text: str, scheme: str, vocab: Vocabulary, verb: str = "", cut: bool = False) -> list[str]:
    """Answers named in ``text``; ``verb`` ("Investing in ") is tried before a piece that
    shares the verb of the sentence ("invests in digital systems and physical infrastructure").

    ``cut``: the document stops inside the enumeration, so its last answer may be half
    printed ("and think ta"): it is kept only when it is a whole label of the scheme, and an
    answer a longer label could continue into the cut ("Social inclusion" of "Social
    inclusion and eq") is dropped with it.
    """
    separator = _SEMICOLON if ";" in text else _SEPARATOR
    spans = _pieces(text, separator)
    answers: list[tuple[int, str]] = []  # (where the answer starts in text, the answer)
    start = 0
    while start < len(spans):
        end, answer = _longest_match(text, spans, start, scheme, vocab, verb)
        answers.append((spans[start][0], answer))
        start = end + 1
    if cut:
        answers = _whole_answers(text, answers, scheme, vocab, verb)
    return [answer for _, answer in answers if answer]


def _whole_answers(
    text: str, answers: list[tuple[int, str]], scheme: str, vocab: Vocabulary, verb: str
) -> list[tuple[int, str]]:
    if answers and vocab.lookup(scheme, answers[-1][1]) and not vocab.continues(scheme, answers[-1][1]):
        return answers
    answers = answers[:-1]
    while answers and any(vocab.continues(scheme, prefix + text[answers[-1][0]:]) for prefix in {"", verb}):
        answers = answers[:-1]
    return answers


def _pieces(text: str, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    spans, position = [], 0
    for match in separator.finditer(text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _longest_match(
    text: str, spans: list[tuple[int, int]], start: int, scheme: str, vocab: Vocabulary, verb: str
) -> tuple[int, str]:
    """The longest run of pieces from ``start`` that a concept prints (else the one piece).

    A run is never longer than the scheme's longest label in pieces, so a list of N answers
    costs O(N) lookups, not O(N²) (a page listing 900 partners is read in milliseconds).
    """
    last = min(len(spans), start + _max_pieces(scheme, vocab)) - 1
    for end in range(last, start - 1, -1):
        candidate = _clean(text[spans[start][0] : spans[end][1]])
        if vocab.lookup(scheme, candidate):
            return end, candidate
        if verb and vocab.lookup(scheme, verb + candidate):
            return end, verb + candidate
    return start, _clean(text[spans[start][0] : spans[start][1]])


def _max_pieces(scheme: str, vocab: Vocabulary) -> int:
    """How many pieces the longest label of ``scheme`` is cut into (its "and"s count: a label
    printed with "&" is looked up under "and")."""
    known = _MAX_PIECES.setdefault(vocab, {})
    if scheme not in known:
        keys = vocab.by_label.get(scheme, {})
        known[scheme] = 1 + max((max(len(_SEPARATOR.findall(key)), len(_SEMICOLON.findall(key))) for key in keys),
                                default=0)
    return known[scheme]


_MAX_PIECES: WeakKeyDictionary[Vocabulary, dict[str, int]] = WeakKeyDictionary()


def _clean(piece: str) -> str:
    piece = re.sub(r"^(?:the|and)\s+", "", piece.strip(), flags=re.IGNORECASE)
    return piece.strip(" .*")
