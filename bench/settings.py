"""The project's settings for bench/load.py's server, plus two bench-only addresses (bench/urls.py): a
one-row insert, anonymous and signed in, to measure filing against, served by the same middleware,
workers and database."""

from config.settings import *  # noqa: F403  (the project's settings, unchanged)

ROOT_URLCONF = "bench.urls"
