"""Every row of "What the real DACC does / POST /measure" (shared/spec/dacc-api.md v2) as data.

Each case is a body, the Content-Type it goes with, and production's answer as
the spec words it: status, exact ``error`` text (or its first line for
PostgreSQL's), and for a 201 whether the measure is stored. The expectations
are copied from the spec, not from the code under test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.receiver_support import measure  # a valid connection-count-daily measure, with changes

JSON = "application/json"
BAD_REQUEST = "400 Bad Request: The browser (or proxy) sent a request that this server could not understand."


def text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Case:
    id: str
    body: str | bytes  # a str also travels inside {"data": ...}; bytes go raw only
    status: int
    error: str | None = None  # exact; with prefix=True its start
    stored: bool | None = None  # for a 201
    reason: str | None = None  # not_stored_reason for a 201 that stores nothing
    content_type: str | None = JSON
    prefix: bool = False

    @property
    def wrappable(self) -> bool:
        """Can it be the "data" string of a wrapped body (which always reaches the DACC as JSON)?"""
        return isinstance(self.body, str) and self.content_type == JSON

    @property
    def raw(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else self.body.encode("utf-8")


GOOD = text(measure())

CASES = [
    # Step 2: the Content-Type rule (get_json() is None, then step 3 fails on None).
    Case("content-type text/plain", GOOD, 500, "'NoneType' object is not subscriptable", content_type="text/plain"),
    Case("content-type form", GOOD, 500, "'NoneType' object is not subscriptable",
         content_type="application/x-www-form-urlencoded"),
    Case("no content-type", GOOD, 500, "'NoneType' object is not subscriptable", content_type=None),
    # Step 2: application/json bodies Flask cannot read.
    Case("empty body", "", 500, BAD_REQUEST),
    Case("blank body", "  \n", 500, BAD_REQUEST),
    Case("not JSON", "hello", 500, BAD_REQUEST),
    Case("truncated", GOOD[:-5], 500, BAD_REQUEST),
    Case("trailing garbage", GOOD + " }x", 500, BAD_REQUEST),
    Case("trailing comma", GOOD[:-1] + ",}", 500, BAD_REQUEST),
    Case("single-quoted", GOOD.replace('"', "'"), 500, BAD_REQUEST),
    Case("latin-1 bytes", GOOD.replace("ecolyo", "écolyo").encode("latin-1"), 500, BAD_REQUEST),
    Case("nesting past the recursion limit", "[" * 100_000 + "]" * 100_000, 500,
         "maximum recursion depth exceeded while decoding a JSON array from a unicode string"),
    # Step 3: measureName read before any check (Python 3.8's messages).
    Case("empty object", "{}", 500, "'measureName'"),
    Case("object without measureName", text(measure(measureName=...)), 500, "'measureName'"),
    Case("null", "null", 500, "'NoneType' object is not subscriptable"),
    Case("empty list", "[]", 500, "list indices must be integers or slices, not str"),
    Case("list of a measure", text([measure()]), 500, "list indices must be integers or slices, not str"),
    Case("a JSON string", '"hello"', 500, "string indices must be integers"),
    Case("true", "true", 500, "'bool' object is not subscriptable"),
    Case("false", "false", 500, "'bool' object is not subscriptable"),
    Case("an integer", "12", 500, "'int' object is not subscriptable"),
    Case("a float", "1.5", 500, "'float' object is not subscriptable"),
    # Step 4: the definition.
    Case("unknown measureName", text(measure(measureName="foo")), 400, "No measure definition found for: foo"),
    Case("measureName a number", text(measure(measureName=12)), 500,
         "(psycopg2.errors.UndefinedFunction) operator does not exist: character varying = integer",
         prefix=True),
    Case("measureName a boolean", text(measure(measureName=True)), 500,
         "(psycopg2.errors.UndefinedFunction) operator does not exist: character varying =", prefix=True),
    Case("measureName a list", text(measure(measureName=[1])), 500,
         "(psycopg2.errors.UndefinedFunction) operator does not exist: character varying =", prefix=True),
    Case("measureName an object", text(measure(measureName={"a": 1})), 500,
         "(psycopg2.ProgrammingError) can't adapt type 'dict'", prefix=True),
    # Step 5: the value.
    Case("no value", text(measure(value=...)), 400, "A value must be given"),
    Case("value not a number", text(measure(value="abc")), 400, "value type is incorrect, it must be a number"),
    Case("value null", text(measure(value=None)), 500,
         "float() argument must be a string or a number, not 'NoneType'"),
    Case("value a list", text(measure(value=[1])), 500, "float() argument must be a string or a number, not 'list'"),
    Case("value an object", text(measure(value={"a": 1})), 500,
         "float() argument must be a string or a number, not 'dict'"),
    # Step 6: startDate.
    Case("no startDate", text(measure(startDate=...)), 400, "startDate must be given"),
    Case("startDate unreadable", text(measure(startDate="not a date")), 400,
         "startDate type is incorrect, it must be a date"),
    Case("startDate a number", text(measure(startDate=20211208)), 500,
         "Parser must be a string or character stream, not int"),
    Case("startDate a boolean", text(measure(startDate=True)), 500,
         "Parser must be a string or character stream, not bool"),
    Case("startDate a list", text(measure(startDate=["2021-12-08"])), 500,
         "Parser must be a string or character stream, not list"),
    Case("startDate an object", text(measure(startDate={})), 500,
         "Parser must be a string or character stream, not dict"),
    Case("startDate null", text(measure(startDate=None)), 500,
         "Parser must be a string or character stream, not NoneType"),
    Case("startDate of 20 digits", text(measure(startDate="12345678901234567890")), 500,
         "Python int too large to convert to C long"),
    # Step 7: groups.
    Case("group1 null", text(measure(group1=None)), 400, "groups format is incorrect"),
    Case("group1 a string", text(measure(group1="mobile")), 400, "groups format is incorrect"),
    Case("group1 a number", text(measure(group1=3)), 400, "groups format is incorrect"),
    Case("group1 a list", text(measure(group1=[{"device": "mobile"}])), 400, "groups format is incorrect"),
    Case("group1 empty", text(measure(group1={})), 400, "groups format is incorrect"),
    Case("group2 null, no group2 key", text(measure(group2=None)), 400, "groups format is incorrect"),
    Case("group3 a string, no group3 key", text(measure(group3="x")), 400, "groups format is incorrect"),
    Case("group1 wrong key", text(measure(group1={"os": "android"})), 400,
         "Group1 key does not match measure definition: os"),
    Case("group1 absent", text(measure(group1=...)), 400, "Group1 key does not match measure definition: None"),
    Case("group2 not in the definition", text(measure(group2={"x": "y"})), 400,
         "Group2 key does not match measure definition: x"),
    Case("first key only counts", text(measure(group1={"x": 1, "device": "mobile"})), 400,
         "Group1 key does not match measure definition: x"),
    Case("extra keys after the right one", text(measure(group1={"device": "mobile", "x": 1})), 201, stored=True),
    # Step 8: answered 201, stored nothing.
    Case("value true", text(measure(value=True)), 201, stored=False, reason="value is a boolean"),
    Case("value false", text(measure(value=False)), 201, stored=False, reason="value is a boolean"),
    Case('value "1_000"', text(measure(value="1_000")), 201, stored=False, reason="value has an underscore"),
    Case("value Infinity", GOOD.replace('"value": 1', '"value": Infinity'), 201, stored=False,
         reason="value is infinite"),
    Case('value "inf"', text(measure(value="inf")), 201, stored=False, reason="value is infinite"),
    Case("value 1e309", GOOD.replace('"value": 1', '"value": 1e309'), 201, stored=False, reason="value is infinite"),
    Case('value "1e309"', text(measure(value="1e309")), 201, stored=False, reason="value is infinite"),
    Case("value 1e10", text(measure(value=1e10)), 201, stored=False, reason="value is 10^10 or more"),
    Case("value -1e10", text(measure(value=-10_000_000_000)), 201, stored=False, reason="value is 10^10 or more"),
    Case("value 1e308", text(measure(value=1e308)), 201, stored=False, reason="value is 10^10 or more"),
    Case('startDate "10"', text(measure(startDate="10")), 201, stored=False,
         reason="startDate is no PostgreSQL timestamp"),
    Case('startDate "2022"', text(measure(startDate="2022")), 201, stored=False,
         reason="startDate is no PostgreSQL timestamp"),
    Case('startDate "January 2022"', text(measure(startDate="January 2022")), 201, stored=False,
         reason="startDate is no PostgreSQL timestamp"),
    Case("startDate in fullwidth digits", text(measure(startDate="２０２１-１２-０８")), 201, stored=False,
         reason="startDate is no PostgreSQL timestamp"),
    Case("createdBy an object", text(measure(createdBy={"app": "ecolyo"})), 201, stored=False,
         reason="createdBy is an object"),
    Case("createdBy of 101 characters", text(measure(createdBy="e" * 101)), 201, stored=False,
         reason="createdBy is longer than 100 characters"),
    Case("aggregationPeriod an object", text(measure(aggregationPeriod={"p": "day"})), 201, stored=False,
         reason="aggregationPeriod is an object"),
    Case("aggregationPeriod of 101 characters", text(measure(aggregationPeriod="d" * 101)), 201, stored=False,
         reason="aggregationPeriod is longer than 100 characters"),
    Case("NUL in a group value", text(measure(group1={"device": "mo\u0000bile"})), 201, stored=False,
         reason="a group value holds a NUL character"),
    # Step 8: stored, as PostgreSQL keeps it; step 9.
    Case("valid measure", GOOD, 201, stored=True),
    Case("value a numeric string", text(measure(value="12.5")), 201, stored=True),
    Case("createdBy of 100 characters", text(measure(createdBy="e" * 100)), 201, stored=True),
    Case("value NaN is stored", GOOD.replace('"value": 1', '"value": NaN'), 201, stored=True),
    Case("lenient startDate", text(measure(startDate="Dec 8 2021")), 201, stored=True),
    Case("charset parameter", GOOD, 201, stored=True, content_type="application/json; charset=utf-8"),
    Case("a 1.5 MiB body is JSON like any other", text(measure(pad="x" * 1_500_000)), 201, stored=True),
]

# The 1.5 MiB body is production's (no size limit); the receiver refuses it (413) by design.
LARGE = "a 1.5 MiB body is JSON like any other"
