"""A job template's body and parameters as pure functions: checked, filled in, explained.

The body is a ScheduleJobRequest in its JSON form, parsed once into a tree before anything is
substituted. Placeholders (``{{name}}``) are looked for only in string *values* of that tree
and replaced there, so a parameter value is only ever a value: quotes, braces, newlines, JSON
or YAML in it stay characters of one string and can never add a field, a container, a volume
or a pod field (Argo Workflows' template-injection advisories are the warning). A replacement
is not scanned again, so a value that looks like a placeholder stays literal. Only a value that
is one whole placeholder of an int or bool parameter becomes that number or boolean.

A webhook's body is a string that often holds JSON text of its own (``{"text": "{{msg}}"}``).
There a value is substituted as a JSON value of that text, escaped, so a quote in a message
cannot add a key to the payload the receiver parses; a body that is not JSON is filled as text.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation

Param = pb.TemplateParameter
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_ANY_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
_PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
_INT = re.compile(r"-?[0-9]{1,18}")
_BOOLS = ("true", "false")
MAX_PARAMETERS = 64
MAX_ALLOWED_VALUES = 256
MAX_DESCRIPTION_CHARS = 2048
# Fields the caller of ScheduleJob decides (or the server, for created_by): a template that
# set them would make every job collide on one id, or write where the caller was not checked.
CALLER_FIELDS = ("job_id", "namespace", "created_by", "template")
# String fields whose text is itself JSON when it starts like JSON (see the module's docstring).
JSON_TEXT_FIELDS = ("webhook_job.body",)
_TYPE_NAMES = {Param.TYPE_UNSPECIFIED: "string", Param.TYPE_STRING: "string"}
_TYPE_NAMES |= {Param.TYPE_INT: "int", Param.TYPE_BOOL: "bool"}

JSON = Any


def type_problem(param: Param, value: str) -> str | None:
    """Why ``value`` is not a value of ``param`` (its type, then its allowed values), or None."""
    if param.type == Param.TYPE_INT and not _INT.fullmatch(value):
        return f"must be an int (decimal digits), got {value!r}"
    if param.type == Param.TYPE_BOOL and value not in _BOOLS:
        return f"must be a bool (true or false), got {value!r}"
    if param.allowed_values and value not in param.allowed_values:
        return f"must be one of: {', '.join(param.allowed_values)} (got {value!r})"
    return None


def _walk(tree: JSON, path: str = "") -> Iterator[tuple[str, JSON, bool]]:
    """(path, node, is_key) for every key and value of a JSON tree; paths as the request's
    field paths are written: ``webhook_job.headers.X`` (snake_case), ``[0]`` for items."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            child = f"{path}.{_snake(key)}" if path else _snake(key)
            yield child, key, True
            yield from _walk(value, child)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _walk(value, f"{path}[{index}]")
    else:
        yield path, tree, False


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def definition_violations(template: pb.JobTemplate, path: str) -> list[FieldViolation]:
    """Everything wrong with a template's parameters and body (its name and size aside)."""
    violations: list[FieldViolation] = []
    if len(template.description) > MAX_DESCRIPTION_CHARS:
        violations.append(
            FieldViolation(f"{path}.description", f"at most {MAX_DESCRIPTION_CHARS} characters")
        )
    violations += _parameter_violations(template.parameters, path)
    body = json_format.MessageToDict(template.body)
    if not body:
        missing = FieldViolation(f"{path}.body", "is required: a ScheduleJobRequest in JSON form")
        return [*violations, missing]
    declared = {p.name for p in template.parameters}
    used: set[str] = set()
    for where, node, is_key in _walk(body):
        if not isinstance(node, str):
            continue
        for match in _ANY_PLACEHOLDER.finditer(node):
            name = match.group(1).strip()
            field_path = f"{path}.body.{where}"
            if is_key:
                violations.append(
                    FieldViolation(field_path, "placeholders go in values, never in field names")
                )
            elif not _PARAMETER_NAME.fullmatch(name):
                violations.append(
                    FieldViolation(field_path, f"{match.group(0)!r} is not a placeholder")
                )
            elif name not in declared:
                violations.append(FieldViolation(field_path, f"{{{{{name}}}}} names no parameter"))
            used.add(name)
    for top in body:
        if _snake(top) in CALLER_FIELDS:
            violations.append(
                FieldViolation(
                    f"{path}.body.{_snake(top)}",
                    "is the caller's to set when scheduling, not the template's",
                )
            )
    for index, param in enumerate(template.parameters):
        if param.name and param.name not in used:
            violations.append(
                FieldViolation(f"{path}.parameters[{index}]", "is not used in the body")
            )
    if not violations:
        violations += _sample_violations(template, body, path)
    return violations


