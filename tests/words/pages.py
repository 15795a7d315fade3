"""Walks every staff page of the demo center for one user, and finds the words and formats the center never writes."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

# Nouns the app counts: "1 days" and "1 nurses" are wrong wherever they appear.
COUNTED_NOUNS = [
    "appointments",
    "attempts",
    "bookings",
    "calls",
    "chairs",
    "changes",
    "checks",
    "courses",
    "days",
    "doses",
    "emails",
    "failures",
    "hours",
    "infusions",
    "messages",
    "minutes",
    "mins",
    "months",
    "nurses",
    "offers",
    "patients",
    "problems",
    "reactions",
    "reminders",
    "replies",
    "results",
    "rows",
    "slots",
    "starts",
    "units",
    "visits",
    "weeks",
]
ONE_PLURAL = re.compile(r"(?<![\d.,/:])\b1 (" + "|".join(COUNTED_NOUNS) + r")\b")
TWELVE_HOUR = re.compile(r"\b\d{1,2}(:\d{2})? ?(AM|PM|a\.m\.|p\.m\.)(?!\w)")
# 12/07/2026 would be mm/dd if read as a US date; the center writes months in words and inputs as dd/mm/yyyy.
NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
ZERO_PADDED_DAY = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? 0\d\b")
MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
SAME_DAY_RANGE = re.compile(rf"\b(\d{{1,2}} {MONTH}(?: \d{{4}})?) ?(?:–|-|to) ?\1\b")
MONTH_FIRST = re.compile(rf"\b{MONTH} \d{{1,2}}, \d{{4}}\b")
SEGMENT_SPLIT = re.compile(r"\s*[,;·]\s*")
DOUBLED_WORD = re.compile(r"\b([A-Za-z]{3,}) \1\b", re.IGNORECASE)

SKIPPED_PREFIXES = ("/static/", "/admin/", "/accounts/logout", "/logout", "/o/", "/fhir/", "/healthz")


def visible_text(html: str) -> list[str]:
    """The text a user reads, one string per block element (scripts, styles and attributes left out)."""
    return read_html(html)[0]


def read_html(html: str) -> tuple[list[str], list[str]]:
    """The blocks of visible text, and the items said twice in one list (the same warning twice)."""
    parser = _TextBlocks()
    parser.feed(html)
    parser.close()
    return [text for text in (" ".join(block.split()) for block in parser.blocks) if text], parser.repeated_items


class _TextBlocks(HTMLParser):
    BLOCKS = {
        "p",
        "div",
        "li",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dt",
        "dd",
        "tr",
        "option",
        "title",
        "label",
        "button",
        "a",
        "br",
        "section",
        "caption",
        "summary",
        "legend",
        "span",
        "strong",
        "small",
    }
    INLINE_KEEP = {"span", "strong", "small", "a", "em", "b", "i", "code", "time", "abbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = [""]
        self.skip = 0
        self.lists: list[list[str]] = []  # the items of each open <ul>/<ol>
        self.items: list[str] = []  # the text of each open <li>
        self.repeated_items: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self.skip += 1
        elif tag in {"ul", "ol"}:
            self.lists.append([])
        elif tag == "li":
            self.items.append("")
        if tag not in self.INLINE_KEEP and tag in self.BLOCKS:
            self.blocks.append("")

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"}:
            self.skip = max(0, self.skip - 1)
        elif tag == "li" and self.items:
            text = " ".join(self.items.pop().split())
            if self.lists and text:
                self.lists[-1].append(text)
        elif tag in {"ul", "ol"} and self.lists:
            items = self.lists.pop()
            self.repeated_items += [f"{text!r} twice in one list" for text, n in Counter(items).items() if n > 1]
        if tag not in self.INLINE_KEEP and tag in self.BLOCKS:
            self.blocks.append("")

    def handle_data(self, data):
        if not self.skip:
            self.blocks[-1] += data
            for index in range(len(self.items)):
                self.items[index] += data


def problems_in(text_blocks: list[str]) -> list[str]:
    """Every known bad string in these blocks of text, with the block it is in."""
    found = []
    for block in text_blocks:
        for rx, what in (
            (ONE_PLURAL, "a plural after 1"),
            (TWELVE_HOUR, "a 12-hour time"),
            (ZERO_PADDED_DAY, "a zero-padded day"),
            (SAME_DAY_RANGE, "a date range from a day to itself"),
            (MONTH_FIRST, "a month-first date"),
            (DOUBLED_WORD, "a word twice"),
        ):
            match = rx.search(block)
            if match:
                found.append(f"{what} ({match.group(0)!r}) in: {block[:200]}")
        for match in NUMERIC_DATE.finditer(block):
            if int(match.group(2)) > 12:
                found.append(f"an mm/dd date ({match.group(0)!r}) in: {block[:200]}")
        segments = [s for s in SEGMENT_SPLIT.split(block) if len(s) > 3]
        for first, second in zip(segments, segments[1:], strict=False):
            if first == second:
                found.append(f"a phrase twice ({first!r}) in: {block[:200]}")
    return found


LINK = re.compile(r'href="(/[^"#]*)"')


@dataclass
class Crawl:
    """A bounded walk from the home page through every link of the pages it reaches (GET only)."""

    client: object
    per_view: int = 2
    max_pages: int = 120
    visited: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seen_views: Counter = field(default_factory=Counter)

    def run(self, start: str = "/") -> None:
        queue = [start]
        while queue and len(self.visited) < self.max_pages:
            url = queue.pop(0)
            if url in self.visited:
                continue
            view = self._view_name(url)
            if view is None or self.seen_views[view] >= self.per_view:
                continue
            self.seen_views[view] += 1
            response = self.client.get(url)
            self.visited[url] = response.status_code
            if response.status_code >= 500:
                self.problems.append(f"{url}: status {response.status_code}")
                continue
            if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
                queue.append(response["Location"])  # e.g. the pharmacy's home is its queue
                continue
            if response.status_code != 200:
                continue
            content_type = response.get("Content-Type", "")
            body = response.content.decode("utf-8", "replace")
            repeated = []
            if content_type.startswith("text/html"):
                blocks, repeated = read_html(body)
                queue.extend(link.replace("&amp;", "&") for link in LINK.findall(body))
            elif content_type.startswith("text/csv"):
                blocks = [" | ".join(row) for row in csv.reader(io.StringIO(body.lstrip("\ufeff")))]
            else:
                continue
            self.problems += [f"{url}: {p}" for p in problems_in(blocks) + repeated]

    @staticmethod
    def _view_name(url: str) -> str | None:
        path = urlsplit(url).path
        if path.startswith(SKIPPED_PREFIXES) or path.endswith((".ics", ".png", ".svg", ".pdf")):
            return None
        try:
            match = resolve(path)
        except Resolver404:
            return None
        if "logout" in (match.url_name or "") or match.url_name in {"reminder-unsubscribe"}:
            return None
        return match.view_name
