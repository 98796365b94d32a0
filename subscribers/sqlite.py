"""Case-insensitive LIKE for Cyrillic on SQLite.

SQLite's built-in LIKE folds case for ASCII letters only, so on the embedded
database a search for «ромашка» would miss «ТОО "Ромашка"» (PostgreSQL's
UPPER() ... LIKE, which Django uses there, has no such gap). Django already
treats LIKE on SQLite as case-insensitive (`contains` and `icontains` behave
alike there), so replacing the function with a Unicode-aware one only closes
the non-ASCII gap; the semantics of `%`, `_` and ESCAPE stay SQLite's.

Also the planner's statistics on SQLite (below): nothing gathers them unless
asked, so the cabinet asks, as SQLite recommends.
"""

import contextlib
import functools
import re
import time


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str, escape: str | None) -> re.Pattern:
    parts = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if escape is not None and char == escape and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def unicode_like(pattern, value, escape=None):
    """SQLite's like(pattern, value[, escape]) with Unicode case folding."""
    if pattern is None or value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return _like_regex(str(pattern), escape).fullmatch(str(value)) is not None


def install_unicode_like(sender, connection, **kwargs):
    """`connection_created` receiver: register the function on each new SQLite connection."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("like", 2, unicode_like, deterministic=True)
    raw.create_function("like", 3, unicode_like, deterministic=True)


# --- Statistics for the query planner ------------------------------------------
#
# SQLite plans with the statistics ANALYZE leaves in sqlite_stat1 and never
# gathers them itself: on a database that never ran ANALYZE it guesses, and
# picks the wrong index for the cabinet's lists (measured: «по сеансам ↓» 11×
# slower). SQLite's advice (https://sqlite.org/lang_analyze.html): run
# `PRAGMA optimize` before closing a connection, and every few hours on a
# long-lived one; it re-analyzes only the tables this connection used that were
# never analyzed or have changed much since, under `analysis_limit` so that it
# stays quick. The cabinet does that at the end of a request, at most once per
# OPTIMIZE_EVERY_S per process, and `PRAGMA optimize=0x10002` when a connection
# opens (SQLite ≥ 3.46 checks every table then; older versions ignore it).
# A full ANALYZE runs after `migrate` (post_migrate), at the end of `seed_demo`
# and of the benchmark generator.

OPTIMIZE_EVERY_S = 3600.0
# Rows of each index ANALYZE samples under PRAGMA optimize (SQLite suggests 100–1000).
ANALYSIS_LIMIT = 1000

_upkeep = {"paused": False, "last": None}


def analyze(connection) -> None:
    """A full ANALYZE of an SQLite database (every row, whatever analysis_limit says)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=0")
        try:
            cursor.execute("ANALYZE")
        finally:
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")


def optimize(connection) -> None:
    """`PRAGMA optimize` on an open SQLite connection: usually a no-op, sometimes ANALYZE."""
    if connection.vendor != "sqlite" or connection.connection is None:
        return
    if connection.in_atomic_block:
        return  # its ANALYZE would join (and wait for) someone else's transaction
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA optimize")


def configure_statistics(sender, connection, **kwargs):
    """`connection_created` receiver: a bounded ANALYZE under PRAGMA optimize, and one now.

    `PRAGMA optimize=0x10002` checks every table when the connection opens on
    SQLite ≥ 3.46; older versions only look at tables this connection used.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        if not _upkeep["paused"]:
            cursor.execute("PRAGMA optimize=0x10002")


def _now() -> float:
    return time.monotonic()


def optimize_after_request(sender, **kwargs):
    """`request_finished` receiver: PRAGMA optimize on the open SQLite connections,
    at most once per OPTIMIZE_EVERY_S in this process (the first request included)."""
    now = _now()
    last = _upkeep["last"]
    if _upkeep["paused"] or (last is not None and now - last < OPTIMIZE_EVERY_S):
        return
    from django.db import connections

    _upkeep["last"] = now
    for connection in connections.all(initialized_only=True):
        optimize(connection)


def analyze_after_migrate(sender, using, **kwargs):
    """`post_migrate` receiver: fresh statistics for the schema migrate just left (SQLite)."""
    from django.db import connections

    analyze(connections[using])


@contextlib.contextmanager
def upkeep_paused():
    """No PRAGMA optimize meanwhile (the benchmark's «no statistics» case)."""
    paused = _upkeep["paused"]
    _upkeep["paused"] = True
    try:
        yield
    finally:
        _upkeep["paused"] = paused


def reset_upkeep_clock() -> None:
    """The next request's end runs PRAGMA optimize, as a new process's first request does."""
    _upkeep["last"] = None
