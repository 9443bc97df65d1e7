"""Text from outside, made safe once at the boundary, whatever the channel.

PostgreSQL cannot store a NUL character, UTF-8 cannot encode a lone surrogate,
and control characters are invisible to the people who read answers. Every
channel passes what it receives through here before it parses or stores it:

- over `max_length` characters: refused, before anything reads it;
- a lone surrogate (U+D800–U+DFFF, possible in JSON `\\ud800` escapes): refused,
  since it is no character at all;
- a control character (Unicode category Cc: C0, DEL and C1): `check_text` refuses
  it, for identifiers and for API clients, who can fix what they send;
  `clean_text` removes it, for what residents type, who cannot see it.
  Tab, line feed and carriage return stay in multi-line text.

Format characters (right-to-left marks, zero-width joiners in emoji) are text and stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gateway.errors import PortevoixError

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class UnsafeText(PortevoixError, ValueError):
    """Text refused at the boundary, with the one reason why (a ValueError for pydantic)."""


def check_text(value: str, max_length: int, *, multiline: bool = False) -> str:
    """Return `value` unchanged, or raise UnsafeText if it is too long or not plain text."""
    _refuse_long_or_invalid(value, max_length)
    control = _controls(multiline).search(value)
    if control is not None:
        raise UnsafeText(f"control character U+{ord(control.group()):04X} is not allowed")
    return value


def clean_text(value: str, max_length: int, *, multiline: bool = False) -> str:
    """Return `value` without control characters; UnsafeText if too long or not valid Unicode."""
    _refuse_long_or_invalid(value, max_length)
    return _controls(multiline).sub("", value)


def checked(max_length: int, *, multiline: bool = False) -> Callable[[object], object]:
    """A validator for pydantic's BeforeValidator: check_text on strings, anything else as is."""

    def validate(value: object) -> object:
        if isinstance(value, str):
            return check_text(value, max_length, multiline=multiline)
        return value

    return validate


def escape_surrogates(value: str) -> str:
    """`value` with each lone surrogate written out as text (`\\ud800`), which UTF-8 can encode."""
    if _SURROGATE.search(value) is None:
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _refuse_long_or_invalid(value: str, max_length: int) -> None:
    if len(value) > max_length:
        raise UnsafeText(f"longer than {max_length} characters")
    surrogate = _SURROGATE.search(value)
    if surrogate is not None:
        code_point = ord(surrogate.group())
        raise UnsafeText(f"not valid Unicode: lone surrogate U+{code_point:04X}")


def _controls(multiline: bool) -> re.Pattern[str]:
    return _CONTROL_IN_LINES if multiline else _CONTROL
