"""Generate N realistic, fictional City Innovation Snapshot documents for the benchmarks.

    .venv/bin/python -m bench.gen_corpus N DIR [--seed S] [--rounds F] [--labels] [--check K]

Every document comes from a random *spec* in the shape of the fixtures' specs
(/work/shared/fixtures/tools/specs.py) rendered by their engine (bench/_snapshot_engine.py, a copy),
so the pages carry the survey's real boilerplate, headings, template sentences, answer options
and their spelling variants, in every rendering seen in real copies:

* bulleted web page, labelled (``City``/``Country``/``Mayor``/``Population`` lines);
* bulleted web page with its labels missing: starting at the country line, at the mayor's name,
  with the city line only, or with city and country but no labels;
* flat web page (headings dropped, lists printed twice, later sections as sentences);
* the 2019 PDF edition converted to Markdown.

Web pages are cut at byte 2000 in 45 % of cases (as most real copies are), a third of those with a
final newline after the cut (the stored-copy form). Cities are fictional, varied (prefixes,
hyphens, accents, apostrophes, US state suffixes) and unique per city slug; a fraction ``--rounds``
of the documents are a second survey round (2018 and 2020) of a city already generated, so the
store holds cities with several rounds. Same seed, same corpus, byte for byte.

Writes ``DIR/pages/NNN/NNNNNN-<city>.txt`` (1,000 files per folder), ``DIR/corpus.json`` (what was
generated: counts per rendering, truncation, rounds) and, with ``--labels``, the engine's
ground-truth labels in ``DIR/labels/`` (format of the fixtures' README). With ``--check K`` (default
200) it reads a sample of K documents with the citykg mapper and prints the fraction read, the
fraction whose city the mapper names correctly, and what it extracts from a few of them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

if not __package__:  # run as a file: put the project root (not bench/) on the path
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import _snapshot_engine as engine  # noqa: E402

# ------------------------------------------------------------------ answer options (as printed)

OUTCOMES = ["Improve internal government operations", "Save costs and improve efficiency within the public sector",
            "Improve service delivery", "Improve resident outcomes", "Engage residents and other stakeholders",
            "Anticipate and manage future challenges", "Generate new sources of revenue",
            "Simplify administrative procedures for firms and residents"]
OUTCOMES_FREE = ["Help grow a knowledge-based economy", "Understand climate risks and plan ahead",
                 "Support school programs run by the state government", "Make the city a better place to raise children"]
CSFS = ["Dedicated funding", "Focus on measurement", "Dedicated innovation team", "Leadership from Mayor",
        "Engagement with partners", "Support from outside city administration", "Human resource support",
        "Culture of innovation in city"]
CSFS_FREE = ["incentives for residents to share ideas with the city", "training for staff on public procurement of innovation",
             "partnerships with local universities and research centres", "programs to spread a culture of innovation among residents"]
ROLES = ["Project manager", "Data scientist", "Designer", "Engineer", "Sociologist", "Communication officer",
         "Community engagement staff"]
ROLES_FREE = ["Behavioral economist", "Systems analyst", "Lawyer", "Economist", "GIS analysts", "Urban ethnographer",
              "Procurement specialist", "Public manager", "Mobile app developers"]
TERMS = ["Data analytics", "Experimentation", "Human-centered design", "Big picture re-thinking", "Technological innovation",
         "Resident engagement", "Behavioral economics", "Hierarchy-busting", "Bold leadership", "Collaboration"]
TERMS_FREE = ["Co-creation", "Open government", "Frugal innovation"]
ACTIVITIES = list(engine.EG)
FUNDED = [engine.CHART[i] for i in range(1, len(engine.CHART), 2)]
SOURCES = ["Municipal budget", "Innovative financing tools", "Non-financial resources",
           "Central/federal/national government budget", "Regional/State/Province/Territorial budget"]
PARTNERS = {"2018": ["other public agencies", "private firms", "not-for-profit organizations", "city residents/resident associations"],
            "2020": ["other public agencies", "private firms", "not-for-profit organizations", "city residents / resident associations"]}
DATA_PARTNERS = {"2018": [("the private sector", ["private sector"]), "academia", "think tanks", "private philanthropy"],
                 "2020": ["local government entities", "private sector", "academia", "think tanks"]}
AREAS = {"2018": ["Transport/Mobility", "Policing and law enforcement", "Health", "Waste and sewage", "Culture",
                  "Housing and built environment", "Water", "Labour market and skills", "Environment and climate change",
                  "Education", "Social inclusion and equity", "Tourism", "Economic Development", "Public works",
                  "Digital governance"],
         "2020": ["Built environment", "Land use", "Transport/Mobility", "Health", "Policing and law enforcement",
                  "Government finance", "Environment and climate change", "Social inclusion and equity", "Public works",
                  "Tourism", "Digital governance", "Social welfare/social services", "Blight", "Economic Development",
                  "Waste and sewage", "Housing", "Labour market and skills", "Culture", "Education"]}
AREAS_FREE = ["Workforce readiness", "Flood resilience", "Future of work", "Smart infrastructure", "Connectivity", "Waste"]
COUNTRIES = ["United States"] * 6 + ["Brazil", "Mexico", "Colombia", "Chile", "Argentina", "Portugal", "Spain", "Korea",
                                     "Israel", "New Zealand", "Australia", "Canada", "Denmark", "Finland", "Germany",
                                     "France", "Italy", "Netherlands", "Peru", "Japan", "United Kingdom", "Sweden", "Greece"]
US_STATES = ["OR", "PA", "CO", "TX", "OH", "CA", "NY", "MI", "GA", "WA", "MN", "AZ"]

# ------------------------------------------------------------------ fictional names

SYLLABLES = ["bel", "mar", "ra", "to", "ven", "dor", "ka", "lin", "sa", "ber", "wick", "ham", "mont", "ria", "zu",
             "ol", "es", "gran", "tal", "vik", "lo", "nor", "quin", "ash", "cal", "dun", "fen", "gal", "hol", "ist",
             "jor", "kel", "lum", "mer", "nes", "ost", "pel", "rim", "sol", "tor", "ul", "var", "wen", "yar", "zel",
             "bra", "cor", "del", "fal", "gor", "har", "ira", "lan", "mon", "pra", "ros", "sil", "tre", "val", "wil"]
ENDINGS = ["", "", "", "ville", "burg", "field", "haven", "by", "stad", "polis", "ia", "ford", "mouth", "ton", "ona",
           "ega", "dal", "heim", "port", "ara"]
PREFIXES = ["Port", "San", "Santa", "Villa", "Ciudad", "Fort", "New", "Nova", "Alto", "Saint", "Puerto", "Mount", "Lake",
            "Vila", "Bad", "Novo", "Givat", "Kfar"]
SUFFIXES = ["Falls", "Springs", "Junction", "Bay", "Harbor", "Point", "Ridge", "del Valle", "do Norte", "do Sul",
            "Heights", "Crossing", "de la Sierra"]
ACCENTS = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "í"}
FIRST = ["Ana", "Marcus", "Denise", "Ravi", "Teresa", "Yoram", "Noa", "Helena", "Rodrigo", "Gwendolyn", "Tobias",
         "Priya", "Anthony", "Maya", "Eitan", "Aroha", "Callum", "Javiera", "Matías", "Inês", "Tiago", "Joana", "Carla",
         "Miguel", "Kim", "Lee", "Sanna", "Oskari", "Kaisa", "Lucía", "Camilo", "Loretta", "Nuala", "Federico",
         "Valeria", "Adriana", "Héctor", "Renato", "Lívia", "Andrea", "Hanna", "Itziar", "Aitor", "Vernice", "Gideon",
         "Patrice", "Owen", "Bronwyn", "Declan", "Shira", "Avraham", "Paola", "Jorge", "Rogelio", "Simone", "Harold",
         "Gregory", "Naomi", "Yusuf", "Amara", "Chen", "Olga", "Pieter", "Sofía", "Dmitri", "Fatima", "Kwame", "Ingrid"]
LAST = ["Okafor", "Villeneuve", "Lindqvist", "Chandrasekar", "Ben-Ezra", "Lavie", "Prado", "Tavares", "Ashcombe",
        "Merriweather", "Ramaswamy", "DiMarco", "Rosenthal", "Barzilai", "Te Rangi", "Whitford", "Sotomayor", "Ferrada",
        "Carvalho", "Moreira", "Figueira", "Nogueira", "Halme", "Leppänen", "Ospina", "Restrepo", "Whitfield",
        "O'Driscoll", "Ansaldi", "Quiroga", "Beltrán", "Saldívar", "Maranhão", "Villaseñor", "Lindgren", "Goikoetxea",
        "Zubizarreta", "Holloway", "Marsh", "Delacroix", "Maddox", "Fairweather", "Moriarty", "Ben-Haim", "Levinger",
        "Estrada", "Anaya", "Villarreal", "Achterberg", "Jennings", "Halvorsen", "Castellanos", "Demir", "Mensah",
        "Wang", "Petrova", "de Vries", "Navarro", "Volkov", "Haddad", "Boateng", "Sørensen", "Albuquerque", "Brandão"]

# ------------------------------------------------------------------ prose pieces (all invented)

SPOTLIGHT = [
    "{X} replaced its paper permit counter with one online form that routes each application to the right inspector within a working day.",
    "Average turnaround for small building permits has fallen from nineteen days to eight since the change.",
    "A monthly open table brings residents, schools and council officers together to agree on small experiments for one neighbourhood.",
    "Each trial runs for twelve weeks and is kept, changed or dropped depending on what residents report back.",
    "The city publishes a one-page note on every trial, including those that failed.",
    "A vacant-property dashboard now merges tax, utility and code-enforcement records once kept in separate systems.",
    "Crews that once waited a week for a work order now receive it on the same day.",
    "{X} pays recycling cooperatives by the tonne of material they recover and tracks collection trucks by GPS.",
    "Sensors in district heating, streetlights and waste containers feed one data platform that the city opens to local firms.",
    "In {Y} {X} set up an agency to bring connectivity, open data and online procedures under one roof.",
    "Residents can now complete more than {K} procedures online, and opening a low-risk business takes days instead of weeks.",
    "A standing innovation council with the largest employers and the region's universities meets every six weeks.",
    "Its first joint project, a technical apprenticeship, has placed more than {K} young people in paid training.",
    "Bureaus that want to run a trial can ask the data office for a two-week analysis sprint.",
    "The results of every sprint are posted on the city's open data portal so that others can reuse them.",
    "Front-desk staff were trained to issue the new permit on the spot.",
    "Two neighbouring towns have since copied the scheme.",
]
SPOTLIGHT_TITLES = ["Listening Through Messaging Apps", "Open Data for Every Department", "A Lab for Public Services",
                    "Permits in One Day", "Residents as Co-Designers"]
TEAMS = [
    "Situated in the Mayor\u2019s office, {P} dedicated team for innovation consists of {N} staff.",
    "As an independent department, {P} dedicated innovation team consists of {N} staff.",
    "Situated within the Office of Finance and Budget, {P} dedicated innovation team consists of {N} staff.",
    "{P} innovation work is carried out by the Innovation Agency, an independent body whose team consists of more than {N} people.",
    "{P} innovation work is sprinkled throughout the municipality and led by {N} staff.",
    "As an independent department, the Agency for Digital Government, made up of {N} staff, is in charge of {P} innovation work.",
]
TEAMS_NO_NUMBER = [
    "Based in the Mayor\u2019s office, {P} dedicated team for innovation reports to the Chief Performance & Innovation Officer.",
    "{P} innovation work is run by the Secretariat of Modernisation and Open Government, an independent body within the city government.",
    "{X} has an innovation-related task group made up of delegates from several municipal departments.",
]
NO_TEAM = ("{X} does not have a dedicated team for innovation. Each of its areas is run by a technical director "
           "working alongside an elected councillor, and innovation projects are managed inside the areas that own them.")
AREA_NOTE = ("{X} is testing new ways of working in this area with residents and local partners, and publishes what it "
             "learns every six months.")
VISION_EXTRA = "{X}\u2019s innovation plan sets out three goals for the next five years and is reviewed every spring."

RENDERINGS = [  # (name, weight): bulleted headers of the engine, then flat and PDF
    ("labelled", 30), ("city_country", 8), ("city_only", 7), ("country_only", 8), ("mayor_only", 12),
    ("flat", 20), ("pdf", 15),
]
TRUNCATE_WEB = 0.45  # share of web pages cut at byte 2000
NEWLINE_AFTER_CUT = 1 / 3


def fold(text: str) -> str:
    """Accent-free lower-case slug: the key that makes two city names the same city."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


