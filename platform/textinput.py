"""One rule for every piece of text that comes in: HTML forms, query strings, JSON, imports.

- Characters a spreadsheet (XML 1.0) cannot hold — C0 control characters other than tab,
  line feed and carriage return, and the non-characters U+FFFE and U+FFFF — are cleaned out.
  They arrive invisibly with text pasted from Word or a PDF; refusing them would leave the
  user hunting for a character they cannot see, and keeping them breaks every Excel export.
  Vertical tab and form feed (Word's line and page breaks) become line feeds.
- NUL (which PostgreSQL text cannot hold) and lone UTF-16 surrogates (which cannot be
  encoded at all) are malformed input, not text: they are refused (400, or 422 naming the
  field in a schema).
- JSON is at most MAX_JSON_DEPTH levels deep.

The request class cleans forms and query strings; `Text` (the string field every schema's
text goes through) cleans and refuses the same way for JSON and spreadsheet imports.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request, abort, request
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property

from .errors import Invalid

# Deeper JSON than any of our schemas needs is refused before anything recurses into it.
MAX_JSON_DEPTH = 32

_UNWANTED = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n"}
_SURROGATE = re.compile("[\ud800-\udfff]")

REQUIRED = {"required": _l("Feltet skal udfyldes."), "null": _l("Feltet skal udfyldes.")}
INVALID_CHARACTER = _l("Teksten indeholder et ugyldigt tegn.")
ERROR_MESSAGE = _l("Oplysningerne kunne ikke gemmes.")


def clean(value: str) -> str:
    """`value` without the characters a spreadsheet cannot hold (see the module's rule)."""
    if _UNWANTED.search(value) is None:  # the common case costs one scan
        return value
    return _UNWANTED.sub(lambda m: _LINE_BREAKS.get(m.group(), ""), value)


def is_malformed(value: str) -> bool:
    """NUL or a lone surrogate: input that is not text at all."""
    return "\x00" in value or _SURROGATE.search(value) is not None


class Text(fields.String):
    """Text from a user: cleaned, surrounding white space removed, malformed text refused;
    blank counts as missing when required."""

    default_error_messages = {"malformed": INVALID_CHARACTER}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        result = super()._deserialize(value, attr, data, **kwargs)
        if is_malformed(result):
            raise self.make_error("malformed")
        result = clean(result).strip()
        if not result and self.required:
            raise self.make_error("required")
        return result


def text(max_length: int | None = None, required: bool = False, **kwargs: Any) -> Text:
    """A Text field; `max_length` is the limit every text field has (named in the 422)."""
    validators = list(kwargs.pop("validate", None) or [])
    if max_length:
        validators.insert(0, validate.Length(max=max_length, error=_l("Højst {max} tegn.")))
    return Text(
        required=required,
        validate=validators,
        error_messages={
            **REQUIRED,
            "invalid": _l("Skal være tekst."),
            "malformed": INVALID_CHARACTER,
        },
        **kwargs,
    )


def _cleaned(values: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    return ImmutableMultiDict([(key, clean(value)) for key, value in values.items(multi=True)])


class CleanRequest(Request):
    """Forms and query strings arrive cleaned, whichever view reads them."""

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:  # type: ignore[override]
        return _cleaned(super().args)

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        super()._load_form_data()
        self.__dict__["form"] = _cleaned(self.__dict__["form"])


def check_json(body: bytes) -> None:
    """Refuse a JSON body that cannot be taken in: not JSON or too deep (400), or a string
    holding NUL or a lone surrogate (422 naming the field). The walk is iterative:
    nothing here recurses."""
    too_deep = _l("JSON-dokumentet er for dybt indlejret.")
    try:
        data = json.loads(body)
    except RecursionError:
        raise BadRequest(str(too_deep)) from None
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        raise BadRequest(str(_l("Forespørgslens indhold er ikke gyldig JSON."))) from None
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if is_malformed(value):
                raise Invalid(str(ERROR_MESSAGE), _at(path, [str(INVALID_CHARACTER)]))
        elif isinstance(value, dict | list):
            if len(path) >= MAX_JSON_DEPTH:
                raise BadRequest(str(too_deep))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and is_malformed(key):
                    raise Invalid(str(ERROR_MESSAGE), _at(path, [str(INVALID_CHARACTER)]))
                stack.append((item, (*path, str(key))))


def _at(path: tuple[str, ...], messages: list[str]) -> dict[str, Any]:
    """{"a": {"0": {"b": messages}}}: marshmallow's shape for a nested field's errors."""
    result: Any = messages
    for key in reversed(path or ("_schema",)):
        result = {key: result}
    return result


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest

    @app.before_request
    def _refuse_malformed_input() -> None:
        # PostgreSQL text cannot hold NUL; such input is malformed, not a server error.
        values = [*request.args.values(), *request.form.values()]
        if any(is_malformed(v) for v in values):
            abort(400)
        if request.is_json:
            body = request.get_data(cache=True)
            if body.strip():  # an empty body is the schema's to judge ("missing")
                check_json(body)
