"""The kinds of job, registered by the apps that own the work.

The jobs app runs any kind without knowing it: the app that owns the work
(the cabinet's downloads, a bulk renewal) registers a `JobKind` when it loads
(its AppConfig.ready()), so that the web processes and the workers know the
same kinds; a job row names its kind, never a function to import.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class JobKind:
    """What a kind of job does and how its pages name it.

    - `run(run: JobRun) -> dict`: the work, in a worker, in the language of the
      user who started it. Reports progress with `run.set_total()` /
      `run.advance()` (or `run.counted(iterable)`), keeps a file with
      `run.result_file(...)`, and returns the summary (JSON) kept on the job.
      Raise `jobs.services.JobRefused("…")` to fail with a message the user
      reads; any other exception fails the job with a general message (and the
      task with its traceback).
    - `title(job) -> str`: what the job is, on its page, in lists and the admin
      («Подписки обслуживаемых абонентов, XLSX»).
    - `back_url(job) -> str | None`: the page it was started from, if any.
    - `running_heading`, `done_heading`, `failed_heading`: its page's heading in
      each state («Подготовка файла…», «Файл готов», «Не удалось подготовить файл»).
    - `summary_lines(job) -> list[str]`: what a finished job's page lists from its summary.
    """

    name: str
    run: Callable
    title: Callable
    back_url: Callable = field(default=lambda job: None)
    running_heading: str = _("Выполняется…")
    done_heading: str = _("Готово")
    failed_heading: str = _("Не удалось выполнить")
    summary_lines: Callable = field(default=lambda job: [])


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Register `kind` (once per name; registering the same object again is harmless)."""
    known = _KINDS.get(kind.name)
    if known is not None and known != kind:
        raise ValueError(f"job kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> JobKind:
    """The registered kind `name`; LookupError for a kind no app registered."""
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r} is registered") from None


def registered_kinds() -> list[JobKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)
