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


def load_html(data: bytes | str, name: str) -> list[Page]:
    """Pages (one) of an HTML file: main content as headings, paragraphs, list items and rows."""
    soup = BeautifulSoup(decode_text(data) if isinstance(data, bytes) else data, "lxml")
    root = _main(soup)
    whole_body = root.name in ("body", "[document]", "html")
    _strip_furniture(root, whole_body)
    walker = _Walker(link_lists=whole_body, facts=_Facts(root))
    walker.walk(root)
    walker.flush()
    return walker.b.build()


def _main(soup: BeautifulSoup) -> Tag:
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main:
        return main
    articles = soup.find_all("article")
    if articles:
        facts = _Facts(soup)  # one pass, not one get_text() per (possibly nested) article
        return max(articles, key=facts.size)
    return soup.body or soup


def _strip_furniture(root: Tag, whole_body: bool) -> None:
    """Remove furniture; a marked container that holds most of the text is kept (a bad guess).

    Linear in the page: subtree facts (text size, whether a <main>/<article> is inside) come
    from one bottom-up pass, and the top-down pass never descends into what it removes.
    Checking `el.decomposed` or `el.find(...)` per element searched the subtree each time
    (35 s on a page nested 3,000 deep).
    """
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    facts = _Facts(root)
    total = facts.size(root)
    stack: list[tuple[Tag, bool]] = [(root, False)]
    while stack:
        el, in_article = stack.pop()
        if el is not root and _furniture(el, whole_body, in_article, facts, total):
            titles = [h.extract() for h in el.find_all("h1")]
            el.replace_with(*titles) if titles else el.decompose()  # a page title inside a banner stays
            continue
        inside = in_article or el.name == "article"
        stack.extend((c, inside) for c in reversed([c for c in el.contents if isinstance(c, Tag)]))


def _furniture(el: Tag, whole_body: bool, in_article: bool, facts: "_Facts", total: int) -> bool:
    if el.name in _DROP_TAGS or el.get("aria-hidden") == "true" or el.get("hidden") is not None:
        return True
    words = " ".join([el.get("id") or "", *(el.get("class") or [])])
    marked = (
        (el.get("role") or "").lower() in _DROP_ROLES
        or (el.name == "header" and whole_body and not in_article)
        or bool(words.strip() and _DROP_WORDS.search(words))
    )
    return marked and not facts.landmark(el) and facts.size(el) <= 0.5 * total


class _Facts:
    """Per-element subtree facts, computed once bottom-up (reverse document order)."""

    def __init__(self, root: Tag) -> None:
        self._size: dict[int, int] = {}
        self._flags: dict[int, set[str]] = {}  # tag names found strictly below the element
        self._links: dict[int, tuple[int, int]] = {}  # (number of <a>, text size inside <a>)
        self.update(root)

    def update(self, root: Tag) -> None:
        for el in reversed([root, *root.find_all(True)]):
            size, names, links, link_size = 0, set(), 0, 0
            for child in el.contents:
                if isinstance(child, Tag):
                    key = id(child)
                    size += self._size.get(key, 0)
                    names |= self._flags.get(key, set())
                    names.add(child.name)
                    n, ls = self._links.get(key, (0, 0))
                    links, link_size = links + n, link_size + ls
                elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                    size += len(" ".join(child.split()))
            if el.name == "a":
                links, link_size = links + 1, size
            self._size[id(el)], self._flags[id(el)], self._links[id(el)] = size, names, (links, link_size)

    def size(self, el: Tag) -> int:
        return self._size.get(id(el), 0)

    def landmark(self, el: Tag) -> bool:
        return bool(self._flags.get(id(el), set()) & {"main", "article"})

    def holds(self, el: Tag, names: set[str]) -> bool:
        return bool(self._flags.get(id(el), set()) & names)

    def link_only(self, lst: Tag) -> bool:
        """A list that is nothing but links: an unmarked menu."""
        links, link_size = self._links.get(id(lst), (0, 0))
        text = self.size(lst)
        return links >= 3 and text > 0 and link_size >= 0.8 * text


def _text(el: Tag, skip: frozenset[int] = frozenset()) -> str:
    """Text of an element, inline pieces joined as written and <br> as a space.

    Elements whose id() is in `skip` are left out with everything under them (a list item's
    nested lists, read as items of their own), without extracting them: an extract costs a
    walk of the subtree, which made deep lists quadratic.
    """
    parts: list[str] = []
    stack = [iter(el.children)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
        elif isinstance(node, NavigableString):
            if not isinstance(node, Comment):
                parts.append(str(node))
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append(" ")
            elif id(node) not in skip:
                stack.append(iter(node.children))
    return clean_line("".join(parts))


_FLUSH = object()  # a marker on the walk stack: flush the open paragraph here
_STRUCTURE = _HEADINGS | {"li", "table", "div"}
_BLOCKY = _CONTAINERS | _HEADINGS | {"p"}


class _Walker:
    """Walks the tree with an explicit stack: no recursion limit to hit on a page nested 1,500 deep."""

    def __init__(self, link_lists: bool, facts: _Facts) -> None:
        self.b = DocumentBuilder()
        self.inline: list[str] = []
        self.drop_link_lists = link_lists
        self.facts = facts

    def flush(self) -> None:
        text = clean_line("".join(self.inline))
        self.inline = []
        self._para(text)

    def _para(self, text: str) -> None:
        if text and not is_boilerplate(text):
            self.b.paragraph(text)

    def walk(self, root: Tag) -> None:
        stack: list = [iter(root.children)]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
            elif node is _FLUSH:
                self.flush()
            else:
                stack.extend(reversed(self._visit(node)))

    def _visit(self, node) -> list:
        """Handle one child; returns iterators still to walk, in order (their children, flushes)."""
        if isinstance(node, Comment):
            return []
        if isinstance(node, NavigableString):
            self.inline.append(str(node))
            return []
        if not isinstance(node, Tag):
            return []
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
            return [iter(sub.children) for sub in self._item(node)]
        elif name == "table":
            self.flush()
            self._table(node)
        elif name in ("ul", "ol") and self.drop_link_lists and self.facts.link_only(node):
            pass
        elif name in _TEXT_BLOCKS and not self.facts.holds(node, _STRUCTURE):
            self.flush()
            self._para(_text(node))
        elif name in _CONTAINERS or name in _TEXT_BLOCKS or self.facts.holds(node, _BLOCKY):
            self.flush()
            return [iter(node.children), iter([_FLUSH])]
        else:
            self.inline.append(_text(node) if name != "img" else "")
        return []

    def _item(self, li: Tag) -> list[Tag]:
        """Emit a list item's own text; its nested lists are returned to be walked after it."""
        nested = li.find_all(["ul", "ol"], recursive=False)
        text = _text(li, skip=frozenset(map(id, nested)))
        if text and not is_boilerplate(text):
            self.b.list_item(text)
        return nested

    def _table(self, table: Tag) -> None:
        rows = []
        for tr in _rows(table):
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


def _rows(table: Tag) -> list[Tag]:
    """The table's own rows in order, not those of a table nested in a cell (one pass, no searches)."""
    rows, stack = [], [iter(table.children)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
        elif isinstance(node, Tag) and node.name != "table":
            if node.name == "tr":
                rows.append(node)
            stack.append(iter(node.children))
    return rows
