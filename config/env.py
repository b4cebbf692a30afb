"""Tiny helpers that read settings from the environment and fail loudly on a bad value."""

import os
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}.")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {number}.")
    return number


PARALLEL_SETTING = "max_parallel_workers_per_gather"


def libpq_options(own: str) -> str:
    """The startup options of the site's PostgreSQL connections: the URL's own `?options=` (else
    PGOPTIONS, which libpq ignores once a connection names its options), then the parallel query
    setting, DATABASE_PARALLEL_WORKERS (default 0: off; empty: not sent, the server's or the role's own
    applies). Options that set it themselves keep their value."""
    own = (own or os.environ.get("PGOPTIONS", "")).strip()
    if os.environ.get("DATABASE_PARALLEL_WORKERS", "0").strip() == "" or PARALLEL_SETTING in own:
        return own
    workers = env_int("DATABASE_PARALLEL_WORKERS", 0, minimum=0, maximum=1024)  # PostgreSQL's own limit
    return f"{own} -c {PARALLEL_SETTING}={workers}".strip()


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value


def env_json_object(name: str, default: dict) -> dict:
    """A JSON object (e.g. {"hearing_scheduled": {"es-ar": "HX…"}}); anything else fails loudly."""
    import json

    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, got {type(parsed).__name__}.")
    return parsed


def redis_db(url: str) -> int:
    """The database number a redis:// URL names (its ?db=, else its path, else 0), as redis-py reads it."""
    parts = urlsplit(url)
    chosen = parse_qs(parts.query).get("db") or [parts.path.strip("/") or "0"]
    return int(chosen[0])


def env_redis_url(name: str, *, test: bool) -> str:
    """A redis:// URL. When the test suite runs in several processes (pytest-xdist), process gwN
    uses the configured database number + 2N: the suite empties its cache between tests, and a real
    worker must never take another process's tasks. Configure the broker and the cache one number
    apart (0 and 1, as CI does; settings.py checks it) and no two processes share a database."""
    value = os.environ.get(name, "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "") if test else ""
    if not value or not worker.startswith("gw"):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(f"{name}: the test suite in several processes needs a redis:// URL.")
    number = redis_db(value) + 2 * int(worker[2:])
    if number > 15:
        raise ImproperlyConfigured(f"{name}: test process {worker} would need Redis database {number} (0-15).")
    query = urlencode([(key, number if key == "db" else item) for key, item in parse_qsl(parts.query)])
    return urlunsplit(parts._replace(path=f"/{number}", query=query))
