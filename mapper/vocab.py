"""Printed answer -> SKOS concept, driven by ontology/vocab/*.ttl.

Each scheme file holds concepts with a prefLabel and an altLabel per printed variant; the
lookup key is :func:`mapper.text.normalise_label`, so adding a variant is a one-line edit
of the Turtle file, never of Python.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, parse

from mapper.text import normalise_label

SKOS = "http://www.w3.org/2004/02/skos/core#"
ONTOLOGY_DIR = Path(os.environ.get("CITYKG_ONTOLOGY", Path(__file__).resolve().parent.parent / "ontology"))
VOCAB_BASE = "https://w3id.org/citykg/"

CHART_LEGEND_LABEL = "https://w3id.org/citykg/ontology#chartLegendLabel"
_LABELS = {f"{SKOS}prefLabel", f"{SKOS}altLabel", f"{SKOS}hiddenLabel", CHART_LEGEND_LABEL}


@dataclass(frozen=True)
class Concept:
    iri: str
    scheme: str  # the scheme's short name: "role", "policy-area", ...
    pref_label: str
    notation: str | None = None  # skos:notation (the ISO 3166-1 alpha-2 code of a country)


@dataclass(eq=False)  # compared (and hashed) by identity: parsers keep derived tables per vocabulary
class Vocabulary:
    """All concept schemes, indexed by normalised label."""

    concepts: dict[str, Concept] = field(default_factory=dict)  # iri -> concept
    by_label: dict[str, dict[str, Concept]] = field(default_factory=dict)  # scheme -> key -> concept
    legend: set[str] = field(default_factory=set)  # keys of chart-legend short forms
    # Derived from by_label on first use (the parsers ask the same questions of every line):
    _schemes: dict[str, list[str]] | None = field(default=None, repr=False)  # key -> schemes that print it
    _prefixes: dict[str | None, set[str]] | None = field(default=None, repr=False)  # scheme (None: any) -> proper prefixes

    def is_legend_label(self, text: str) -> bool:
        """True for the text of an entry of the activities chart legend (cik:chartLegendLabel)."""
        return normalise_label(text) in self.legend

    def lookup(self, scheme: str, text: str) -> Concept | None:
        """The concept of ``scheme`` whose label ``text`` prints, or None."""
        labels = self.by_label.get(scheme)
        return labels.get(normalise_label(text)) if labels else None

    def schemes_of(self, text: str) -> list[str]:
        """Every scheme that has a concept labelled ``text``."""
        if self._schemes is None:
            self._index()
        return self._schemes.get(normalise_label(text), [])

    def continues(self, scheme: str, text: str) -> bool:
        """True when a longer label of ``scheme`` begins with ``text`` (which a cut may have left)."""
        if self._prefixes is None:
            self._index()
        return normalise_label(text) in self._prefixes.get(scheme, ())

    def is_whole_label(self, text: str) -> bool:
        """True when ``text`` is a label that no longer label of any scheme begins with.

        Used on the last line of a cut document: "Digital governance" there is a whole
        answer, "Housing" may be the start of "Housing and built environment".
        """
        if self._prefixes is None:
            self._index()
        key = normalise_label(text)
        return bool(key) and key in self._schemes and key not in self._prefixes[None]

    def _index(self) -> None:
        schemes: dict[str, list[str]] = {}
        prefixes: dict[str | None, set[str]] = {None: set()}
        for scheme, labels in self.by_label.items():
            own = prefixes.setdefault(scheme, set())
            for key in labels:
                schemes.setdefault(key, []).append(scheme)
                own.update(key[:end] for end in range(1, len(key)))
            prefixes[None] |= own
        self._schemes, self._prefixes = schemes, prefixes


def scheme_name(scheme_iri: str) -> str:
    return scheme_iri.rstrip("/").rsplit("/", 1)[-1]


def load_vocabulary(directory: Path = ONTOLOGY_DIR / "vocab") -> Vocabulary:
    """Read every ``*.ttl`` scheme file of ``directory`` into a :class:`Vocabulary`."""
    vocab = Vocabulary()
    for path in sorted(directory.glob("*.ttl")):
        with path.open("rb") as handle:
            triples = list(parse(handle, format=RdfFormat.TURTLE, base_iri=VOCAB_BASE))
        _index_file(vocab, triples, path)
    return vocab


def _index_file(vocab: Vocabulary, triples: list, path: Path) -> None:
    schemes: dict[str, str] = {}
    prefs: dict[str, str] = {}
    notations: dict[str, str] = {}
    labels: dict[str, list[str]] = {}
    for triple in triples:
        subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
        if not isinstance(subject, NamedNode):
            continue
        if predicate == f"{SKOS}inScheme":
            schemes[subject.value] = scheme_name(obj.value)
        elif predicate == f"{SKOS}notation":
            notations[subject.value] = obj.value
        elif predicate in _LABELS:
            labels.setdefault(subject.value, []).append(obj.value)
            if predicate == CHART_LEGEND_LABEL:
                vocab.legend.add(normalise_label(obj.value))
            if predicate == f"{SKOS}prefLabel" and getattr(obj, "language", None) in (None, "en"):
                prefs[subject.value] = obj.value
    for iri, scheme in schemes.items():
        concept = Concept(iri=iri, scheme=scheme, pref_label=prefs.get(iri, iri), notation=notations.get(iri))
        vocab.concepts[iri] = concept
        index = vocab.by_label.setdefault(scheme, {})
        for label in labels.get(iri, []):
            key = normalise_label(label)
            clash = index.get(key)
            if clash is not None and clash.iri != iri:
                raise ValueError(f"{path.name}: label {label!r} names both {clash.iri} and {iri}")
            index[key] = concept


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The vocabulary of the repository's ontology/vocab, read once per process."""
    return load_vocabulary()
