"""Fixture documents written by the tests: a survey page as HTML, and a PDF snapshot.

``medellin_html()`` is seed 000 (Medellin) as the survey site's page marks it up: site
banner and menu, the header block, bulleted lists, h2/h3 headings, chart captions, the
numbered activities legend as an ``<ol>``, a chart drawing and scripts. Its text must parse
to the same facts as the seed. ``make_pdf(lines)`` writes a minimal PDF (Helvetica, Zapf
Dingbats for the ▶ / ✓ glyphs) with one text line per entry, without any PDF library.
"""

from __future__ import annotations

import html

_LEGEND = [
    "Taking risks or testing new ideas",
    "Data-driven analytics/public data management",
    "Engaging residents in new ways",
    "Developing new solutions based on digital technologies",
    "Organizational change within the municipality",
    "Human-centered design",
    "Rethinking your city’s approach to financing partnerships",
]


def _ul(items: list[str]) -> str:
    return "<ul class='answers'>\n" + "".join(f"  <li><span>{html.escape(i)}</span></li>\n" for i in items) + "</ul>"


def _rows(items: list[str]) -> str:
    return "\n".join(f"<div class='bar-row'><p class='bar-label'>{html.escape(i)}</p></div>" for i in items)


def _legend() -> str:
    rows = "".join(
        f"<li><span class='legend-number'>{n}</span><p class='legend-label'>{html.escape(label)}</p></li>\n"
        for n, label in enumerate(_LEGEND, start=1)
    )
    return f"<ol class='chart-legend'>\n{rows}</ol>"


def _chart(caption: str) -> str:
    return (
        "<figure class='chart'><svg width='400' height='200'><g><text x='1' y='2'>79</text>"
        "<rect width='30' height='100'/></g></svg><canvas id='c1'>fallback</canvas>"
        f"<figcaption>{caption}</figcaption></figure>"
    )


def medellin_html(*, spotlight: str | None = None) -> str:
    spotlight = spotlight or (
        "Medellin has a triple helix collaboration between the public sector, the private sector, and academia. "
        "Every month the presidents from the main companies in the city, along with officers from the public sector "
        "and the headmasters of the universities get together at the University, State and Enterprise Committee (CUEE) "
        "to find common points and join efforts towards achieving greater economic development for the city."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Medellin | Cities Innovation</title>
  <style>.answers li {{ color: red; }} body {{ font: 12px sans-serif }}</style>
  <script>window.dataLayer = [{{"city": "Medellin", "Mayor": "nobody"}}];</script>
</head>
<body class="city-page">
<header class="site-header">
  <a href="/" class="logo">Cities Innovation</a>
  <nav class="menu"><ul><li><a href="/cities/">Cities</a></li><li><a href="/about/">About the survey</a></li>
  <li><a href="/data/">Data</a></li></ul></nav>
</header>
<main>
<article class="snapshot">
  <section class="city-header">
    <h1 class="city-name">Medellin</h1>
    <p class="country">Colombia</p>
    <dl class="facts">
      <dt>Mayor</dt><dd>Federico Gutiérrez</dd>
      <dt>Population</dt><dd>2,500,000&nbsp;(2017)</dd>
      <dt>Lead Innovation Officer</dt><dd>Paula   Zapata</dd>
    </dl>
  </section>
  <section class="helping">
    <h3>Innovation is helping to:</h3>
    {_ul(["Generate new sources of revenue", "Improve resident outcomes"])}
    <h3>Critical success factors:</h3>
    {_ul(["Dedicated funding", "Focus on measurement", "Dedicated innovation team", "Engagement with partners",
          "Support from outside city administration"])}
  </section>
  <section class="spotlight">
    <h2>Spotlight on innovation in Medellin</h2>
    <p>{html.escape(spotlight)}</p>
    <p class="note"><em>Note: The City Innovation Snapshot (PDF version) was produced in 2019 and some aggregate
       findings have been updated with the latest survey results below.</em></p>
  </section>
  <section>
    <h2>Vision and approach to innovation capacity</h2>
    <p>Along with 50% of cities surveyed, Medellin has an explicit innovation strategy. Similar to more than half of
       cities surveyed, Medellin approaches innovation capacity both from a holistic/macro level, as well as in
       specific policy areas.</p>
    <h3>Policy areas that Medellin is focused on</h3>
    {_rows(["Economic Development", "Social inclusion and equity"])}
    {_chart("Policy areas by number of cities")}
    <h3>Medellin utilizes 7 different innovation skills or roles</h3>
    {_rows(["Project manager", "Data scientist", "Designer", "Engineer", "Sociologist", "Communication officer",
            "Community engagement staff"])}
    {_chart("Innovation roles by number of cities")}
    <p>As an independent body, Medellin’s dedicated team for innovation is led by the Executive Director, which
       consists of more than 100 people.</p>
    <h3>Terms Medellin most associates with innovation</h3>
    {_rows(["Big picture re-thinking", "Experimentation"])}
    <h3>Medellin's most common innovation activities</h3>
    <div class="activities">
      <p>Engaging residents in new ways</p>
      <p>Human-centered design</p>
      <p class="example">e.g. prioritizing the end-user at each stage of the design process</p>
      <p>Rethinking approaches to financing and partnerships</p>
      <p class="example">e.g. new public-private-partnerships; collaboration with neighboring jurisdictions</p>
    </div>
    {_legend()}
    <p>Its innovation activities also include facilitating organizational change within the municipal
       administration.</p>
  </section>
  <section>
    <h2>How is innovation funded here?</h2>
    <p>Like 81% of cities surveyed, Medellin has dedicated funding to support innovation capacity.</p>
    <h3>Top sources of funding</h3>
    <table class="sources">
      <tr><td>Municipal budget</td></tr>
      <tr><td>Municipal budget</td><td>This could include, for instance, City Council approved funds; operating budget;
        a special funding process (bond, Mayoral special initiative funding, etc.); and participatory budgeting /
        citizen-selected budgeting.</td></tr>
      <tr><td>Innovative financing tools</td><td>e.g. Social Impact Bonds, Crowdsourcing</td></tr>
      <tr><td>Non-financial resources</td></tr>
      <tr><td>Non-financial resources</td><td>This could include staff on loan and/or other in-kind contributions
        (e.g. materials, infrastructure…)</td></tr>
    </table>
    <h3>Activities being funded</h3>
    <div class="funded">
      <p>Launching or sustaining a project</p><p>47 cities</p>
      <p>Launching or sustaining a project</p><p>79 cities</p>
      <p>Idea generation &amp; brainstorming</p><p>51 cities</p>
      <p>Investing in digital systems</p><p>36 cities</p>
      <p>Investing in physical infrastructure</p><p>30 cities</p>
      <p>Paying for services</p>
    </div>
  </section>
  <section>
    <h2>How is innovation measured?</h2>
    <p>Medellin has developed partnerships to promote its innovation capacity with other public agencies, private
       firms, not-for-profit organizations, and city residents/resident associations.</p>
    <p>To improve data use, the city has also developed data partnerships with the private sector, academia, and
       think tanks to collect and analyze data.</p>
    <h3>Data availability by policy area</h3>
    <div class="counts"><span>5</span><br><span>7</span><br><span>3</span></div>
    <h4>Sufficient data</h4>
    {_ul(["Transport/Mobility", "Policing and law enforcement", "Health", "Waste and sewage", "Culture"])}
    <h4>Insufficient data</h4>
    {_ul(["Housing and built environment", "Water", "Labour market and skills", "Environment and climate change",
          "Education", "Social inclusion and equity", "Tourism"])}
    <h4>No Response</h4>
    {_ul(["Economic Development", "Public works", "Digital governance"])}
  </section>
  <form class="newsletter"><label>Email</label><input type="email"><button>Subscribe</button></form>
</article>
</main>
<footer class="site-footer"><p>© OECD · Bloomberg Philanthropies</p><a href="/privacy/">Privacy</a></footer>
<script src="/static/charts.js"></script>
</body>
</html>
"""


def not_a_snapshot_html() -> str:
    return """<!DOCTYPE html><html><head><title>About</title></head><body>
<nav><a href="/">Home</a></nav><main><h1>About the survey</h1>
<p>The survey was run by the OECD and Bloomberg Philanthropies in 2018 and 2020.</p></main></body></html>
"""


# --- a minimal PDF ------------------------------------------------------------------------------

# ``make_pdf`` lines: a str is Helvetica text; a (glyph, text) pair prints the Zapf Dingbats glyph
# first (``"3"`` is ✓, ``"\xe4"`` is ➤).
CHECK, ARROW = "3", "\xe4"


def _pdf_string(text: str) -> bytes:
    data = text.encode("cp1252")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(lines: list[str | tuple[str, str]]) -> bytes:
    """A one-page-per-50-lines PDF 1.4 document printing ``lines`` top to bottom."""
    pages = [lines[i : i + 50] for i in range(0, len(lines), 50)] or [[]]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    helv = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    zapf = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >>")
    kids = []
    for page_lines in pages:
        ops = [b"BT", b"/F1 10 Tf", b"14 TL", b"50 800 Td"]
        for line in page_lines:
            if isinstance(line, tuple):
                glyph, text = line
                ops += [b"/F2 10 Tf", _pdf_string(glyph) + b" Tj", b"/F1 10 Tf", _pdf_string(" " + text) + b" Tj", b"T*"]
            else:
                ops += [_pdf_string(line) + b" Tj", b"T*"]
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>" % (pages_obj, content, helv, zapf)
        ))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def saltillo_pdf_lines() -> list[str | tuple[str, str]]:
    """Seed 002 (Saltillo) as the 2019 PDF prints it, wrapped lines and all."""
    return [
        "City Innovation Snapshot | Saltillo, Mexico",
        "Overview",
        (ARROW, "Mayor: Manolo Jiménez Salinas"),
        (ARROW, "Lead staff on innovation: Javier Cesar Cardenas & Ariel Dominguez"),
        (ARROW, "Population of municipality: 709,671 (2010)"),
        "Spotlight on Saltillo | Leveraging Social Media",
        "Saltillo recently has been implementing new ways to reach out to the population including social",
        "media. Through social media efforts, the municipality is able to identify the timely needs of citizens",
        "more feasibly. The identified demands from citizens are shared across the municipality and with the",
        "Mayor to solve any problematic issues.",
        "Vision and approach to innovation capacity",
        "The city's innovation strategy",
        "Along with 56% of cities surveyed, Saltillo does not have an explicit innovation strategy.",
        "The city most closely associates innovation capacity with the following terms:",
        "Human-centred design",
        "Big picture re-thinking",
        "Approaches to innovation capacity",
        "Similar to over one-third of cities surveyed, Saltillo approaches innovation capacity in specific",
        "policy areas.",
        "The top two priority policy areas for the city's innovation work include:",
        "Economic development",
        "Transport / mobility",
        "Most common innovation activities",
        "Saltillo's most common innovation activities are promoting data-driven analytics; facilitating",
        "organisational change within the municipal administration; and rethinking the city's approach to",
        "financing and partnerships. Its innovation activities also include developing new solutions based on",
        "digital technologies; and promoting human-centred design.",
        "Funding for innovation capacity",
        "Funding to support innovation capacity",
        "Like 77% of cities surveyed, Saltillo has dedicated funding to support innovation capacity, which",
        "originates from the following sources:",
        (CHECK, "Higher levels of government (national and provincial budgets)"),
        (CHECK, "Municipal budget (city council approved funds/participatory budgeting)"),
        "Types of activities being funded",
        "Saltillo's funding for innovation capacity is generally directed towards launching or sustaining a",
        "project which is one of the two most commonly funded activities among all cities surveyed. Saltillo",
        "also invests in digital systems and physical infrastructure as well as paying for services to a third",
        "party.",
        "Organisational structure & staffing",
        "Saltillo's innovation work is sprinkled throughout the municipality and mainly led by the Chief",
        "Innovation Officer and 4 staff members. There is also another relevant team called IMPLAN dedicated",
        "to the planning of the city.",
        "Staff skills and profiles include:",
        (CHECK, "Project manager"),
        (CHECK, "Designer"),
        (CHECK, "Communication officer"),
        "Partnerships for innovation & data",
        "Saltillo has developed partnerships to promote its innovation capacity with other public agencies,",
        "private firms, not-for-profit organisations, and city residents/resident associations.",
        "Measuring outcomes",
        "Innovation is helping the city to:",
        (CHECK, "Improve internal government operations"),
        (CHECK, "Save costs and improve efficiency within the public sector"),
        (CHECK, "Simplify administrative procedures for firms and residents"),
        "The most critical success factors in supporting the city's innovation work:",
        (CHECK, "Focus on measurement"),
        (CHECK, "Dedicated innovation team"),
        (CHECK, "Human Resource support"),
        (CHECK, "Leadership from Mayor"),
        (CHECK, "Culture of innovation in city"),
        (CHECK, "Engagement with partners"),
        (CHECK, "Support from outside city administration"),
    ]
