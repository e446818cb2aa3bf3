"""HTML loader: the page's main text only, with its headings, list items and table rows.

A school web page is mostly furniture: menus, a cookie banner, a footer of
links, share buttons. Only the main content may reach the index, or every
answer risks quoting "Accept all cookies". We take <main> (or role=main, or the
largest <article>, else <body>), drop furniture by tag, ARIA role and by
id/class words (cookie, consent, nav, footer, menu, ...), and, when the page has
no <main>, also link-only lists (unmarked menus). Remaining lines go through
the shared boilerplate filter. BeautifulSoup keeps this deterministic and
testable; a generic extractor (trafilatura) was not needed for that.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ingest.loaders.text import decode_text
from ingest.loaders.textrules import clean_line, is_boilerplate, table_row_text
from ingest.models import DocumentBuilder, Page

_DROP_TAGS = "script style noscript template svg canvas nav footer aside form iframe button select dialog menu".split()
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
# cookie/consent anywhere in an id or class; other words at the start of a word ("site-footer", "navbar")
_DROP_WORDS = re.compile(
    r"cookie|consent|gdpr|(?:^|[^a-z])(?:sub-?)?(?:nav|menu|footer|share|social|breadcrumb|sidebar|popup|modal|"
    r"newsletter|advert|banner|skip)",
    re.IGNORECASE,
)
_HEADINGS = {f"h{i}" for i in range(1, 7)}
_TEXT_BLOCKS = {"p", "blockquote", "pre", "dt", "dd", "figcaption", "address", "caption", "summary"}
_CONTAINERS = {"div", "section", "article", "main", "header", "ul", "ol", "dl", "figure", "details", "body", "center"}


def load_html(data: bytes, name: str) -> list[Page]:
    """Pages (one) of an HTML file: main content as headings, paragraphs, list items and rows."""
    soup = BeautifulSoup(decode_text(data), "lxml")
    root = _main(soup)
    whole_body = root.name in ("body", "[document]", "html")
    _strip_furniture(root, whole_body)
    walker = _Walker(link_lists=whole_body)
    walker.walk(root)
    walker.flush()
    return walker.b.build()


def _main(soup: BeautifulSoup) -> Tag:
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main:
        return main
    articles = soup.find_all("article")
    if articles:
        return max(articles, key=lambda a: len(a.get_text()))
    return soup.body or soup


def _strip_furniture(root: Tag, whole_body: bool) -> None:
    """Remove furniture; a marked container that holds most of the text is kept (a bad guess)."""
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    total = len(root.get_text())
    for el in root.find_all(True):
        if el.decomposed or el.parent is None:
            continue
        if el.name in _DROP_TAGS or el.get("aria-hidden") == "true" or el.get("hidden") is not None:
            el.decompose()
            continue
        words = " ".join([el.get("id") or "", *(el.get("class") or [])])
        marked = (
            (el.get("role") or "").lower() in _DROP_ROLES
            or (el.name == "header" and whole_body and not el.find_parent("article"))
            or bool(words.strip() and _DROP_WORDS.search(words))
        )
        if not marked or el.find(["main", "article"]) or len(el.get_text()) > 0.5 * total:
            continue
        titles = [h.extract() for h in el.find_all("h1")]
        el.replace_with(*titles) if titles else el.decompose()  # a page title inside a banner stays


def _text(el: Tag) -> str:
    """Text of an element, inline pieces joined as written and <br> as a space."""
    parts = []
    for node in el.descendants:
        if isinstance(node, NavigableString) and not isinstance(node, Comment):
            parts.append(str(node))
        elif isinstance(node, Tag) and node.name == "br":
            parts.append(" ")
    return clean_line("".join(parts))


class _Walker:
    def __init__(self, link_lists: bool) -> None:
        self.b = DocumentBuilder()
        self.inline: list[str] = []
        self.drop_link_lists = link_lists

    def flush(self) -> None:
        text = clean_line("".join(self.inline))
        self.inline = []
        self._para(text)

    def _para(self, text: str) -> None:
        if text and not is_boilerplate(text):
            self.b.paragraph(text)

    def walk(self, el: Tag) -> None:
        for node in el.children:
            if isinstance(node, Comment):
                continue
            if isinstance(node, NavigableString):
                self.inline.append(str(node))
                continue
            if not isinstance(node, Tag):
                continue
            name = node.name
            if name == "br":  # one <br> breaks a line, two break a paragraph
                if self.inline and self.inline[-1] == "\n":
                    self.flush()
                else:
                    self.inline.append("\n")
            elif name in _HEADINGS:
                self.flush()
                if text := _text(node):
                    self.b.heading(text, int(name[1]))
            elif name == "li":
                self.flush()
                self._item(node)
            elif name == "table":
                self.flush()
                self._table(node)
            elif name in ("ul", "ol") and self.drop_link_lists and _link_only(node):
                continue
            elif name in _TEXT_BLOCKS and not node.find(list(_HEADINGS | {"li", "table", "div"})):
                self.flush()
                self._para(_text(node))
            elif name in _CONTAINERS or name in _TEXT_BLOCKS or node.find(list(_CONTAINERS | _HEADINGS | {"p"})):
                self.flush()
                self.walk(node)
                self.flush()
            else:
                self.inline.append(_text(node) if name != "img" else "")

    def _item(self, li: Tag) -> None:
        nested = li.find_all(["ul", "ol"], recursive=False)
        for sub in nested:
            sub.extract()
        text = _text(li)
        if text and not is_boilerplate(text):
            self.b.list_item(text)
        for sub in nested:
            self.walk(sub)

    def _table(self, table: Tag) -> None:
        rows = []
        for tr in table.find_all("tr"):
            if tr.find_parent("table") is not table:
                continue  # a nested table's row
            cells = [_text(c) for c in tr.find_all(["th", "td"], recursive=False)]
            if not any(cells):
                continue
            rows.append(cells)
            if len(cells) == 1 or len(set(cells)) == 1:
                self.b.table_row(cells[0])
            elif len(rows) == 1:
                self.b.table_row(" | ".join(c for c in cells if c))
            else:
                self.b.table_row(table_row_text(rows[0], cells))


def _link_only(lst: Tag) -> bool:
    """A list that is nothing but links: an unmarked menu."""
    links = lst.find_all("a")
    text = len(_text(lst))
    return len(links) >= 3 and text > 0 and sum(len(_text(a)) for a in links) >= 0.8 * text
