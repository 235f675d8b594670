"""Logging setup: structlog for our code, with the standard library routed through it.

One output stream, one format: JSON lines when stderr is not a terminal (containers, CI) or when
LOG_FORMAT=json, a readable console format on a terminal. Context bound with
``structlog.contextvars`` (request id, method) appears on every line logged during an RPC.

Levels: ``trace`` is ``debug`` plus the debug output of the libraries we use (gRPC, urllib3, the
Kubernetes client), which is too noisy for everyday debugging; ``warn`` is ``warning``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from jobscheduler import tracing

# Libraries whose debug output only ``trace`` shows.
_NOISY_LIBRARIES = ("grpc", "urllib3", "kubernetes", "asyncio")

_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def level_number(level: str) -> int:
    """The standard-library level for one of trace/debug/info/warn/error."""
    try:
        return _LEVELS[level.lower()]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}; use one of {sorted(_LEVELS)}") from None


def _level_name(_: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    # Records from stdlib loggers carry their own level; structlog calls are named by method.
    record = event_dict.get("_record")
    name = record.levelname.lower() if record is not None else method_name
    event_dict["level"] = "warn" if name in ("warning", "warn") else name
    return event_dict


def _logger_name(logger: WrappedLogger, _: str, event_dict: EventDict) -> EventDict:
    record = event_dict.get("_record")
    name = record.name if record is not None else getattr(logger, "name", None)
    if name:
        event_dict["logger"] = name
    return event_dict


class _LineWriter:
    """The "logger" under structlog: writes rendered lines to the stream the stdlib handler
    uses, under that handler's lock, so lines from both never interleave.

    Our own events skip the standard library's record machinery (a stack walk per call), which
    is most of the cost of a log line; at one line per RPC that matters.
    """

    def __init__(self, name: str, handler: logging.StreamHandler[TextIO]) -> None:
        self.name = name
        self._handler = handler

    def msg(self, message: str) -> None:
        handler = self._handler
        with handler.lock or contextlib.nullcontext():
            handler.stream.write(message + "\n")
            handler.stream.flush()

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def configure_logging(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Route structlog and stdlib logging to ``stream`` (stderr) at ``level`` in ``fmt``.

    ``fmt`` is ``json``, ``console`` or ``auto`` (console on a terminal, JSON otherwise).
    Safe to call again (tests and the CLI reconfigure).
    """
    out = stream if stream is not None else sys.stderr
    numeric = level_number(level)
    use_json = fmt == "json" or (fmt != "console" and not _is_tty(out))

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        tracing.add_trace_id,
        _level_name,
        _logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    render: list[Processor]
    if use_json:
        render = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        # Plain tracebacks: rich ones print local variables, which may hold secrets.
        render = [
            structlog.dev.ConsoleRenderer(
                colors=_is_tty(out), exception_formatter=structlog.dev.plain_traceback
            )
        ]

    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *render],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    library_level = logging.DEBUG if level.lower() == "trace" else max(numeric, logging.INFO)
    for name in _NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(library_level)

    def writer_for(*args: Any) -> _LineWriter:
        return _LineWriter(str(args[0]) if args else "", handler)

    structlog.configure(
        processors=[*shared, *render],
        logger_factory=writer_for,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def get_logger(name: str) -> FilteringBoundLogger:
    """A structlog logger named ``name`` (shown as ``logger`` in each line)."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
