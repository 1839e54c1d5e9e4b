"""The REST API's JSON parser: DRF's, with core.json_input's bound on nesting."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from core.json_input import loads


class JSONParser(parsers.JSONParser):
    """Parse a JSON body; too deep or malformed is a ParseError (400, tenants.errors).

    DRF's own parser lets RecursionError through, so 100,000 nested brackets
    answered Django's HTML 500 page.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        raw = stream.read() if stream is not None else b""
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return loads(raw.decode(encoding), parse_constant=parse_constant)
        except ValueError as exc:  # JSONInputError, UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None
