"""bench/load.py's filing mode end to end, small: a real gunicorn on the test database, wrk, Redis."""

import re
import shutil

import pytest
from django.conf import settings
from django.db import connection

from complaints.models import Complaint
from complaints.states import State

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),  # gunicorn reads what this test commits
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
    pytest.mark.skipif(not (settings.CELERY_BROKER_URL and settings.REDIS_URL), reason="needs Redis"),
]


@pytest.fixture
def served_database(monkeypatch):
    """The server bench/load.py starts must read the test database, not DATABASE_URL's (unpooled: a
    pool's threads hold each worker's exit for seconds)."""
    monkeypatch.setenv("DATABASE_POOL", "0")
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    monkeypatch.setenv(
        "DATABASE_URL", f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def test_it_files_drafts_through_gunicorn_and_reports_them_beside_the_bare_insert(served_database):
    from bench import load

    redis = ["--broker-url", settings.CELERY_BROKER_URL, "--cache-url", settings.REDIS_URL]
    small = ["--drafts", "60", "--duration", "1", "--connections", "2", "--workers", "1", "--threads", "1"]
    report = load.main(["filing", *small, *redis])

    filed = Complaint.objects.exclude(status=State.DRAFT)
    assert filed.count() > load.WARM_UP_DRAFTS
    numbers = sorted(str(number) for number in filed.values_list("number", flat=True))
    year = numbers[0][: -len("000001")]
    assert numbers == [f"{year}{n:06d}" for n in range(1, len(numbers) + 1)], "unique and gapless"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_insert")
        assert cursor.fetchone()[0] > 0
    assert "- Numbers: every filing numbered; unique and gapless." in report
    # The ratios are reported, whatever they are: one second per phase on a busy machine (the suite's
    # other process beside it) can put any of them above 1. Their values belong to bench/RESULTS.md.
    assert re.search(r"Filings/s ÷ bare inserts/s = \d+\.\d{3}", report)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in report.splitlines() if line.startswith("| ")}
    assert re.search(
        r"Filings/s ÷ signed-in inserts/s = \d+\.\d{3}; signed-in inserts/s ÷ bare inserts/s = \d+\.\d{3}", report
    )
    assert {
        "Bare one-row insert",
        "Signed-in one-row insert",
        "Filing POST (302 to the receipt)",
        "Filing POST beside the page",
    } <= set(rows)
    for yardstick in ("Bare one-row insert", "Signed-in one-row insert"):
        cells = rows[yardstick].strip("| ").split(" | ")
        assert int(cells[5].replace(",", "")) > 0, f"{yardstick}: no 204 answered"
        assert cells[6] == "none", f"{yardstick}: {cells[6]}"  # signed in, the token accepted: 204s only
