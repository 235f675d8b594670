"""``jobs schedule`` flags contributed by the job types (``Handler.cli_flags``).

A flag sets one config field; its kind follows the field's protobuf type: a number, text,
repeatable KEY=VALUE pairs (a map), or the words after ``--`` (a repeated string). Types may
share a flag (``--image``, ``--env``) when it sets a field of the same kind. Which type a
command means is the one it names (``jobs schedule timer ...``), else the one type whose flags
were all given (ties go to the type whose required fields were given).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass, field

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from jobscheduler.jobtypes import HandlerRegistry, JobTypeHandler
from jobscheduler.jobtypes.base import CliFlag


class UsageError(Exception):
    """A flag value the server would reject anyway; reported before any RPC."""


_INTEGER_TYPES = frozenset(
    (
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SINT64,
    )
)


def _kind(handler: JobTypeHandler, flag: CliFlag) -> str:
    descriptor = handler.config_message.DESCRIPTOR.fields_by_name[flag.field]
    message = descriptor.message_type
    if message is not None and message.GetOptions().map_entry:
        return "pairs"
    if descriptor.is_repeated:
        # Named flags of a repeated field are given once per item; "--" takes the rest.
        if flag.option and descriptor.type in _INTEGER_TYPES:
            return "integers"
        return "words"
    if descriptor.type in _INTEGER_TYPES:
        return "integer"
    if descriptor.type == FieldDescriptor.TYPE_BOOL:
        return "switch"
    return "text"


@dataclass
class _Option:
    flag: CliFlag
    kind: str
    dest: str
    owners: list[JobTypeHandler] = field(default_factory=list)


class TypeFlags:
    """The flags of every registered job type, added to one parser."""

    def __init__(self, registry: HandlerRegistry) -> None:
        self._registry = registry
        self._options: dict[str, _Option] = {}
        for handler in registry:
            for flag in handler.cli_flags:
                key = flag.option or "--"
                kind = _kind(handler, flag)
                option = self._options.setdefault(
                    key, _Option(flag, kind, "type_" + key.strip("-").replace("-", "_") or "words")
                )
                if option.kind != kind:
                    raise ValueError(f"{key} means a {option.kind} and a {kind}")
                if option.flag.field != flag.field:
                    raise ValueError(f"{key} sets {option.flag.field} and {flag.field}")
                option.owners.append(handler)

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("job type flags")
        for key, option in self._options.items():
            owners = ", ".join(h.name for h in option.owners)
            help_text = f"{owners}: {option.flag.help}"
            if key == "--":
                parser.add_argument(
                    option.dest, nargs="*", metavar=option.flag.metavar, help=help_text
                )
                continue
            names = [option.flag.option, *option.flag.aliases]
            if option.kind == "switch":
                group.add_argument(*names, dest=option.dest, action="store_true", default=None)
            elif option.kind in ("words", "integers"):
                group.add_argument(
                    *names,
                    dest=option.dest,
                    action="append",
                    type=int if option.kind == "integers" else str,
                    metavar=option.flag.metavar or option.flag.field.upper(),
                    help=f"{help_text} (repeatable)",
                )
            elif option.kind == "pairs":
                group.add_argument(
                    *names, dest=option.dest, action="append", metavar="KEY=VALUE", help=help_text
                )
            else:
                group.add_argument(
                    *names,
                    dest=option.dest,
                    type=int if option.kind == "integer" else str,
                    metavar=option.flag.metavar or option.flag.field.upper(),
                    help=help_text,
                )

    def usage_hint(self) -> str:
        """How to name each type by its required flags, e.g. ``--timer SECONDS (timer)``."""
        hints = []
        for handler in self._registry:
            words = [
                f"{o.flag.option} {o.flag.metavar or o.flag.field.upper()}"
                for o in self._options.values()
                if handler in o.owners and o.flag.field in handler.required_fields
            ]
            words += [
                f"[-- {o.flag.metavar or 'WORDS'}...]"
                for key, o in self._options.items()
                if key == "--" and handler in o.owners
            ]
            hints.append(f"{handler.name} ({' '.join(words) or 'TYPE'})")
        return ", ".join(hints)

    def _given(self, args: argparse.Namespace) -> list[_Option]:
        return [o for o in self._options.values() if getattr(args, o.dest, None) not in (None, [])]

    def chosen_type(self, args: argparse.Namespace) -> JobTypeHandler | None:
        """The job type the command names, or None when its flags name none."""
        given = self._given(args)
        if args.job_type:
            handler = self._registry.by_name(args.job_type)
            assert handler is not None  # the parser only accepts registered names
            foreign = [o.flag.option or "--" for o in given if handler not in o.owners]
            if foreign:
                raise UsageError(f"{', '.join(foreign)}: not a flag of {handler.name} jobs")
            return handler
        if not given:
            return None
        candidates = [h for h in self._registry if all(h in o.owners for o in given)]
        if len(candidates) > 1:
            named = {o.flag.field for o in given}
            candidates = [h for h in candidates if h.required_fields <= named] or candidates
        if len(candidates) != 1:
            flags = ", ".join(o.flag.option or "--" for o in given)
            raise UsageError(f"{flags}: name the job type first: jobs schedule TYPE ...")
        return candidates[0]

    def apply(self, args: argparse.Namespace, handler: JobTypeHandler, config: Message) -> None:
        """Set each given flag's field of ``config`` (flags override a --request file)."""
        for option in self._given(args):
            value = getattr(args, option.dest)
            target = option.flag.field
            if option.kind == "pairs":
                getattr(config, target).update(parse_pairs(value, option.flag.option))
            elif option.kind in ("words", "integers"):
                del getattr(config, target)[:]
                getattr(config, target).extend(value)
            else:
                setattr(config, target, value)


def parse_pairs(values: Iterable[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} takes KEY=VALUE (got {value!r})")
        pairs[key] = val
    return pairs
