"""Saved survey pages (HTML) and PDF snapshots to the text renderings the parsers read.

Pure: bytes or text in, text out; no files, no network. The rendering of the result is still
detected from its content by :mod:`mapper.detect` — conversion only turns markup into lines:

- :func:`html_to_text` gives the *web page* renderings (seeds 000, 001, 003, 004): headings,
  paragraphs, list items (``  • item``) and table cells one per line, block elements separated
  by blank lines, whitespace collapsed; scripts, styles, navigation, site header and footer,
  forms and chart drawings (svg, canvas) dropped. An ``<ol>`` whose items start with their own
  number (the activities chart legend) prints as ``  1. 1`` / label, as browsers copy it.
- :func:`pdf_to_text` gives the *PDF edition* rendering (seed 002): the title line
  ``# City Innovation Snapshot | City, Country``, ``- ▶ Label: value`` header lines,
  ``- ✓ answer`` list lines, and paragraphs re-joined where the PDF wrapped them.

- :func:`decode_text` gives the text of a plain-text or Markdown file in whatever encoding it
  was saved (a BOM, UTF-8, UTF-16, or a legacy code page detected by charset-normalizer).

All raise :class:`ConversionError` for input that is not HTML / not a readable PDF / not text,
with the reason in words ("encrypted PDF", "the PDF has 5,000 pages", "nested too deeply").
"""

from __future__ import annotations

import io
import re
import unicodedata

__all__ = ["ConversionError", "decode_text", "html_to_text", "pdf_to_text", "is_pdf", "looks_like_html"]


class ConversionError(ValueError):
    """The bytes are not a document of the expected kind (corrupt PDF, binary data...)."""


# --- plain text -------------------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a text file: its BOM's encoding, else UTF-8, else the encoding
    charset-normalizer finds (UTF-16 without a BOM, cp1252, ...). Where legacy code pages tie,
    cp1252 wins (the web's default for pages that do not say), and so it does where it reads the
    bytes as the detected code page does. Binary data is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.removesuffix("-sig")
            except UnicodeDecodeError as exc:
                raise ConversionError(f"not {encoding} text, although it starts with its byte order mark "
                                      f"(byte {exc.start}: {exc.reason})") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise ConversionError(f"not text: byte 0x{data[first_bad]:02x} at offset {first_bad} is not UTF-8, and no "
                              "other encoding reads it (binary data?)")
    text = str(best)
    if best.encoding != "cp1252" and (_as_cp1252(data) == text or any(
            match.encoding == "cp1252" and match.chaos <= best.chaos and match.coherence >= best.coherence
            for match in matches)):
        return _as_cp1252(data), "cp1252"
    return text, best.encoding


def _as_cp1252(data: bytes) -> str | None:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


# --- HTML -------------------------------------------------------------------------------------

# Never content: program text, navigation, forms, chart drawings, embedded objects.
_DROP = {
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "nav", "form", "button",
    "input", "select", "option", "textarea", "label", "svg", "canvas", "iframe", "object", "embed",
    "picture", "img", "video", "audio", "map", "dialog", "footer",
}
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "dialog"}
_BLOCK = {
    "p", "div", "section", "article", "main", "aside", "header", "blockquote", "figure", "figcaption",
    "address", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
    "ul", "ol", "li", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "details", "summary", "body",
    "center", "fieldset", "legend", "hgroup",
}
_WHITESPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_BULLET = "  • "
MAX_HTML_DEPTH = 200  # elements inside each other; a survey page nests a few dozen


