"""Paging for lists over large tables: no COUNT(*) over the whole table to draw a page.

`NextPagePaginator` reads one row more than the page to know whether there is a next page (the staff lists show
"Newer" / "Older" links and the page number, not "of N"). `EstimatedCountPaginator` is for Django admin and the
patient list, which show a count: unfiltered, a large table on PostgreSQL gives the planner's row estimate.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db import connections

# Below this many rows (by the estimate) the exact count is cheap and shown.
ESTIMATE_ABOVE = 10_000


class NextPage:
    """One page, with the parts of Django's `Page` the templates use."""

    def __init__(self, rows: list, number: int, per_page: int, has_next: bool):
        self.object_list = rows
        self.number = number
        self.per_page = per_page
        self._has_next = has_next
        self.paginator = self  # templates ask page.paginator.num_pages: unknown here
        self.num_pages = None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class NextPagePaginator:
    # Deep pages cost an OFFSET; nobody pages this far, and a filter finds a row faster.
    MAX_PAGE = 2_000

    def __init__(self, object_list, per_page: int):
        self.object_list = object_list
        self.per_page = per_page

    def get_page(self, number) -> NextPage:
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        number = min(max(number, 1), self.MAX_PAGE)
        offset = (number - 1) * self.per_page
        rows = list(self.object_list[offset : offset + self.per_page + 1])
        # past the end: an empty page whose "newer" link leads back (no count to know where the end is)
        return NextPage(rows[: self.per_page], number, self.per_page, len(rows) > self.per_page)


class EstimatedCountPaginator(Paginator):
    """A count-drawing paginator (Django admin's, the patient list's) that takes the planner's estimate for an
    unfiltered large table on PostgreSQL; `count_is_estimate` says so, for the page to word it "about"."""

    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and connections[queryset.db].vendor == "postgresql":
            with connections[queryset.db].cursor() as cursor:
                table = queryset.model._meta.db_table
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
                row = cursor.fetchone()
            if row and row[0] is not None and row[0] > ESTIMATE_ABOVE:
                self.count_is_estimate = True
                return int(row[0])
        return super().count
