# Copied from /work/shared/fixtures/tools/engine.py (the fixture generator shared with the team,
# free to use), unchanged below this header, so a later copy of that file can be diffed against it.
# bench/gen_corpus.py feeds it random specs; the fixture specs (specs.py) are the model for them.
# It renders a spec dict into a page in one of the real renderings (bulleted web page with or
# without labels, flat web page, 2019 PDF as Markdown) and derives the page's labels from the
# tagged chunks (see the fixtures' README for the label format).
"""Render fictional City Innovation Snapshot pages in the real renderings, and derive their labels.

Every piece of text is added as a chunk; chunks that carry a fact are tagged. After the page is
cut (most real copies stop at byte 2000), a fact is kept only if its chunk is complete and at
least one more byte follows it, so the labels say exactly what the cut text states.
Tags: ("item", field, alts) list item; ("scalar", field, value); ("empty", field) evidence that a
present section is empty; ("end", field) the chunk that closes a list (used to reject ambiguous cuts).
"""
import json, unicodedata

BUL = "  \u2022 "
NOTE = ("Note: The City Innovation Snapshot (PDF version) was produced in {y} and some aggregate "
        "findings have been updated with the latest survey results below.")
LEGEND = ["Taking risks or testing new ideas", "Data-driven analytics/public data management",
          "Engaging residents in new ways", "Developing new solutions based on digital technologies",
          "Organizational change within the municipality", "Human-centered design",
          "Rethinking your city\u2019s approach to financing partnerships"]
EG = {
    "Taking risks and testing new ideas": "e.g. prototyping new programs or models to address a persistent city challenge",
    "Promoting data-driven analytics / public data management": "e.g. data storage/analytics; open data; big data",
    "Engaging residents in new ways": None,
    "Developing new solutions based on digital technologies": "e.g. use of drones or smart sensors",
    "Facilitating organizational change within the municipality": "e.g. silo-busting; new internal performance management; staff training and capacity building on innovation tools or techniques; reforms to contracting or procurement",
    "Rethinking approaches to financing and partnerships": "e.g. new public-private-partnerships; collaboration with neighboring jurisdictions",
    "Human-centered design": "e.g. prioritizing the end-user at each stage of the design process",
}
ACT_ALTS = {
    "Taking risks and testing new ideas": ["Taking risks or testing new ideas"],
    "Promoting data-driven analytics / public data management": ["Data-driven analytics/public data management"],
    "Facilitating organizational change within the municipality": ["Organizational change within the municipality"],
    "Rethinking approaches to financing and partnerships": ["Rethinking your city\u2019s approach to financing partnerships"],
}
SOURCES = {
    "Municipal budget": ["Municipal budget", "This could include, for instance, City Council approved funds; operating budget; a special funding process (bond, Mayoral special initiative funding, etc.); and participatory budgeting / citizen-selected budgeting."],
    "Innovative financing tools": [None, "e.g. Social Impact Bonds, Crowdsourcing"],
    "Non-financial resources": ["Non-financial resources", "This could include staff on loan and/or other in-kind contributions (e.g. materials, infrastructure\u2026)"],
    "Central/federal/national government budget": ["Central/federal/national government budget", "This refers to funding in the form of budget support to city authorities. Example: Stockholm (Sweden) launched the Hub for Innovation, a three-year long project funded by Sweden's National Innovation Authority, Vinnova in 2017. The hub supports a more innovative working culture within the city hall."],
    "Regional/State/Province/Territorial budget": [None, None],
}
CHART = ["47 cities", "Launching or sustaining a project", "79 cities", "Idea generation & brainstorming",
         "51 cities", "Investing in digital systems", "36 cities", "Investing in physical infrastructure",
         "30 cities", "Paying for services"]
TRAINING = ("Similar to 61% of participating cities in the 2020 survey, {X}'s funding for innovation capacity "
            "is also directed towards training staff and building capacity*.")
FOOT = ('*"Training staff and building capacity" is not an option in the 2018 survey, while "Launching or '
        'sustaining a project" is not an option in the 2020 survey.')
