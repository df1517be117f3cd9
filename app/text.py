"""Client text that is stored or queried: never control characters.

PostgreSQL's ``text`` cannot hold NUL at all (the driver refuses it, which was a 500), and other
control characters in a title, a name or a filter are never meant. So every free-text field and
filter is ``Annotated[str, SafeStr(...)]``: control characters are refused with a 422 at the schema
level, and the OpenAPI document says so with a ``pattern``. Prose (``multiline=True``) keeps tab,
line feed and carriage return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
PROSE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
_LINE = re.compile(LINE_PATTERN)
_PROSE = re.compile(PROSE_PATTERN)


@dataclass(frozen=True, slots=True)
class SafeStr:
    """``Annotated[str, SafeStr(max_length=200)]``: a string of bounded length without control
    characters (``strip`` trims surrounding whitespace first; ``multiline`` allows tab and line
    breaks)."""

    max_length: int
    min_length: int = 0
    strip: bool = False
    multiline: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        text = core_schema.str_schema(
            strip_whitespace=self.strip or None,
            min_length=self.min_length or None,
            max_length=self.max_length,
        )
        pattern, allowed = (_PROSE, "tab and line breaks") if self.multiline else (_LINE, None)
        message = "must not contain control characters"
        if allowed:
            message += f" other than {allowed}"

        def check(value: str) -> str:
            if not pattern.match(value):
                raise ValueError(message)
            return value

        return core_schema.no_info_after_validator_function(check, text)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = PROSE_PATTERN if self.multiline else LINE_PATTERN
        return json_schema