def _parameter_violations(params: Any, path: str) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    if len(params) > MAX_PARAMETERS:
        violations.append(FieldViolation(f"{path}.parameters", f"at most {MAX_PARAMETERS}"))
    seen: set[str] = set()
    for index, param in enumerate(params):
        at = f"{path}.parameters[{index}]"
        if not _PARAMETER_NAME.fullmatch(param.name):
            violations.append(
                FieldViolation(
                    f"{at}.name",
                    "must be letters, digits and '_', starting with a letter (at most 63)",
                )
            )
        elif param.name in seen:
            violations.append(FieldViolation(f"{at}.name", f"{param.name!r} is declared twice"))
        seen.add(param.name)
        if param.type not in _TYPE_NAMES:
            violations.append(FieldViolation(f"{at}.type", "is not a parameter type"))
            continue
        if len(param.allowed_values) > MAX_ALLOWED_VALUES:
            violations.append(
                FieldViolation(f"{at}.allowed_values", f"at most {MAX_ALLOWED_VALUES}")
            )
        for value_index, value in enumerate(param.allowed_values):
            bare = Param(type=param.type)
            if problem := type_problem(bare, value):
                violations.append(FieldViolation(f"{at}.allowed_values[{value_index}]", problem))
        if param.required and param.default_value:
            violations.append(
                FieldViolation(f"{at}.default_value", "a required parameter has no default")
            )
        elif param.default_value and (problem := type_problem(param, param.default_value)):
            violations.append(FieldViolation(f"{at}.default_value", problem))
    return violations


def _sample_value(param: Param) -> str:
    if param.default_value:
        return param.default_value
    if param.allowed_values:
        return param.allowed_values[0]
    return {Param.TYPE_INT: "1", Param.TYPE_BOOL: "false"}.get(param.type, "sample")


def _sample_violations(template: pb.JobTemplate, body: JSON, path: str) -> list[FieldViolation]:
    """The body, filled with sample values, must be a ScheduleJobRequest that names a job type:
    an unknown field or a string where a number goes is found now, not by the first user."""
    values = {p.name: _sample_value(p) for p in template.parameters}
    filled = fill(body, {p.name: p for p in template.parameters}, values)
    try:
        request = parse_request(filled.tree)
    except json_format.ParseError as exc:
        return [FieldViolation(f"{path}.body", f"is not a ScheduleJobRequest: {exc}")]
    if request.WhichOneof("job_config") is None:
        return [FieldViolation(f"{path}.body", "must set a job type, e.g. webhook_job")]
    return []


def parse_request(tree: JSON) -> pb.ScheduleJobRequest:
    request = pb.ScheduleJobRequest()
    json_format.ParseDict(tree, request)
    return request


def parameter_values(
    template: pb.JobTemplate, given: Mapping[str, str], path: str
) -> tuple[dict[str, str], list[FieldViolation]]:
    """Each parameter's value (the caller's, else its default), or why the caller's are wrong,
    each named by its path: ``template.parameters["region"]``."""
    params = {p.name: p for p in template.parameters}
    violations: list[FieldViolation] = []
    for name in sorted(set(given) - set(params)):
        known = ", ".join(sorted(params)) or "none"
        violations.append(
            FieldViolation(
                f'{path}["{name}"]',
                f"is not a parameter of template {template.name!r} (it has: {known})",
            )
        )
    values: dict[str, str] = {}
    for name, param in params.items():
        at = f'{path}["{name}"]'
        if name in given:
            if problem := type_problem(param, given[name]):
                violations.append(FieldViolation(at, problem))
            values[name] = given[name]
        elif param.required:
            violations.append(FieldViolation(at, f"is required by template {template.name!r}"))
        else:
            values[name] = param.default_value
    return values, violations


@dataclass
class Filled:
    """The body with the parameters in its values, and which request fields each one reached."""

    tree: JSON
    reached: dict[str, set[str]] = field(default_factory=dict)  # field path -> parameter names


def fill(body: JSON, params: Mapping[str, Param], values: Mapping[str, str]) -> Filled:
    filled = Filled(None)
    filled.tree = _fill(body, "", params, values, filled.reached)
    return filled