class CityNames:
    """Unique fictional city names (unique by slug) from syllables, prefixes and suffixes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def stem(self) -> str:
        rng = self.rng
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))) + rng.choice(ENDINGS)
        if rng.random() < 0.12:
            i = rng.randrange(len(word))
            word = word[:i] + ACCENTS.get(word[i], word[i]) + word[i + 1:]
        return word.capitalize()

    def new(self) -> str:
        rng = self.rng
        while True:
            r = rng.random()
            if r < 0.45:
                name = self.stem()
            elif r < 0.65:
                name = f"{rng.choice(PREFIXES)} {self.stem()}"
            elif r < 0.82:
                name = f"{self.stem()} {rng.choice(SUFFIXES)}"
            elif r < 0.9:
                name = f"{self.stem()}-{rng.choice(['on-Sea', 'Oren', 'Yam', 'sur-Mer', 'am-See'])}"
            elif r < 0.95:
                name = f"Be'er {self.stem()}"
            else:
                name = f"{self.stem()} {self.stem()}"
            if fold(name) not in self.used:
                self.used.add(fold(name))
                return name


def possessive(name: str) -> str:
    """Prose possessive as the site prints it: Kessler Falls\u2019 / Daejin\u2019s."""
    return name + ("\u2019" if name.endswith("s") else "\u2019s")


class SpecMaker:
    """Random specs in the shape of the fixtures' specs, one per document."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = CityNames(self.rng)

    # -------------------------------------------------------------- small pickers

    def pick(self, pool: list, lo: int, hi: int, free: list | None = None, p_free: float = 0.0) -> list:
        items = self.rng.sample(pool, self.rng.randint(lo, min(hi, len(pool))))
        if free and self.rng.random() < p_free:
            items.append(self.rng.choice(free))
        return items

    def person(self) -> str:
        rng = self.rng
        last = rng.choice(LAST) + (f"-{rng.choice(LAST)}" if rng.random() < 0.15 else "")
        return f"{rng.choice(FIRST)} {last}"

    def population(self) -> str:
        n = int(10 ** self.rng.uniform(4.5, 6.9))
        return f"{n:,} ({self.rng.randint(2004, 2020)})"

    def spotlight(self, X: str) -> list:
        rng = self.rng
        if rng.random() < 0.1:
            return []
        sentences = [s.format(X=X, Y=rng.randint(2015, 2020), K=rng.randint(40, 900))
                     for s in rng.sample(SPOTLIGHT, rng.randint(2, 6))]
        blocks: list = [" ".join(sentences)]
        if rng.random() < 0.15:
            blocks = [f"{X} has launched a range of new initiatives, including:",
                      ("bullets", [f"{rng.choice(SYLLABLES).capitalize()} {w}" for w in ("Tool Library", "Data Fellowship", "Youth Coding Corps")])]
        return blocks

    # -------------------------------------------------------------- one city, one round

    def city(self, country: str | None = None) -> dict:
        """The identity of a city: what stays the same across its survey rounds."""
        rng = self.rng
        name = self.names.new()
        country = country or rng.choice(COUNTRIES)
        printed = name
        if country == "United States" and rng.random() < 0.3:
            printed = f"{name}, {rng.choice(US_STATES)}"
        labels = [printed] + ([name] if printed != name else [])
        plain = engine.plain(name)
        if plain != name:
            labels.append(plain)
        return {"name": name, "printed": printed, "labels": labels, "country": country}

    def spec(self, city: dict, survey_round: str, rendering: str, truncated: bool, final_newline: bool) -> dict:
        rng = self.rng
        X, prose = city["printed"], city["name"]
        officers = [self.person() for _ in range(rng.choice((1, 1, 1, 2)))]
        s: dict = {
            "city_print": X, "city_labels": city["labels"], "country": city["country"],
            "mayor": self.person(), "pop": self.population(),
            "officers": officers, "officers_line": rng.choice((", ", " & ")).join(officers),
            "outcomes": self.pick(OUTCOMES, 2, 4, OUTCOMES_FREE, 0.1),
            "csfs": self.pick(CSFS, 2, 6, CSFS_FREE, 0.1),
            "strategy": rng.random() < 0.5, "approach": rng.choice(("holistic", "specific", "both", "both")),
            "terms": self.pick(TERMS, 1, 3, TERMS_FREE, 0.08),
            "final_newline": final_newline,
        }
        if rendering == "pdf":
            return self._pdf(s, X)
        s["website"] = rng.random() < 0.4
        s["spotlight"] = self.spotlight(X)
        if survey_round == "2018":
            older = rng.random() < 0.1
            s["note"] = None if older else rng.choice(("2019", "2019", "2019", "2018"))
            s["version"] = "44" if older else "50"
        if rng.random() < 0.1:
            s["vision_extra"] = [VISION_EXTRA.format(X=prose)]
        s["team"], s["team_n"] = self._team(X, prose)
        also = rng.sample(ACTIVITIES, rng.randint(0, 2))
        s["also"] = [(a[0].lower() + a[1:], [a]) for a in also]
        s["also_often"] = rng.random() < 0.2
        has_funding = rng.random() < 0.93
        s["funding"] = {"has": has_funding, "sources": self.pick(SOURCES, 1, 3), "own": self.pick(FUNDED, 0, 2),
                        "training": survey_round == "2020" and rng.random() < 0.6}
        s["stop_after_funding_sentence"] = not has_funding  # never seen: the funding section of such a page
        if rng.random() < 0.1:
            s["partners"] = {"kind": "internal"}
        else:
            s["partners"] = {"kind": "list", "style": survey_round, "items": self.pick(PARTNERS[survey_round], 1, 4)}
        s["data_partners"] = {"style": survey_round, "items": self.pick(DATA_PARTNERS[survey_round], 1, 4),
                              "other_cities": survey_round == "2018" and rng.random() < 0.25}
        if rendering == "flat":
            s["render"] = "flat"
            s["no_priority"] = rng.random() < 0.1
            if rng.random() < 0.5:
                s["invests"] = [(f[len("Investing in "):], [f]) for f in FUNDED if f.startswith("Investing")][: rng.randint(1, 2)]
            return s
        s["render"], s["header"] = "bulleted", rendering
        if rendering in ("mayor_only", "city_only"):
            s["country"] = None  # those copies lost their country line: it is printed nowhere
        if rendering == "mayor_only" and rng.random() < 0.1:
            s["pop"] = None
        s["policy"] = self._policy(survey_round, prose)
        if s["team"] is None and rng.random() < 0.5:
            s["roles"] = {"kind": "noteam", "prose": NO_TEAM.format(X=prose)}
        else:
            items = self.pick(ROLES, 1, 6, ROLES_FREE, 0.15)
            s["roles"] = {"kind": "list", "count": len(items) + rng.choice((0, 0, 0, 1, 2)), "items": items}
        s["activities"] = self.pick(ACTIVITIES, 0, 3)
        s["data"] = self._data(survey_round)
        return s

    def _team(self, X: str, prose: str) -> tuple[str | None, int | None]:
        rng = self.rng
        r = rng.random()
        if r < 0.65:
            return rng.choice(TEAMS).format(P=possessive(prose), N="{N}"), rng.randint(2, 120)
        if r < 0.85:
            return rng.choice(TEAMS_NO_NUMBER).format(P=possessive(prose), X=prose), None
        return None, None

    def _policy(self, survey_round: str, prose: str) -> dict:
        rng = self.rng
        r = rng.random()
        if r < 0.05:
            return {"kind": "none_prio"}
        if r < 0.1:
            return {"kind": "empty"}
        items = self.pick(AREAS[survey_round], 1, 3, AREAS_FREE, 0.12)
        if r < 0.18:
            return {"kind": "paras", "paras": [(a, AREA_NOTE.format(X=prose), a) for a in items]}
        paras = [(a, AREA_NOTE.format(X=prose)) for a in items] if survey_round == "2020" and rng.random() < 0.4 else []
        return {"kind": "list", "items": items, "paras": paras}

    def _data(self, survey_round: str) -> dict:
        rng = self.rng
        areas = AREAS[survey_round][:]
        rng.shuffle(areas)
        levels: dict[str, list] = {"s": [], "i": [], "n": []}
        weights = (0.45, 0.45, 0.1) if survey_round == "2018" else (0.5, 0.5, 0.0)
        for area in areas:
            levels[rng.choices("sin", weights)[0]].append(area)
        return levels

    def _pdf(self, s: dict, X: str) -> dict:
        rng = self.rng
        s["render"] = "pdf"
        if s["country"] is None:
            s["country"] = rng.choice(COUNTRIES)
        s["officers_line"] = " & ".join(s["officers"])
        s["spotlight_title"] = rng.choice(SPOTLIGHT_TITLES)
        s["spotlight_md"] = " ".join(t.format(X=X, Y=2017, K=rng.randint(40, 900)) for t in rng.sample(SPOTLIGHT, 3))
        s["policy_items"] = self.pick(AREAS["2018"], 1, 2)
        acts = self.pick(ACTIVITIES, 2, 4)
        lower = [(a[0].lower() + a[1:], [a]) for a in acts]
        s["activities_main"], s["activities_also"] = lower[:-1], lower[-1:]
        s["sources_md"] = [("Higher levels of government", "national and provincial budgets",
                            ("Higher levels of government", ["Central/federal/national government budget"])),
                           ("Municipal budget", "city council approved funds/participatory budgeting", "Municipal budget")][: rng.randint(1, 2)]
        s["funded_md"] = [("launching or sustaining a project", ["Launching or sustaining a project"]),
                          [("digital systems", ["Investing in digital systems"])],
                          ("paying for services to a third party", ["Paying for services"])]
        s["team_md"] = f"{possessive(X)} innovation work is sprinkled throughout the municipality and mainly led by **the Director of Innovation and {{N}} staff members**."
        s["team_n"] = rng.randint(2, 40)
        s["roles_md"] = self.pick(ROLES, 1, 5)
        s["partners_md"] = self.pick(PARTNERS["2018"], 1, 4)
        s["final_newline"] = False
        return s


