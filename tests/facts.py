"""A snapshot as the golden files state it: concept prefLabels, or free text as printed.

Test-side on purpose: the goldens are written by hand from the documents, and this is the
one place that turns the mapper's output into the same shape to compare.
"""

from __future__ import annotations

from mapper.model import Item, Snapshot
from mapper.vocab import Vocabulary, default_vocabulary

LISTS = {
    "outcomes": "outcome",
    "success_factors": "success-factor",
    "policy_areas": "policy-area",
    "roles": "role",
    "team_structures": "team-structure",
    "terms": "term",
    "activities": "activity",
    "funding_sources": "funding-source",
    "funded_activities": "funded-activity",
    "partners": "partner",
    "data_partners": "partner",
}


def label(scheme: str, item: Item, vocab: Vocabulary) -> str:
    concept = vocab.lookup(scheme, item.text)
    return concept.pref_label if concept else item.text


def snapshot_facts(snapshot: Snapshot, vocab: Vocabulary | None = None) -> dict:
    vocab = vocab or default_vocabulary()
    value = lambda sourced: None if sourced is None else sourced.value  # noqa: E731
    facts = {
        "source": snapshot.source,
        "rendering": snapshot.rendering.value,
        "survey_round": value(snapshot.survey_round),
        "city": snapshot.city.value,
        "region": value(snapshot.region),
        "country": value(snapshot.country),
        "mayor": snapshot.mayor.name if snapshot.mayor else None,
        "population": snapshot.population.count if snapshot.population else None,
        "population_year": snapshot.population.year if snapshot.population else None,
        "lead_officers": [person.name for person in snapshot.lead_officers],
        "spotlight": value(snapshot.spotlight),
        "has_strategy": value(snapshot.has_strategy),
        "approach": snapshot.approach.value.value if snapshot.approach else None,
        "prioritises_policy_areas": value(snapshot.prioritises_policy_areas),
        "policy_area_notes": {
            label("policy-area", item, vocab): item.note for item in snapshot.policy_areas if item.note
        },
        "stated_role_count": value(snapshot.stated_role_count),
        "team_size": (
            {"count": snapshot.team_size.count, "more_than": snapshot.team_size.more_than}
            if snapshot.team_size else None
        ),
        "has_dedicated_funding": value(snapshot.has_dedicated_funding),
        "partnerships_internal_only": value(snapshot.partnerships_internal_only),
        "data_counts": list(snapshot.data_counts),
        "data_sufficiency": {
            level: [label("policy-area", r.area, vocab) for r in snapshot.data_ratings if r.level.value == level]
            for level in ("Sufficient", "Insufficient", "NoResponse")
        },
    }
    for field, scheme in LISTS.items():
        facts[field] = [label(scheme, item, vocab) for item in getattr(snapshot, field)]
    return facts