APPROACH = {
    "50": {"holistic": "Similar to 20% of cities surveyed, {X} approaches innovation capacity from a holistic/macro level.",
           "specific": "Similar to 24% of cities surveyed, {X} approaches innovation capacity in specific policy areas/domains.",
           "both": "Similar to more than half of cities surveyed, {X} approaches innovation capacity both from a holistic/macro level, as well as in specific policy areas."},
    "44": {"holistic": "Similar to 24% of cities surveyed, {X} approaches innovation capacity from a holistic/macro level.",
           "specific": "Similar to over one-third of cities surveyed, {X} approaches innovation capacity in specific policy areas/domains.",
           "both": "Similar to 40% of cities surveyed, {X} approaches innovation capacity both from a holistic/macro level, as well as in specific policy areas."},
}
VARIANTS = {"Economic Development": ["Economic development"], "Human-centered design": ["Human-centred design"],
            "not-for-profit organisations": ["not-for-profit organizations"],
            "Social welfare and social services": ["Social welfare/social services"]}
FIELD_ORDER = ["file", "truncated", "city", "country", "mayor", "lead_officers", "population", "population_year",
               "has_strategy", "approach", "dedicated_funding", "outcomes", "success_factors", "focus_areas", "roles",
               "stated_role_count", "team_size_min", "terms", "activities", "funded_activities", "funding_sources",
               "partners", "data_partners", "sufficient", "insufficient", "no_response", "notes"]
LIST_FIELDS = ["outcomes", "success_factors", "focus_areas", "roles", "terms", "activities", "funded_activities",
               "funding_sources", "partners", "data_partners", "sufficient", "insufficient", "no_response"]


