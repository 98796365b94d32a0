"""Racing threads for the PostgreSQL concurrency tests.

Each action runs in its own thread, on its own database connection, released
at the same moment (or, with `window`, the second one exactly while the first
is inside the window a monkeypatched step opens). Outcomes are «done», the
code of the ValidationError a service raised, or «error: …» for anything else
— which a test then fails on.
"""

import threading
import time

from django.core.exceptions import ValidationError
from django.db import connection


def outcome_of(action) -> str:
    try:
        action()
    except ValidationError as exc:
        errors = exc.error_list if hasattr(exc, "error_list") else sum(exc.error_dict.values(), [])
        return errors[0].code or "refused"
    except Exception as exc:  # noqa: BLE001 - reported by the test's assertion
        return f"error: {exc!r}"
    return "done"


def run_together(*actions, timeout=30):
    """Run each action in its own thread (own connection), released at the same moment."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def runner(index, action):
        try:
            barrier.wait(10)
            outcomes[index] = outcome_of(action)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes


class Window:
    """A pause inside one step of the code under test, for a second actor to act in.

    `wrap(function)` returns a function that, when called, opens the window
    (sets `opened`), sleeps `seconds`, then calls `function`. A test patches
    it over the step that follows a check (an admin's `save_model`, after the
    form was validated), then runs the second actor once `opened` is set: on
    code that checks before it locks, both actors succeed.
    """

    def __init__(self, seconds=0.6):
        self.seconds = seconds
        self.opened = threading.Event()

    def wrap(self, function):
        def paused(*args, **kwargs):
            if not self.opened.is_set():
                self.opened.set()
                time.sleep(self.seconds)
            return function(*args, **kwargs)

        return paused


def run_in_window(first, second, window: Window, timeout=30):
    """`first` runs into the window; `second` starts once the window is open.

    Returns the two outcomes. If the window never opens (the first actor was
    refused before reaching it) the second still runs, after a short wait.
    """
    outcomes = [None, None]

    def run_first():
        try:
            outcomes[0] = outcome_of(first)
        finally:
            window.opened.set()
            connection.close()

    def run_second():
        try:
            window.opened.wait(timeout)
            outcomes[1] = outcome_of(second)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes
