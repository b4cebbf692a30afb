"""The project's settings for bench/load.py's server, plus one bench-only address (bench/urls.py):
a bare one-row insert to measure filing against, served by the same middleware, workers and database."""

from config.settings import *  # noqa: F403  (the project's settings, unchanged)

ROOT_URLCONF = "bench.urls"