def plain(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def alts(item):
    """item: 'printed' or ('printed', [extra alternatives])."""
    if isinstance(item, tuple):
        printed, extra = item
    else:
        printed, extra = item, []
    out = [printed] + list(extra) + VARIANTS.get(printed, [])
    p = plain(printed)
    if p != printed:
        out.append(p)
    seen, res = set(), []
    for a in out:
        if a not in seen:
            seen.add(a); res.append(a)
    return res


def printed(item):
    return item[0] if isinstance(item, tuple) else item


def poss(x):
    """Heading possessive as the site prints it (straight apostrophe): Athens' / Akron's."""
    return x + "'" if x.endswith("s") else x + "'s"


def join_oxford(items):
    if len(items) == 1:
        return [items[0]]
    out = []
    for i, it in enumerate(items):
        if i == len(items) - 1:
            out.append(("SEP", ", and "))
        elif i > 0:
            out.append(("SEP", ", "))
        out.append(it)
    return out


def join_plain_and(items):
    out = []
    for i, it in enumerate(items):
        if i == len(items) - 1 and i > 0:
            out.append(("SEP", " and "))
        elif i > 0:
            out.append(("SEP", ", "))
        out.append(it)
    return out


class Doc:
    def __init__(self):
        self.parts = []

    def add(self, text, tag=None):
        self.parts.append((text, tag))

    def text(self):
        return "".join(t for t, _ in self.parts)

    def items_sentence(self, field, seq):
        for piece in seq:
            if isinstance(piece, tuple) and len(piece) == 2 and piece[0] == "SEP":
                self.add(piece[1])
            else:
                self.add(printed(piece), ("item", field, alts(piece)))


# ---------------------------------------------------------------- shared sections

def add_team(d, s):
    team = s.get("team")
    if not team:
        return False
    if "{N}" in team:
        a, b = team.split("{N}", 1)
        d.add(a)
        d.add(str(s["team_n"]), ("scalar", "team_size_min", s["team_n"]))
        d.add(b)
    else:
        d.add(team)
    return True


def add_also(d, s):
    also = s.get("also")
    if not also:
        return
    d.add("Its innovation activities also often include " if s.get("also_often") else "Its innovation activities also include ")
    seq = []
    for i, it in enumerate(also):
        if i > 0:
            seq.append(("SEP", "; and " if i == len(also) - 1 else "; "))
        seq.append(it)
    d.items_sentence("activities", seq)
    d.add(".")


def funding_sentence(d, s, X):
    f = s["funding"]
    if f["has"]:
        d.add("Like 81%% of cities surveyed, %s " % X)
        d.add("has dedicated funding", ("scalar", "dedicated_funding", True))
        d.add(" to support innovation capacity.")
    else:
        d.add("Like 19%% of cities surveyed, %s " % X)
        d.add("does not have dedicated funding", ("scalar", "dedicated_funding", False))
        d.add(" to support innovation capacity.")


def partner_sentences(d, s, X, flat=False):
    sep = "\n" if flat else "\n\n"
    p = s["partners"]
    if p["kind"] == "internal":
        d.add("%s\u2019s innovation work is internal to the city administration." % X, ("empty", "partners"))
    else:
        if p.get("style", "2018") == "2020":
            d.add("%s has developed partnerships to promote innovation capacity with " % X)
        else:
            d.add("%s has developed partnerships to promote its innovation capacity with " % X)
        d.items_sentence("partners", join_oxford(p["items"]))
        d.add(".", ("end", "partners"))
    d.add(sep)
    dp = s["data_partners"]
    d.add("To improve data use, the city has also developed data partnerships with ")
    seq = join_plain_and(dp["items"]) if dp.get("style") == "2020" else join_oxford(dp["items"])
    d.items_sentence("data_partners", seq)
    d.add(" to collect and analyze data", ("end", "data_partners"))
    if dp.get("other_cities"):
        d.add(", as well as with ")
        d.add("other cities", ("item", "data_partners", ["other cities"]))
    d.add(".")


# ---------------------------------------------------------------- header variants

def add_header(d, s):
    h = s["header"]
    city, country, mayor, pop = s["city_print"], s.get("country"), s["mayor"], s.get("pop")
    off_label = "Lead Innovation Officers" if len(s["officers"]) > 1 else "Lead Innovation Officer"
    if h == "labelled":
        d.add("%s\n\n%s\n\nMayor\n\n%s\n\nPopulation\n\n%s\n\n" % (city, country, mayor, pop))
    elif h == "city_country":
        d.add("%s\n\n%s\n\n\n%s\n\n\n%s\n\n" % (city, country, mayor, pop))
    elif h == "country_only":
        d.add("%s\n\n\n%s\n\n\n%s\n\n" % (country, mayor, pop))
    elif h == "city_only":
        d.add("%s\n\n\n\n%s\n\n\n%s\n\n" % (city, mayor, pop))
    elif h == "mayor_only":
        if pop:
            d.add("%s\n\n\n%s\n\n" % (mayor, pop))
        else:
            d.add("%s\n\n\n\n" % mayor)
    else:
        raise ValueError(h)
    if s.get("website"):
        d.add("Innovation Website\n")
    d.add("%s\n\n%s\n\n" % (off_label, s["officers_line"]))


def add_bullets(d, field, heading, items, end_tag_field):
    d.add(heading + "\n")
    for it in items:
        d.add(BUL)
        d.add(printed(it), ("item", field, alts(it)))
        d.add("\n\n")


def add_spotlight_blocks(d, blocks, flat):
    """blocks: str paragraph, or ('bullets', [...]) / ('numbered', [...]). Flat renderings drop list blocks."""
    out = []
    for b in blocks:
        if isinstance(b, tuple):
            if flat:
                continue
            kind, lines = b
            if kind == "bullets":
                out.append("\n".join(BUL + x for x in lines))
            else:
                out.append("\n".join("  %d. %s" % (i + 1, x) for i, x in enumerate(lines)))
        else:
            out.append(b)
    return out


# ---------------------------------------------------------------- bulleted web page (labelled / labels missing / degraded)

def render_bulleted(s):
    d = Doc()
    X = s["city_print"]
    add_header(d, s)
    add_bullets(d, "outcomes", "Innovation is helping to:", s["outcomes"], "outcomes")
    d.add("Critical success factors:\n", ("end", "outcomes"))
    for it in s["csfs"]:
        d.add(BUL); d.add(printed(it), ("item", "success_factors", alts(it))); d.add("\n\n")
    d.add("Spotlight on innovation in %s\n\n" % X, ("end", "success_factors"))
    blocks = add_spotlight_blocks(d, s.get("spotlight", []), flat=False)
    if blocks:
        d.add("\n\n".join(blocks) + "\n\n")
    if s.get("note"):
        d.add(NOTE.format(y=s["note"]) + "\n\n")
    d.add("Vision and approach to innovation capacity\n\n")
    pct = "44" if s.get("version") == "44" else "50"
    d.add("Along with %s%% of cities surveyed, %s " % (pct, X))
    d.add("has an explicit innovation strategy" if s["strategy"] else "does not have an explicit innovation strategy",
          ("scalar", "has_strategy", s["strategy"]))
    d.add(". ")
    d.add(APPROACH[pct][s["approach"]].format(X=X), ("scalar", "approach", s["approach"]))
    d.add("\n\n")
    for p in s.get("vision_extra", []):
        d.add(p + "\n\n")
    # policy areas
    d.add("Policy areas that %s is focused on\n\n" % X)
    pol = s["policy"]
    kind = pol["kind"]
    paras = pol.get("paras", [])
    if kind == "none_prio":
        d.add("%s does not prioritise policy sectors for its innovation work." % X, ("empty", "focus_areas"))
        d.add("\n\nPolicy areas by number of cities\n\n")
    elif kind == "empty":
        d.add("Policy areas by number of cities", ("empty", "focus_areas"))
        d.add("\n\n")
    elif kind == "list":
        for it in pol["items"]:
            d.add(printed(it), ("item", "focus_areas", alts(it)))
            d.add("\n")
        for para in paras:
            text = "%s: %s" % (para[0], para[1]) if isinstance(para, tuple) else para
            d.add("\n" + text + "\n")
        if paras:
            d.add("\n")
        d.add("Policy areas by number of cities\n\n")
    elif kind == "paras":
        d.add("\n")
        for label, text, item in paras:
            d.add(label, ("item", "focus_areas", alts(item)))
            d.add(": " + text + "\n\n")
        d.add("Policy areas by number of cities\n\n")
    else:
        raise ValueError(kind)
    # roles
    roles = s["roles"]
    if roles["kind"] == "noteam":
        d.add("Innovation skills or roles\n\n")
        d.add(roles["prose"] + "\n\n")
        d.add("Innovation roles by number of cities", ("empty", "roles"))
        d.add("\n\n")
    else:
        d.add("%s utilizes %d different innovation skills or roles" % (X, roles["count"]),
              ("scalar", "stated_role_count", roles["count"]))
        d.add("\n\n")
        for it in roles["items"]:
            d.add(printed(it), ("item", "roles", alts(it)))
            d.add("\n")
        d.add("Innovation roles by number of cities", ("end", "roles"))
        d.add("\n\n")
        if add_team(d, s):
            d.add("\n\n")
    # terms
    d.add("Terms %s most associates with innovation\n\n" % X)
    for it in s["terms"]:
        d.add(printed(it), ("item", "terms", alts(it))); d.add("\n")
    d.add("\n")
    # activities
    d.add("%s most common innovation activities\n\n" % poss(X), ("end", "terms"))
    acts = s.get("activities", [])
    for it in acts:
        p = printed(it)
        d.add(p, ("item", "activities", alts((p, ACT_ALTS.get(p, [])))))
        d.add("\n")
        if EG.get(p):
            d.add(EG[p] + "\n")
    for i, lab in enumerate(LEGEND):
        tag = ("empty", "activities") if (i == 0 and not acts and not s.get("also")) else (("end", "activities") if i == 0 else None)
        d.add("  %d. %d" % (i + 1, i + 1), tag)
        d.add("\n\n    %s\n\n" % lab)
    if s.get("also"):
        add_also(d, s)
        d.add("\n\n")
    # funding
    d.add("How is innovation funded here?\n\n")
    funding_sentence(d, s, X)
    f = s["funding"]
    if s.get("stop_after_funding_sentence"):
        return d
    d.add("\n\nTop sources of funding\n\n")
    for src in f["sources"]:
        repeat, desc = SOURCES[src]
        d.add(src, ("item", "funding_sources", alts(src)))
        d.add("\n")
        if repeat:
            d.add(repeat + "\n")
        if desc:
            d.add(desc + "\n")
    d.add("\nActivities being funded\n\n", ("end", "funding_sources"))
    for it in f["own"]:
        d.add(printed(it), ("item", "funded_activities", alts(it))); d.add("\n")
    d.add("\n".join(CHART) + "\n", ("end", "funded_activities"))
    d.add("\n")
    if f.get("training"):
        a, b = TRAINING.format(X=X).split("training staff and building capacity")
        d.add(a)
        d.add("training staff and building capacity", ("item", "funded_activities", ["training staff and building capacity", "Training staff and building capacity"]))
        d.add(b + "\n\n" + FOOT + "\n\n")
    d.add("How is innovation measured?\n\n")
    partner_sentences(d, s, X)
    d.add("\n\nData availability by policy area\n\n")
    data = s["data"]
    cats = [("Sufficient data", "sufficient", data.get("s", [])), ("Insufficient data", "insufficient", data.get("i", [])),
            ("No Response", "no_response", data.get("n", []))]
    for head, field, items in cats:
        if not items:  # a complete data section with no areas at this level states an empty list
            d.add("", ("empty", field))
    cats = [c for c in cats if c[2]]
    d.add("".join("%d\n" % len(c[2]) for c in cats) + "\n")
    for ci, (head, field, items) in enumerate(cats):
        d.add(head + "\n\n")
        for ii, it in enumerate(items):
            d.add(printed(it), ("item", field, alts(it)))
            last = ci == len(cats) - 1 and ii == len(items) - 1
            if not last:
                d.add("\n\n")
    return d


# ---------------------------------------------------------------- flat web page

def render_flat(s):
    d = Doc()
    X = s["city_print"]
    def lists(tagged):
        for it in s["outcomes"]:
            d.add(printed(it), ("item", "outcomes", alts(it)) if tagged else None); d.add("\n")
        for it in s["csfs"]:
            d.add(printed(it), ("item", "success_factors", alts(it)) if tagged else None); d.add("\n")
    lists(True)
    d.add("%s\n%s\n%s\n%s\n" % (s["country"], s["mayor"], s["pop"], s["officers_line"]))
    lists(False)
    for b in add_spotlight_blocks(d, s.get("spotlight", []), flat=True):
        d.add(b + "\n")
    if s.get("note"):
        d.add(NOTE.format(y=s["note"]) + "\n")
    d.add("Along with 50%% of cities surveyed, %s " % X)
    d.add("has an explicit innovation strategy" if s["strategy"] else "does not have an explicit innovation strategy",
          ("scalar", "has_strategy", s["strategy"]))
    d.add(". ")
    d.add(APPROACH["50"][s["approach"]].format(X=X), ("scalar", "approach", s["approach"]))
    d.add("\n")
    for p in s.get("vision_extra", []):
        d.add(p + "\n")
    if s.get("no_priority"):
        d.add("%s does not prioritise policy sectors for its innovation work." % X, ("empty", "focus_areas"))
        d.add("\n")
    if add_team(d, s):
        d.add("\n")
    d.add("\n".join(LEGEND) + "\n")
    if s.get("also"):
        add_also(d, s)
        d.add("\n")
    funding_sentence(d, s, X)
    d.add("\n")
    if s.get("invests"):
        d.add("%s also invests in " % X)
        seq = []
        for i, it in enumerate(s["invests"]):
            if i > 0:
                seq.append(("SEP", " and "))
            seq.append(it)
        d.items_sentence("funded_activities", seq)
        d.add(".\n")
    partner_sentences(d, s, X, flat=True)
    return d


# ---------------------------------------------------------------- PDF snapshot as Markdown (2019 edition)

def render_pdf(s):
    d = Doc()
    X = s["city_print"]
    chk = "- \u2713 **"
    d.add("\n\n# City Innovation Snapshot | %s, %s\n\n## Overview\n\n" % (X, s["country"]))
    d.add("- \u25b6 Mayor: %s\n- \u25b6 Lead staff on innovation: %s\n- \u25b6 Population of municipality: %s\n\n"
          % (s["mayor"], s["officers_line"], s["pop"]))
    d.add("## Spotlight on %s | %s\n\n%s\n\n" % (X, s["spotlight_title"], s["spotlight_md"]))
    d.add("## Vision and approach to innovation capacity\n\n### The city's innovation strategy\n\n")
    d.add("Along with 56%% of cities surveyed, %s " % X)
    d.add("has an **explicit innovation strategy**" if s["strategy"] else "does not have an **explicit innovation strategy**",
          ("scalar", "has_strategy", s["strategy"]))
    d.add(".\n\nThe city most closely associates innovation capacity with the following terms:\n\n")
    for it in s["terms"]:
        d.add(printed(it), ("item", "terms", alts(it))); d.add("\n\n")
    d.add("### Approaches to innovation capacity\n\n")
    d.add("Similar to over one-third of cities surveyed, %s approaches innovation capacity in **specific policy areas**." % X,
          ("scalar", "approach", "specific"))
    d.add("\n\n \nThe **top two priority policy areas** for the city's innovation work include:\n\n")
    for it in s["policy_items"]:
        d.add(printed(it), ("item", "focus_areas", alts(it))); d.add("\n\n")
    d.add("### Most common innovation activities\n\n%s most common innovation activities are **" % poss(X))
    main = s["activities_main"]
    seq = []
    for i, it in enumerate(main):
        if i > 0:
            seq.append(("SEP", "; and " if i == len(main) - 1 else "; "))
        seq.append(it)
    d.items_sentence("activities", seq)
    d.add("**. Its innovation activities also include **")
    seq = []
    for i, it in enumerate(s["activities_also"]):
        if i > 0:
            seq.append(("SEP", "; and " if i == len(s["activities_also"]) - 1 else "; "))
        seq.append(it)
    d.items_sentence("activities", seq)
    d.add("**.\n\n\n\n## Funding for innovation capacity\n\n \n### Funding to support innovation capacity\n\n")
    d.add("Like 77%% of cities surveyed, %s " % X)
    d.add("has dedicated funding", ("scalar", "dedicated_funding", True))
    d.add(" to support innovation capacity, which originates from the following sources:\n\n")
    for label, desc, item in s["sources_md"]:
        d.add(chk)
        d.add(label, ("item", "funding_sources", alts(item)))
        d.add("** (%s)\n" % desc)
    d.add("\n### Types of activities being funded\n\n%s funding for innovation capacity is generally directed towards **" % poss(X))
    main_f, also_f, extra_f = s["funded_md"]
    d.add(printed(main_f), ("item", "funded_activities", alts(main_f)))
    d.add("** which is one of the two most commonly funded activities among all cities surveyed. %s also **invests in " % X)
    seq = []
    for i, it in enumerate(also_f):
        if i > 0:
            seq.append(("SEP", " and "))
        seq.append(it)
    d.items_sentence("funded_activities", seq)
    d.add("** as well as **")
    d.add(printed(extra_f), ("item", "funded_activities", alts(extra_f)))
    d.add("**.\n\n\n\n## Organisational structure & staffing\n\n\n\n")
    a, b = s["team_md"].split("{N}", 1)
    d.add(a); d.add(str(s["team_n"]), ("scalar", "team_size_min", s["team_n"])); d.add(b)
    d.add("\n\nStaff skills and profiles include:\n\n")
    for it in s["roles_md"]:
        d.add(chk); d.add(printed(it), ("item", "roles", alts(it))); d.add("**\n")
    d.add("\n## Partnerships for innovation & data\n\n\n\n")
    d.add("%s has developed partnerships to promote its innovation capacity with **" % X)
    d.items_sentence("partners", join_oxford(s["partners_md"]))
    d.add("**.\n\n## Measuring outcomes\n\n")
    d.add("Policy areas that **benefit from sufficient data**, or **lack sufficient data**, to support innovation capacity in the city:\n\n\n\n")
    d.add("NB: No response provided by the city for the policy areas in grey.\n\n")
    d.add("Innovation is **helping the city** to:\n\n")
    for it in s["outcomes"]:
        d.add(chk); d.add(printed(it), ("item", "outcomes", alts(it))); d.add("**\n")
    d.add("\nThe most **critical success factors** in supporting the city's innovation work:\n\n")
    for i, it in enumerate(s["csfs"]):
        d.add(chk); d.add(printed(it), ("item", "success_factors", alts(it)))
        d.add("**" + ("\n" if i < len(s["csfs"]) - 1 else ""))
    return d


RENDER = {"bulleted": render_bulleted, "flat": render_flat, "pdf": render_pdf}


# ---------------------------------------------------------------- cutting and labelling

def find_cut(full, s):
    """Real copies stop at byte 2000. The spec names where that byte must fall (anchor text and a
    window inside it), so a wrong-length spotlight is caught here rather than mislabelled."""
    cut = s.get("cut")
    if not cut:
        return None
    data = full.encode("utf-8")
    anchor = cut["anchor"].encode("utf-8")
    occ = cut.get("occurrence", 0)
    a = -1
    for _ in range(occ + 1):
        a = data.find(anchor, a + 1)
        assert a >= 0, (s["slug"], "anchor not found", cut["anchor"])
    lo, hi = a + cut["lo"], a + cut["hi"]
    N = cut.get("at", 2000)
    if not (lo <= N <= hi):
        raise SystemExit("%s: byte %d must fall in [%d,%d] (anchor at %d): adjust text by %+d..%+d bytes"
                         % (s["slug"], N, lo, hi, a, N - hi, N - lo))
    head = data[:N]
    head.decode("utf-8")  # never split a character
    if not cut.get("allow_boundary"):
        before, after = data[N - 1:N].decode("latin-1"), data[N:N + 1].decode("latin-1")
        assert before.isalnum() and after.isalnum(), (s["slug"], "cut not mid-word", data[N - 10:N + 10])
    return N


def derive(d, s, N):
    text = d.text()
    truncated = N is not None
    lab = {"file": s["slug"] + ".txt", "truncated": truncated}
    lab["city"] = s["city_labels"]
    lab["country"] = alts(s["country"]) if s.get("country") else None
    lab["mayor"] = alts(s["mayor"])
    lab["lead_officers"] = [alts(o) for o in s["officers"]]
    if s.get("pop"):
        num, year = s["pop"].split(" (")
        lab["population"] = int(num.replace(",", ""))
        lab["population_year"] = int(year.rstrip(")"))
    else:
        lab["population"] = None
        lab["population_year"] = None
    pos = 0
    found, scal, empties, ends = {}, {}, set(), {}
    for t, tag in d.parts:
        b = len(t.encode("utf-8"))
        start, end = pos, pos + b
        pos = end
        if tag is None:
            continue
        complete = (not truncated) or end < N
        if tag[0] == "end":
            ends.setdefault(tag[1], start)
        if not complete:
            continue
        if tag[0] == "item":
            found.setdefault(tag[1], []).append(tag[2])
        elif tag[0] == "scalar":
            scal.setdefault(tag[1], tag[2])
        elif tag[0] == "empty":
            empties.add(tag[1])
    for k, v in scal.items():
        lab[k] = v
    for f in LIST_FIELDS:
        if f in found:
            lab[f] = found[f]
        elif f in empties:
            lab[f] = []
    out = {k: lab[k] for k in FIELD_ORDER if k in lab}
    return out


def _spans(d):
    pos = 0
    for t, tag in d.parts:
        b = len(t.encode("utf-8"))
        yield (pos, pos + b), tag
        pos += b


DEFAULTS = {  # only used for sections beyond the cut of truncated fixtures (checked below)
    "funding": dict(has=True, sources=["Municipal budget"], own=["Launching or sustaining a project"]),
    "partners": dict(kind="list", items=["other public agencies", "private firms"]),
    "data_partners": dict(items=["academia", "think tanks"]),
    "data": dict(s=["Transport/Mobility"], i=["Health"], n=["Culture"]),
    "terms": ["Data analytics"], "activities": ["Taking risks and testing new ideas"],
    "roles": dict(kind="list", count=1, items=["Project manager"]),
}
DEFAULT_KEYS = {"funding": ["dedicated_funding", "funding_sources", "funded_activities"], "partners": ["partners"],
                "data_partners": ["data_partners"], "data": ["sufficient", "insufficient", "no_response"],
                "terms": ["terms"], "activities": ["activities"], "roles": ["roles", "stated_role_count"]}


def build(s):
    s = dict(s)
    needs = {"bulleted": list(DEFAULTS), "flat": ["funding", "partners", "data_partners"], "pdf": []}[s["render"]]
    used = [k for k in needs if k not in s]
    if used:
        assert s.get("cut"), (s["slug"], "complete page needs", used)
        for k in used:
            s[k] = DEFAULTS[k]
    d = RENDER[s["render"]](s)
    full = d.text()
    N = find_cut(full, s)
    if N is None:
        page = full + ("\n" if s.get("final_newline") else "")
    else:
        page = full.encode("utf-8")[:N].decode("utf-8") + ("\n" if s.get("final_newline") else "")
    lab = derive(d, s, N)
    for k in used:
        for key in DEFAULT_KEYS[k]:
            assert key not in lab, (s["slug"], "placeholder section visible before the cut", key)
    return page, lab, full, N