def _fill(
    node: JSON,
    path: str,
    params: Mapping[str, Param],
    values: Mapping[str, str],
    reached: dict[str, set[str]],
) -> JSON:
    if isinstance(node, dict):
        # Keys are kept as written: placeholders in keys were refused when the template was made.
        return {
            key: _fill(
                value, f"{path}.{_snake(key)}" if path else _snake(key), params, values, reached
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            _fill(item, f"{path}[{index}]", params, values, reached)
            for index, item in enumerate(node)
        ]
    if isinstance(node, float) and node.is_integer():
        return int(node)  # google.protobuf.Struct keeps every number as a double
    if not isinstance(node, str):
        return node
    names = [m.group(1) for m in PLACEHOLDER.finditer(node)]
    if not names:
        return node
    reached.setdefault(path, set()).update(names)
    whole = PLACEHOLDER.fullmatch(node)
    if whole and whole.group(1) in params:
        param = params[whole.group(1)]
        value = values.get(param.name, "")
        if param.type == Param.TYPE_INT and _INT.fullmatch(value):
            return int(value)
        if param.type == Param.TYPE_BOOL and value in _BOOLS:
            return value == "true"
    if path in JSON_TEXT_FIELDS and (as_json := _fill_json_text(node, params, values)) is not None:
        return as_json
    # A function, not a replacement string: a value's backslashes are not regex escapes.
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), node)


def _fill_json_text(
    text: str, params: Mapping[str, Param], values: Mapping[str, str]
) -> str | None:
    """``text`` with each placeholder filled in as a JSON value of it, or None when ``text``
    is not JSON with its placeholders standing for values. A placeholder inside a JSON string
    becomes part of that string; one standing alone (``{"n": {{count}}}``) becomes a number or
    boolean for an int or bool parameter and a JSON string otherwise."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    nonce = secrets.token_hex(8)  # no slot can be mistaken for text the author wrote
    slot = re.compile(rf"@slot-{nonce}-(\d+)@")
    names: list[str] = []
    pieces: list[str] = []
    in_string = escaped = False
    position = 0
    for match in PLACEHOLDER.finditer(text):
        for char in text[position : match.start()]:  # is the placeholder inside a string?
            if escaped:
                escaped = False
            elif in_string and char == "\\":
                escaped = True
            elif char == '"':
                in_string = not in_string
        marker = f"@slot-{nonce}-{len(names)}@"
        pieces += [text[position : match.start()], marker if in_string else f'"{marker}"']
        names.append(match.group(1))
        position = match.end()
    pieces.append(text[position:])
    try:
        tree = json.loads("".join(pieces))
    except ValueError:
        return None

    def value_of(index: int) -> str:
        return values.get(names[index], "{{" + names[index] + "}}")

    def filled(node: JSON) -> JSON:
        if isinstance(node, dict):
            return {filled(key): filled(value) for key, value in node.items()}
        if isinstance(node, list):
            return [filled(item) for item in node]
        if not isinstance(node, str):
            return node
        whole = slot.fullmatch(node)
        if whole and (param := params.get(names[int(whole[1])])) is not None:
            value = value_of(int(whole[1]))
            if param.type == Param.TYPE_INT and _INT.fullmatch(value):
                return int(value)
            if param.type == Param.TYPE_BOOL and value in _BOOLS:
                return value == "true"
        return slot.sub(lambda m: value_of(int(m[1])), node)

    return json.dumps(filled(tree), ensure_ascii=False)


def readdress(
    violations: list[FieldViolation],
    filled: Filled,
    caller_fields: set[str],
    template_name: str,
    path: str,
) -> list[FieldViolation]:
    """Violations of the resolved request, named by what the caller set: a parameter
    (``template.parameters["url"]``), a field set beside the template, or the template."""
    out: list[FieldViolation] = []
    for violation in violations:
        normal = _normal(violation.field)
        params = sorted(
            {
                name
                for reached_path, names in filled.reached.items()
                for name in names
                if normal == _normal(reached_path) or normal.startswith(_normal(reached_path) + ".")
            }
        )
        if params:
            out += [
                FieldViolation(
                    f'{path}.parameters["{name}"]', f"{violation.field}: {violation.description}"
                )
                for name in params
            ]
        elif re.split(r"[.\[]", violation.field, maxsplit=1)[0] in caller_fields:
            out.append(violation)
        else:
            out.append(
                FieldViolation(
                    path,
                    f"template {template_name!r} sets {violation.field}, which "
                    f"{violation.description}",
                )
            )
    return out


def _normal(field_path: str) -> str:
    """``env["A"]`` and ``env.A`` alike (and snake_case, as the tree's paths are), so paths
    from the tree and from the validators compare."""
    return _snake(re.sub(r'\["([^"]*)"\]', r".\1", field_path))
