"""The dashboard's figures, worked out once per refresh.

`indicators.figures()` reads what the refresh wrote (the summary rows, the facts, the live
counts), the conciliators' names and the stage targets (settings), so between two refreshes the
same filters give the same figures. They are kept in the cache under the filters, the language
(their labels are translated), the targets and the refresh state's `updated_at`, which every
refresh moves after its last write, and a refresh that fails moves too (reporting/refresh.py): a
refresh makes every entry unreachable, and entries expire on their own soon after (a refresh
whose worker is killed leaves them until then). A conciliator renamed shows the new name after the
next refresh. The dashboard and its downloads ask here.

No refresh yet (no state row): nothing is kept. A cache that fails is logged and the figures are
worked out without it (nothing is written to a cache that could not be read): the page never fails
for it, and waits for it once (the 0.5 s timeout of config/settings.py's CACHES)."""

import dataclasses
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from . import indicators
from .indicators import Figures, Filters
from .models import REFRESH_STATE, RefreshState

logger = logging.getLogger(__name__)

# Part of every key: the fields of Figures and of what it holds, so that a build that changed them never
# reads an older build's entries (they would lack a field), and LAYOUT, to change for a change of meaning.
LAYOUT = 1


def shape(*classes: type) -> tuple:
    return tuple((cls.__name__, tuple(field.name for field in dataclasses.fields(cls))) for cls in classes)


SHAPE = shape(Figures, Filters, indicators.StageFigure, indicators.Rates, indicators.Row)


def figures(filters: Filters) -> Figures:
    refreshed = RefreshState.objects.filter(name=REFRESH_STATE).values_list("updated_at", flat=True).first()
    if refreshed is None:
        return indicators.figures(filters)
    key = _key(filters, refreshed.isoformat())
    try:
        found = cache.get(key)
    except Exception:
        logger.warning("The cache could not be read; working the figures out.", exc_info=True)
        return indicators.figures(filters)
    if isinstance(found, Figures):
        return found
    worked_out = indicators.figures(filters)
    try:
        # Unreachable after the next refresh; kept a little longer so that a late refresh still finds them.
        cache.set(key, worked_out, timeout=2 * settings.REPORTING_REFRESH_SECONDS)
    except Exception:
        logger.warning("The figures could not be kept in the cache.", exc_info=True)
    return worked_out


def _key(filters: Filters, refreshed: str) -> str:
    named = repr((LAYOUT, SHAPE, filters, get_language(), sorted(settings.STAGE_TARGET_DAYS.items()), refreshed))
    return "reporting:figures:" + hashlib.sha256(named.encode()).hexdigest()
