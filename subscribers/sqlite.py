"""Case-insensitive LIKE for Cyrillic on SQLite.

SQLite's built-in LIKE folds case for ASCII letters only, so on the embedded
database a search for «ромашка» would miss «ТОО "Ромашка"» (PostgreSQL's
UPPER() ... LIKE, which Django uses there, has no such gap). Django already
treats LIKE on SQLite as case-insensitive (`contains` and `icontains` behave
alike there), so replacing the function with a Unicode-aware one only closes
the non-ASCII gap; the semantics of `%`, `_` and ESCAPE stay SQLite's.
"""

import functools
import re


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
