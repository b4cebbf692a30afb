"""The summary tables' refresh, run by Celery beat (config/beat.py) every REPORTING_REFRESH_SECONDS,
and the full rebuild (queued after a change that touches every fact, or by hand)."""

import logging
from dataclasses import asdict
from typing import Any

from celery import shared_task

from . import refresh

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def refresh_reporting() -> dict[str, Any]:
    """Incremental: the cases that moved since the last run. Skips when another refresh runs."""
    return asdict(refresh.refresh())


@shared_task(acks_late=True)
def rebuild_reporting() -> dict[str, Any]:
    """Every fact row, the whole cube, every company's and sector's figures."""
    return asdict(refresh.rebuild())
