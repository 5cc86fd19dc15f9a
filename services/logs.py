"""Logs for operators: one setup for every entry point, JSON lines or terminal text, and outages told once."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any

FORMATS = ("text", "json")
# What a record may carry beside its message, from `extra=` or from `log_context`; identities never among them.
CONTEXT_FIELDS = ("event_type", "event_id", "correlation_id", "case_reference", "key")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(service)s %(name)s: %(message)s"

_NONE: Mapping[str, str] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("hrcase_log_context", default=_NONE)


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Fields that every record logged inside the block carries (an event's type, id, correlation id...)."""
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def bind(**fields: str | None) -> contextvars.Token[Mapping[str, str]]:
    """Like `log_context`, for a scope that opens and closes in two callbacks (a web request): `unbind` ends it."""
    return _context.set({**_context.get(), **{k: v for k, v in fields.items() if v}})


def unbind(token: contextvars.Token[Mapping[str, str]]) -> None:
    _context.reset(token)


def current(field: str) -> str | None:
    """A field of the current log context: the correlation id that events made here carry on."""
    return _context.get().get(field)


class _ServiceFilter(logging.Filter):
    """Puts the process's service and the current log context on each record, for either format."""

    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, service, logger, message, and the context fields a record has."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "service": getattr(record, "service", None), "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(service: str, level: int | str = logging.INFO, fmt: str | None = None,
                  stream: IO[str] | None = None, force: bool = False) -> None:
    """The root logger of this process, for every entry point (commands, workers, the embedded runtime, the API):
    `json` writes one object a line for a log collector; `text` (the default) reads on a terminal. Called again, it
    replaces its own handler. Where someone else set logging up (a test runner, a program embedding hrcase), it
    leaves it as it is unless `force`d, as `logging.basicConfig` does."""
    handler = log_handler(service, fmt, stream)
    handler.setLevel(level.upper() if isinstance(level, str) else level)
    root = logging.getLogger()
    if not force and any(not getattr(h, "hrcase_setup", False) for h in root.handlers):
        return
    for old in [h for h in root.handlers if getattr(h, "hrcase_setup", False)]:
        root.removeHandler(old)
    handler.hrcase_setup = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # The root only ever opens wider: a test runner that asked for DEBUG records keeps them, ours shows its level.
    root.setLevel(min(root.level, handler.level))


def log_handler(service: str, fmt: str | None = None, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing `fmt` (text or json) for `service` to `stream` (default: sys.stderr when a record comes)."""
    fmt = (fmt or "text").lower()
    if fmt not in FORMATS:
        raise ValueError(f"HRCASE_LOG_FORMAT {fmt!r} is not one of {', '.join(FORMATS)}")
    handler = _Handler(stream)
    handler.addFilter(_ServiceFilter(service))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


class _Handler(logging.Handler):
    """Writes to its stream, or to whatever sys.stderr is when a record comes (a test runner swaps it)."""

    def __init__(self, stream: IO[str] | None):
        super().__init__()
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            out = self.stream or sys.stderr
            out.write(self.format(record) + "\n")
            out.flush()
        except Exception:
            self.handleError(record)


def component_of(exc: BaseException) -> str:
    """The component an error comes from, by the library that raised it (or the error it was raised from)."""
    seen: BaseException | None = exc
    while seen is not None:
        module = type(seen).__module__.split(".")[0]
        if module in ("sqlalchemy", "psycopg", "psycopg2", "sqlite3", "alembic"):
            return "database"
        if module in ("kafka", "aiokafka", "faust"):
            return "Kafka"
        if module == "smtplib":
            return "SMTP"
        if module in ("urllib", "http"):
            return "webhook"
        seen = seen.__cause__ or seen.__context__
    return "unknown component"


class OutageLog:
    """A task's failures told as an operator wants them: once when an outage starts (naming the component), a
    reminder every `remind_every` seconds with the count of failed retries, and once when it ends.

    It keeps no clock of its own: callers pass `now` (monotonic seconds), so tests can run an hour in a line.
    """

    def __init__(self, task: str, log: logging.Logger, remind_every: float = 60.0):
        self.task, self.log, self.remind_every = task, log, remind_every
        self.component: str | None = None
        self.since = self.reminded = 0.0
        self.failures = 0

    @property
    def ongoing(self) -> bool:
        return self.component is not None

    def failed(self, exc: BaseException, now: float, component: str | None = None) -> None:
        """One failed attempt; the first of an outage is logged with its traceback, the rest are counted."""
        component = component or component_of(exc)
        if self.component is not None and component != self.component:
            self.recovered(now)  # another component fails now: that outage ended as this one began
        if self.component is None:
            self.component, self.since, self.reminded, self.failures = component, now, now, 1
            self.log.warning("%s unavailable: %s failed (%s: %s); retrying, a reminder every %.0f s", component,
                             self.task, type(exc).__name__, _first_line(exc), self.remind_every, exc_info=exc)
            return
        self.failures += 1
        if now - self.reminded >= self.remind_every:
            self.reminded = now
            self.log.warning("%s still unavailable after %.0f s: %s failed %d times (last: %s: %s)", component,
                             now - self.since, self.task, self.failures, type(exc).__name__, _first_line(exc))

    def recovered(self, now: float) -> None:
        """An attempt succeeded: the outage, if there was one, has ended."""
        if self.component is None:
            return
        self.log.warning("%s available again after %.0f s: %s resumed after %d failed attempts", self.component,
                         now - self.since, self.task, self.failures)
        self.component = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""
