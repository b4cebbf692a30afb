"""A pager for lists that can hold a million rows (bench/RESULTS.md, items 3 and 4).

An exact COUNT of every visible case, or of the 20,000 matches of a common surname, visits every
row; nobody pages through that many. `CappedPaginator` counts at most `cap` + 1 rows, so the count
costs the same whatever the size of the table. Past the cap the list says "more than 1,000", pages
stop at the cap and the template asks to refine the search (templates/includes/pagination.html).
It lives in parties, the floor every app may import."""

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet

LIST_CAP = 1000


class CappedPaginator(Paginator):
    """A Paginator whose `count` stops at `cap`; `capped` says whether there are more rows."""

    def __init__(
        self, object_list, per_page, *, cap: int | None = None, count_in_order: bool = False, **kwargs
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = LIST_CAP if cap is None else cap
        # Count the first cap + 1 rows in the list's own order: for a list read from a small partial
        # index among many other rows (the open clocks among years of closed ones), that index is what
        # the database should walk; without the order it may scan the whole table instead.
        self.count_in_order = count_in_order

    @cached_property
    def _counted(self) -> int:
        """Rows up to cap + 1: a COUNT over a LIMITed subquery, which stops at the first cap + 1."""
        rows = self.object_list
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
