"""Pagers for lists that can hold a million rows (bench/RESULTS.md, items 3 and 4, and session 8).

An exact COUNT of every visible case, or of the 20,000 matches of a common surname, visits every
row; nobody pages through that many. `CappedPaginator` counts at most `cap` + 1 rows, so the count
costs the same whatever the size of the table. Past the cap the list says "more than 1,000", pages
stop at the cap and the template asks to refine the search (templates/includes/pagination.html).

A deep page (`?page=400` of the admission queue: OFFSET 9,975) read as whole rows makes the database
fetch and throw away every row before it. `KeysFirstPaginator` reads the page's primary keys first,
which an index that holds the list's filter and order gives without touching the table, and then
only those rows: the page costs about what page 1 does, and its links stay plain page numbers.
It lives in parties, the floor every app may import."""

from functools import cached_property
from typing import cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode

LIST_CAP = 1000


def keys_first(rows: QuerySet, bottom: int, top: int) -> QuerySet:
    """The rows `bottom`..`top` of an ordered queryset, read as `WHERE pk IN (the page's keys, in the
    list's order, LIMIT … OFFSET …)`: the offset is walked over keys, not over whole rows.
    A DISTINCT list cannot select its keys alone in its order: it is sliced as it is."""
    if rows.query.distinct or not rows.ordered:
        return rows[bottom:top]
    return rows_among(rows, rows.values("pk")[bottom:top])


def rows_among(rows: QuerySet, keys: QuerySet | list) -> QuerySet:
    """The rows of `rows` whose keys are `keys` (read under its filters), in its order, with its joins,
    annotations and prefetches, but without its filters: checked again on each of a page's rows, a
    filter with a hashed subquery (a representative's cases named after the lead: 14,000 ids) built
    its hash a second time, which cost as much as finding the keys: 5 to 8 ms of a page."""
    page = rows.all()
    page.query.where = WhereNode()  # the joins stay as the filters made them: the keys came through them
    return page.filter(pk__in=keys)


class KeysFirstPaginator(Paginator):
    """A Paginator (exact count) whose pages read their keys first (`keys_first`). The first page
    too: a list whose rows are a few scattered among many (a representative's cases among a
    million) walks thousands of index entries before its first 25, and reads none of the table."""

    def __init__(self, object_list, per_page, *, keys_first: bool = True, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.keys_first = keys_first

    def page(self, number) -> Page:
        if not (self.keys_first and isinstance(self.object_list, QuerySet)):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(keys_first(self.object_list, bottom, top), number, self)


class CappedPaginator(KeysFirstPaginator):
    """A Paginator whose `count` stops at `cap`; `capped` says whether there are more rows. With
    `keys_first`, its pages read their keys first.

    With `count_from_keys`, the keys of the first cap + 1 rows are read once, in the list's order:
    their number is the count and a slice of them is the page's keys. That is one walk of the list's
    index instead of two (the count's and the page's) for a list whose count walks that index anyway,
    such as every case a representative sees, unfiltered (37,000 index entries for its first 1,001).
    Not for a search: its count reads a few bitmap index scans, unordered; its first 1,001 rows in
    order could cost ten times that."""

    def __init__(
        self,
        object_list,
        per_page,
        *,
        cap: int | None = None,
        count_in_order: bool = False,
        keys_first: bool = False,
        count_from_keys: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(object_list, per_page, keys_first=keys_first, **kwargs)
        self.cap = LIST_CAP if cap is None else cap
        rows = object_list
        self.count_from_keys = (
            count_from_keys and isinstance(rows, QuerySet) and rows.ordered and not rows.query.distinct
        )
        # Count the first cap + 1 rows in the list's own order: for a list read from a small partial
        # index among many other rows (the open clocks among years of closed ones), that index is what
        # the database should walk; without the order it may scan the whole table instead.
        self.count_in_order = count_in_order

    @cached_property
    def _keys(self) -> list:
        """The keys of the first cap + 1 rows, in the list's order (`count_from_keys`)."""
        rows = cast(QuerySet, self.object_list)  # count_from_keys holds for a queryset only
        return list(rows.prefetch_related(None).values_list("pk", flat=True)[: self.cap + 1])

    def page(self, number) -> Page:
        if not self.count_from_keys:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(rows_among(cast(QuerySet, self.object_list), self._keys[bottom:top]), number, self)

    @cached_property
    def _counted(self) -> int:
        """Rows up to cap + 1: a COUNT over a LIMITed subquery, which stops at the first cap + 1."""
        rows = self.object_list
        if self.count_from_keys:
            return len(self._keys)
        if isinstance(rows, QuerySet):
            if self.count_in_order:
                return rows[: self.cap + 1].count()
            return rows.order_by()[: self.cap + 1].count()  # any cap + 1 rows: no need to sort them
        return len(rows[: self.cap + 1])

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        """True when there are more rows than `cap`: only the first `cap` can be paged through."""
        return self._counted > self.cap
