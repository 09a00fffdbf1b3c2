"""The build report: what each document gave the graph, and what could not be read.

Kept as plain dataclasses so ``citykg build --report`` can write it as JSON and the summary
table and the tests read the same record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class DocumentReport:
    """One input document: either what it yielded (``graph_id`` set) or why not (``error``)."""

    path: str  # the file as found on disk
    source: str  # the name given to the mapper, recorded as dct:source in the graph
    rendering: str | None = None
    city: str | None = None
    graph_id: str | None = None  # the snapshot graph is <base snapshot/{graph_id}>
    survey_round: int | None = None
    sections_found: int = 0
    sections_missing: list[str] = field(default_factory=list)
    truncated: bool = False
    free_text: list[dict[str, str]] = field(default_factory=list)  # {"scheme", "text"}
    warnings: list[str] = field(default_factory=list)
    quads: int = 0
    error: str | None = None
    derived_from: str | None = None  # page URL, from the fetch manifest beside the document
    retrieved: str | None = None  # its retrieval time (dct:modified of the snapshot graph)
    # Wikidata matches of the city and its country (mapper.reconcile.Match.to_dict(): status,
    # qid, link, method, confidence, source, candidates, note); None when not reconciled
    wikidata: dict | None = None
    country_wikidata: dict | None = None

    @property
    def read(self) -> bool:
        return self.error is None


@dataclass
class Totals:
    documents: int = 0
    read: int = 0
    unread: int = 0
    cities: int = 0
    graphs: int = 0
    quads: int = 0  # distinct quads in the store as written (vocabularies included)
    free_text: int = 0
    warnings: int = 0
    cities_linked: int = 0  # distinct cities with an owl:sameAs or skos:closeMatch to Wikidata
    cities_unmatched: int = 0  # distinct cities left without one (unmatched or ambiguous)


@dataclass
class BuildReport:
    """The whole build. ``written`` is false when the previous store was deliberately kept."""

    store: str
    base: str
    build_id: str | None = None
    written: bool = False
    reason_not_written: str | None = None
    wikidata_sources: str | None = None  # directory of verified-qids.csv and the gazetteer; None: not reconciled
    documents: list[DocumentReport] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)

    @property
    def unread(self) -> list[DocumentReport]:
        return [doc for doc in self.documents if not doc.read]

    def to_dict(self) -> dict:
        """Plain data, as ``dataclasses.asdict`` gives it (without its deep copy: a build of
        thousands of documents reports in milliseconds)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["documents"] = [dict(vars(doc)) for doc in self.documents]
        data["totals"] = dict(vars(self.totals))
        return data

    def to_json(self) -> str:
        """The report as JSON, one line per document (json's fast encoder writes no indentation)."""
        parts = []
        for key, value in self.to_dict().items():
            if key == "documents" and value:
                text = "[\n" + ",\n".join("    " + json.dumps(doc, ensure_ascii=False) for doc in value) + "\n  ]"
            else:
                text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            parts.append(f"  {json.dumps(key)}: {text}")
        return "{\n" + ",\n".join(parts) + "\n}\n"
