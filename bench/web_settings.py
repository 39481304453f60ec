"""Settings of the servers ``bench/web_bench.py`` starts: Injaaz's own, with the bench's floor
views routed beside the app (``bench/web_floor.py``). ``INJAAZ_BENCH_BARE=1`` removes every
middleware (the floor server)."""

import os

from injaaz.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_floor"
if os.environ.get("INJAAZ_BENCH_BARE") == "1":
    MIDDLEWARE = []