class _Writer:
    """Collects lines; a block boundary asks for a blank line before the next text."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current = ""
        self.indent = ""
        self.gap = False  # a blank line is owed before the next text

    def text(self, value: str) -> None:
        value = _WHITESPACE.sub(" ", _INVISIBLE.sub("", value))
        if not value.strip():
            if self.current and not self.current.endswith(" "):
                self.current += " "
            return
        if not self.current:
            if self.gap and self.lines:
                self.lines.append("")
            self.gap = False
            value = self.indent + value.lstrip()
            self.indent = ""
        elif self.current.endswith(" "):
            value = value.lstrip()
        self.current += value

    def prefix(self, value: str) -> None:
        """Printed before the next text (a bullet), which starts a new line."""
        self.newline()
        self.indent = value

    def newline(self) -> None:
        if self.current.strip():
            self.lines.append(self.current.rstrip())
        self.current = ""

    def block(self) -> None:
        self.newline()
        self.gap = True

    def result(self) -> str:
        self.newline()
        return "\n".join(self.lines)


def html_to_text(html: str | bytes) -> str:
    """The text of an HTML page, one line per heading, paragraph, list item or table cell.

    A page that ends before ``</html>`` / ``</body>`` (a truncated download) gives text without
    a final newline, so the parsers treat its last line as possibly cut.
    """
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
    import warnings

    if isinstance(html, bytes) and _binary(html):
        raise ConversionError("not an HTML page: the bytes are binary data")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(html, "html.parser")
        raw = html if isinstance(html, str) else html.decode("latin-1")
        root = soup.body or soup
        writer = _Writer()
        _walk(root, writer, None)
    except RecursionError:  # in the parser itself, before the walk counts
        raise ConversionError(f"the HTML is nested too deeply to read (over {MAX_HTML_DEPTH} elements inside each other; "
                              "a survey page nests a few dozen)") from None
    text = unicodedata.normalize("NFC", writer.result())
    whole = bool(re.search(r"</(?:html|body)\s*>", raw[-4096:], re.IGNORECASE))
    return text + "\n" if text and whole else text


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"\xef\xbb\xbf<!doctype html", b"\xef\xbb\xbf<html")) or (
        b"<body" in data[:65536].lower() and b"</" in data[:65536]
    )


def _binary(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" in sample or is_pdf(sample)


def _dropped(tag) -> bool:
    name = tag.name
    if name in _DROP:
        return True
    attrs = tag.attrs or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true" and name in {"svg", "canvas", "figure", "div"}:
        return True
    if str(attrs.get("role", "")).lower() in _DROP_ROLES:
        return True
    if name == "header":
        # the site's banner (logo, menu) is chrome; a header block inside the article is content
        return tag.find("nav") is not None or tag.find_parent(["main", "article", "section"]) is None and _is_site_header(tag)
    return False


def _is_site_header(tag) -> bool:
    """A page-level <header> holding only links (logo, menu): no snapshot content."""
    text = tag.get_text(" ", strip=True)
    link_text = " ".join(a.get_text(" ", strip=True) for a in tag.find_all("a"))
    return not text or len(link_text) >= 0.8 * len(text)


def _walk(node, out: _Writer, list_kind: str | None, depth: int = 0) -> None:
    if depth > MAX_HTML_DEPTH:
        raise ConversionError(f"the HTML is nested too deeply to read (over {MAX_HTML_DEPTH} elements inside each other; "
                              "a survey page nests a few dozen)")
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, CDATA, doctype
                out.text(str(child))
            continue
        if not isinstance(child, Tag) or _dropped(child):
            continue
        name = child.name
        if name == "br":
            out.newline()
        elif name in ("ul", "ol", "menu"):
            out.block()
            _walk_list(child, out, name, depth + 1)
            out.block()
        elif name == "li":  # a stray item outside a list
            out.block()
            out.prefix(_BULLET)
            _walk(child, out, None, depth + 1)
            out.block()
        elif name in ("td", "th"):
            out.newline()
            _walk(child, out, None, depth + 1)
            out.newline()
        elif name in _BLOCK:
            out.block()
            _walk(child, out, None, depth + 1)
            out.block()
        else:
            _walk(child, out, list_kind, depth + 1)


def _walk_list(listing, out: _Writer, kind: str, depth: int) -> None:
    from bs4 import Tag

    number = _start(listing)
    for item in listing.children:
        if not isinstance(item, Tag):
            continue
        if item.name != "li":
            if not _dropped(item):
                _walk(item, out, kind, depth + 1)
            continue
        if _dropped(item):
            continue
        own = _leading_number(item)
        if kind == "ol" and own is not None:
            out.block()
            out.prefix("  ")
            out.text(f"{number}. {own}")
            out.block()
            rest = _Writer()
            _walk(item, rest, None, depth + 1)
            lines = rest.result().splitlines()
            if lines and lines[0].strip() == str(own):
                lines = lines[1:]
            elif lines and lines[0].strip().startswith(str(own)):
                lines[0] = lines[0].strip()[len(str(own)):]
            for line in lines:
                if line.strip():
                    out.prefix("    ")
                    out.text(line.strip())
                    out.newline()
        else:
            out.block()
            out.prefix(_BULLET)
            _walk(item, out, None, depth + 1)
        out.block()
        number += 1


def _start(listing) -> int:
    try:
        return int(listing.get("start", 1))
    except (TypeError, ValueError):
        return 1


def _leading_number(item) -> int | None:
    """The number an item prints at its start (``<li><span>1</span> Taking risks…``)."""
    text = item.get_text(" ", strip=True)
    match = re.match(r"^(\d{1,2})(?:\s|$)", text)
    return int(match.group(1)) if match else None


# --- PDF --------------------------------------------------------------------------------------

# Glyphs the PDF edition prints, as they come out of text extraction (Unicode, Zapf Dingbats
# arrows, Wingdings in the private use area), and what the PDF rendering prints for them.
_ARROWS = "▶►➤➢➔→▸‣\uf0d8\uf0e0\uf0e8\uf0f0\uf075"
_CHECKS = "✓✔☑\uf0fc\uf0fe\uf033\uf034"
_DOTS = "•●▪■◆\uf0a7\uf0b7\uf06c\uf06e"
_TITLE = re.compile(r"^\s*city innovation snapshot\s*[|:\-–—]\s*(?P<place>.+?)\s*$", re.IGNORECASE)
_LABEL = re.compile(
    r"^(?:mayor|population(?: of (?:the )?(?:municipality|city))?|lead innovation officers?|lead staff on innovation|"
    r"chief innovation officers?)\s*:",
    re.IGNORECASE,
)
_ENDS_BLOCK = re.compile(r"""[.!?:]["”')]*$""")
# The 2019 PDF edition's template headings (the same on every city's PDF): printed as Markdown
# headings, as in seed 002, so a heading no list follows closes the list before it.
_PDF_HEADINGS = {
    "overview": 2,
    "vision and approach to innovation capacity": 2,
    "the city's innovation strategy": 3,
    "the citys innovation strategy": 3,
    "approaches to innovation capacity": 3,
    "most common innovation activities": 3,
    "funding for innovation capacity": 2,
    "funding to support innovation capacity": 3,
    "types of activities being funded": 3,
    "organisational structure & staffing": 2,
    "organizational structure & staffing": 2,
    "organisational structure and staffing": 2,
    "partnerships for innovation & data": 2,
    "partnerships for innovation and data": 2,
    "measuring outcomes": 2,
}
_SPOTLIGHT = re.compile(r"^spotlight on\b", re.IGNORECASE)


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def pdf_to_text(data: bytes, max_pages: int | None = None) -> str:
    """The text of a PDF snapshot in the PDF-edition rendering the parsers read.

    ``max_pages``: a PDF with more pages is refused before any text is extracted (a snapshot
    has a handful). An encrypted PDF that opens without a password is read; one that needs a
    password is refused as an "encrypted PDF".
    """
    if not is_pdf(data):
        raise ConversionError("not a PDF file (no %PDF- header)")
    import logging

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(reader)
        count = len(reader.pages)
        if max_pages is not None and count > max_pages:
            raise ConversionError(f"the PDF has {count:,} pages, over the budget of {max_pages:,} pages per document")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ConversionError:
        raise
    except FileNotDecryptedError as exc:
        raise ConversionError(f"encrypted PDF: it cannot be read without its password ({exc})") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise ConversionError(f"cannot read the PDF: {type(exc).__name__}: {exc}") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise ConversionError("the PDF holds no extractable text (a scanned image?)")
    return pdf_text_to_markdown(text)


