"""A job's task run in a thread beside the live server, held part-way so that a
browser test sees its progress bar stand still, reloads, and then lets it finish.

A subclass says where to hold: `hold(monkeypatch)` wraps the JobRun step that
counts its work and calls `self.pause_if_reached(run)` after each step.
"""

import threading

from django.db import connections

from jobs.tasks import run_job


class HeldWorker:
    def __init__(self, monkeypatch, pause_at: int):
        self.pause_at = pause_at
        self.paused = threading.Event()
        self.released = threading.Event()
        self.error = None
        self.thread = None
        self.hold(monkeypatch)
        # The live server shares the test's in-memory SQLite connection; so does the worker.
        self.shared = {
            c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()
        }
        for connection in self.shared.values():
            connection.inc_thread_sharing()

    def hold(self, monkeypatch) -> None:
        raise NotImplementedError

    def pause_if_reached(self, run) -> None:
        if run.done == self.pause_at and not self.released.is_set():
            self.paused.set()
            self.released.wait(15)

    def start(self, job_id):
        def work():
            for alias, connection in self.shared.items():
                connections[alias] = connection
            try:
                run_job.call(job_id)
            except BaseException as error:  # noqa: BLE001  (reported by the test)
                self.error = error
            finally:
                if not self.shared:
                    connections.close_all()

        self.thread = threading.Thread(target=work, daemon=True)
        self.thread.start()

    def go_on(self):
        self.released.set()
        self.thread.join(15)
        for connection in self.shared.values():
            connection.dec_thread_sharing()
        assert not self.thread.is_alive() and self.error is None, self.error