def cut(full: str, truncated: bool, final_newline: bool) -> tuple[str, int | None]:
    """The page as stored: cut at byte 2000 (never inside a character) or complete."""
    data = full.encode("utf-8")
    if not truncated or len(data) <= 2000:
        return full + ("\n" if final_newline else ""), None
    n = 2000
    while n and (data[n] & 0xC0) == 0x80:  # a continuation byte: back up to the character's start
        n -= 1
    return data[:n].decode("utf-8") + ("\n" if final_newline else ""), n


def generator_version() -> str:
    """Hash of this generator and its engine: a cached corpus made by other code is made anew."""
    here = Path(__file__).resolve().parent
    code = b"".join((here / name).read_bytes() for name in ("gen_corpus.py", "_snapshot_engine.py"))
    return hashlib.sha256(code).hexdigest()[:12]


def generate(count: int, out: Path, seed: int, rounds: float, labels: bool) -> dict:
    """Write ``count`` documents under ``out``; return the corpus summary (also in corpus.json).

    ``DIR/truth.tsv`` records, per document, the names the city may be read as, the rendering
    and the survey round, for :func:`check` and the benchmarks (which pick cities from it).
    """
    maker = SpecMaker(seed)
    rng = maker.rng
    names, weights = zip(*RENDERINGS)
    summary: dict = {"documents": count, "seed": seed, "rounds_fraction": rounds, "generator": generator_version(),
                     "renderings": Counter(), "truncated": 0,
                     "truncated_with_newline": 0, "rounds": Counter(), "cities": 0, "bytes": 0}
    earlier: list[dict] = []  # cities with one (2018) round so far, candidates for a 2020 one
    for old in (out / "pages", out / "labels"):  # a corpus made before is replaced, never mixed in
        shutil.rmtree(old, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "truth.tsv").open("w", encoding="utf-8") as truth:
        truth.write("file\tcity\trendering\tround\n")
        for i in range(count):
            if earlier and rng.random() < rounds:
                city, survey_round = earlier.pop(rng.randrange(len(earlier))), "2020"
            else:
                city, survey_round = maker.city(), rng.choice(("2018", "2018", "2020"))
                summary["cities"] += 1
            rendering = rng.choices(names, weights)[0]
            if rendering == "pdf" and survey_round == "2020":
                rendering = "labelled"  # the PDF edition exists for the 2018 round only
            if survey_round == "2018":
                earlier.append(city)
            truncated = rendering != "pdf" and rng.random() < TRUNCATE_WEB
            newline = truncated and rng.random() < NEWLINE_AFTER_CUT
            spec = maker.spec(city, survey_round, rendering, truncated, newline)
            doc = engine.RENDER[spec["render"]](spec)
            page, n = cut(doc.text(), truncated, newline)
            path = out / "pages" / f"{i // 1000:03d}" / f"{i:06d}-{fold(city['name'])[:40]}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page, encoding="utf-8", newline="")
            summary["renderings"][rendering] += 1
            summary["rounds"][survey_round] += 1
            summary["truncated"] += n is not None
            summary["truncated_with_newline"] += n is not None and newline
            summary["bytes"] += len(page.encode("utf-8"))
            truth.write(f"{path.relative_to(out)}\t{'|'.join(city['labels'])}\t{rendering}\t{survey_round}\n")
            if labels:
                spec["slug"] = path.stem
                label = engine.derive(doc, spec, n)
                label["file"] = path.name
                (out / "labels").mkdir(exist_ok=True)
                (out / "labels" / f"{path.stem}.json").write_text(
                    json.dumps(label, ensure_ascii=False, indent=1), encoding="utf-8")
    summary["renderings"] = dict(summary["renderings"])
    summary["rounds"] = dict(summary["rounds"])
    (out / "corpus.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def describe(snapshot) -> dict:
    """A few facts the mapper extracted, read from its pydantic dump (tolerant of model changes)."""
    dump = snapshot.model_dump(mode="json")

    def value(key: str):
        v = dump.get(key)
        return v.get("value", v.get("name", v.get("count"))) if isinstance(v, dict) else v

    facts = {key: value(key) for key in ("rendering", "city", "country", "mayor", "population", "survey_round",
                                         "has_strategy", "has_dedicated_funding", "truncated")}
    facts["officers"] = [p.get("name") for p in dump.get("lead_officers") or []]
    for key in ("roles", "activities", "policy_areas", "funding_sources", "partners"):
        facts[key] = [item.get("text") for item in dump.get(key) or []]
    facts["data_ratings"] = len(dump.get("data_ratings") or [])
    return facts


def check(out: Path, sample: int, seed: int) -> dict:
    """Read a sample of the corpus with the citykg mapper: fraction read, city named right, examples."""
    from mapper import UnreadableDocument, read_snapshot

    rows = [line.split("\t") for line in (out / "truth.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    rows = random.Random(seed).sample(rows, min(sample, len(rows)))
    read = city_ok = 0
    wrong: Counter = Counter()
    failures: list[str] = []
    examples: dict[str, dict] = {}
    for rel, cities, rendering, survey_round in rows:
        try:
            snap = read_snapshot((out / rel).read_text(encoding="utf-8"), Path(rel).name)
        except UnreadableDocument as err:
            failures.append(f"{rel} ({rendering}): {err}")
            continue
        read += 1
        if fold(snap.city.value) in {fold(c) for c in cities.split("|")}:
            city_ok += 1
        else:
            wrong[rendering] += 1
        if rendering not in examples and rendering in ("labelled", "mayor_only", "flat", "pdf"):
            examples[rendering] = {"file": rel, "generated": rendering, "round": survey_round, **describe(snap)}
    return {"sample": len(rows), "read": read, "city_correct": city_ok, "failures": failures,
            "wrong_city_by_rendering": dict(wrong), "examples": list(examples.values())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("count", type=int, metavar="N", help="number of documents")
    ap.add_argument("out", type=Path, metavar="DIR", help="output directory (its pages/ and labels/ are replaced)")
    ap.add_argument("--seed", type=int, default=13, help="random seed (default 13)")
    ap.add_argument("--rounds", type=float, default=0.1,
                    help="chance that a document is the 2020 round of a city already seen in 2018 (default 0.1)")
    ap.add_argument("--labels", action="store_true", help="also write ground-truth labels to DIR/labels/")
    ap.add_argument("--check", type=int, default=200, metavar="K",
                    help="read K sampled documents with the mapper and report (default 200; 0: skip)")
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("N must be at least 1")
    t0 = time.perf_counter()
    summary = generate(args.count, args.out, args.seed, args.rounds, args.labels)
    print(f"{summary['documents']} documents ({summary['cities']} cities, rounds {summary['rounds']}), "
          f"{summary['truncated']} cut at byte 2000 ({summary['truncated_with_newline']} with a final newline), "
          f"{summary['bytes'] / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s -> {args.out}/pages")
    print("renderings:", ", ".join(f"{k} {v}" for k, v in sorted(summary["renderings"].items())))
    if args.check:
        report = check(args.out, args.check, args.seed)
        print(f"mapper check: {report['read']}/{report['sample']} read "
              f"({100 * report['read'] / report['sample']:.1f} %), city named correctly in "
              f"{report['city_correct']}/{report['sample']}")
        for failure in report["failures"][:5]:
            print("  unread:", failure)
        if report["wrong_city_by_rendering"]:
            print("  wrong or missing city, by rendering:", report["wrong_city_by_rendering"])
        for example in report["examples"]:
            print("  example:", json.dumps(example, ensure_ascii=False))
        (args.out / "check.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