def _decrypt(reader) -> None:
    """Open an encrypted PDF with the empty password (many are encrypted only against editing)."""
    from pypdf import PasswordType

    try:
        opened = reader.decrypt("")
    except Exception as exc:  # noqa: BLE001 - pypdf raises several kinds here (and needs a crypto library for AES)
        raise ConversionError(f"encrypted PDF: it cannot be decrypted ({type(exc).__name__}: {exc})") from None
    if opened == PasswordType.NOT_DECRYPTED:
        raise ConversionError("encrypted PDF: it cannot be read without its password")


def pdf_text_to_markdown(text: str) -> str:
    """Extracted PDF text as the Markdown form of the PDF edition (see seed 002)."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text)).replace("\u00a0", " ")
    lines = [_WHITESPACE.sub(" ", raw).strip() for raw in text.splitlines()]
    lines = [line for line in lines if line]
    width = max((len(line) for line in lines), default=0)
    blocks: list[str] = []
    wrapped = False  # the previous line ran to the right margin without ending its sentence
    for line in lines:
        kind, body = _pdf_line(line)
        if kind == "text" and blocks and _continues(blocks[-1], body, wrapped):
            blocks[-1] = _join(blocks[-1], body)
        else:
            blocks.append(body if kind == "text" else kind + body)
        wrapped = len(line) >= 0.8 * width and kind in ("text", "- ✓ ")
    return "\n\n".join(blocks) + "\n"


def _pdf_line(line: str) -> tuple[str, str]:
    """("# ", title) / ("- ▶ ", label line) / ("- ✓ ", list answer) / ("text", line)."""
    title = _TITLE.match(line)
    if title:
        return "# ", f"City Innovation Snapshot | {title.group('place')}"
    first = line[0]
    if first in _ARROWS:
        return "- ▶ ", line[1:].strip()
    if first in _CHECKS:
        return "- ✓ ", line[1:].strip()
    if first in _DOTS:
        body = line[1:].strip()
        return ("- ▶ ", body) if _LABEL.match(body) else ("- ✓ ", body)
    if _LABEL.match(line):
        return "- ▶ ", line
    level = _PDF_HEADINGS.get(line.lower().replace("’", "'"))
    if level:
        return "#" * level + " ", line
    if _SPOTLIGHT.match(line) and len(line) < 120 and not _ENDS_BLOCK.search(line):
        return "## ", line
    return "text", line


def _continues(previous: str, line: str, wrapped: bool) -> bool:
    """A line the PDF wrapped: the previous block has not ended, and it ran to the margin or
    this line starts mid-sentence."""
    if previous.startswith("#") or previous.startswith("- ▶") or _ENDS_BLOCK.search(previous):
        return False
    return wrapped or line[:1].islower() or previous.endswith((",", "-", "&", " and", " or", "(", "/"))


def _join(previous: str, line: str) -> str:
    if previous.endswith("-") and not previous.endswith(" -"):
        return previous + line  # "not-for-" / "profit": the hyphen is the word's own
    return previous + " " + line
