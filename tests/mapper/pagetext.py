"""Hand-made page text for the mapper tests: blocks joined as the site's text copies print them."""

from __future__ import annotations

NOTE = ("Note: The City Innovation Snapshot (PDF version) was produced in 2019 and some aggregate findings have "
        "been updated with the latest survey results below.")
LISTS = "Innovation is helping to:\n  • Improve service delivery\n\nCritical success factors:\n  • Leadership from Mayor"


def page(*blocks: str, newline: bool = True) -> str:
    """Blocks separated by blank lines; ``newline``: end with one (as a saved copy may)."""
    return "\n\n".join(block.strip("\n") for block in blocks) + ("\n" if newline else "")


def story(city: str) -> str:
    """The spotlight heading (which names the city), a story, and the note that ends it."""
    return page(f"Spotlight on innovation in {city}", f"{city} tests new services with its residents.", NOTE)


def strategy(city: str, verb: str = "has") -> str:
    return (f"Along with 50% of cities surveyed, {city} {verb} an explicit innovation strategy. Similar to 24% of "
            f"cities surveyed, {city} approaches innovation capacity in specific policy areas/domains.")
