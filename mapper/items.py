"""One list line -> one printed answer (:class:`~mapper.model.Item`)."""

from __future__ import annotations

from mapper import patterns as p
from mapper.lines import Line
from mapper.model import Item
from mapper.text import normalise_label
from mapper.vocab import Vocabulary


def item_like(line: Line) -> bool:
    """A list answer, not prose, and not a line the cut may have shortened: short, not a sentence."""
    text = line.text
    return len(text) <= 160 and not (text.endswith(".") and len(text.split()) >= 6) and not line.cut


def make_item(line: Line, scheme: str, vocab: Vocabulary) -> Item:
    """The answer a list line prints; a bracketed gloss or PDF text after the bold is its note."""
    text, note = line.text, None
    bold = line.bold
    if line.raw.startswith("**") and bold and bold != text:
        text, note = bold, text[len(bold) :].strip(" ()") or None
    elif not vocab.lookup(scheme, text):
        found = p.NAME_ANNOTATION.search(text)
        if found and found.end() == len(text) and vocab.lookup(scheme, text[: found.start()]):
            text, note = text[: found.start()].strip(), found.group(1)
    return Item.model_construct(text=text, line=line.no, note=note)  # str, int, str | None: nothing to validate


class Answers(list):
    """The answers of one list, each once: web pages print some lists twice.

    Keeps the normalised label of every answer it holds, so adding one is a set lookup and a
    list of N answers is built in O(N), not O(N²).
    """

    def __init__(self) -> None:
        super().__init__()
        self._keys: set[str] = set()

    def add(self, item: Item) -> None:
        """Append ``item`` unless the list already has it."""
        key = normalise_label(item.text)
        if key not in self._keys:
            self._keys.add(key)
            self.append(item)


def answers_of(lists: dict[str, Answers], section: str) -> Answers:
    """The list of ``section``, begun empty the first time."""
    found = lists.get(section)
    if found is None:
        found = lists[section] = Answers()
    return found
