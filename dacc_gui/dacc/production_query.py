"""What the real DACC answers to ``GET|POST /aggregate`` before it reads its aggregates.

Its route reads the parameters with Flask's ``get_json()`` (a JSON body sent as
application/json: a query string is not read), then checks them in this order
(spec, "Aggregation"): the params, measureName, its definition, ``accessApp``
(403), startDate, endDate. Errors are the DACC's texts; Python's exceptions
are 500s with Python's message, as for ``POST /measure``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dacc_gui.dacc.aggregate import Query, created_by_text, timestamp
from dacc_gui.dacc.measures import MeasureCatalog
from dacc_gui.dacc.production import BAD_REQUEST, Answer, find_definition, mimetype, parse_date


@dataclass(frozen=True)
class QueryAnswer:
    """Production's verdict on a query: an error (status, text, why) or the query to run."""

    status: int
    error: str | None = None
    why: str | None = None
    query: Query | None = None


def answer_query(content_type: str | None, body: bytes, catalog: MeasureCatalog) -> QueryAnswer:
    params = None
    if mimetype(content_type) == "application/json":
        try:
            params = json.loads(body)
        except RecursionError as exc:
            return QueryAnswer(500, str(exc), "the body is nested too deeply for Python's JSON parser")
        except ValueError:
            return QueryAnswer(
                500, BAD_REQUEST,
                "the body is not JSON: Flask's 400 Bad Request is caught by the route's catch-all (500)",
            )
    return check_params(params, catalog)


def check_params(params: Any, catalog: MeasureCatalog) -> QueryAnswer:
    """The DACC's ``check_restitution_params``, then the query it runs."""
    if params is None:
        return QueryAnswer(
            400, "The params cannot be empty",
            "no JSON body was read (the DACC reads the parameters from an application/json body, "
            "not from the query string)",
        )
    try:
        has_name = "measureName" in params
    except TypeError as exc:  # a number or a boolean: Python's message
        return QueryAnswer(500, str(exc), "the parameters are not an object: Python's TypeError becomes a 500")
    if not has_name:
        return QueryAnswer(400, "A measure name must be given")
    if not isinstance(params, dict):  # a list or a string holding "measureName"
        error = "list indices must be integers or slices, not str" if isinstance(params, list) else "string indices must be integers"
        return QueryAnswer(500, error, "the parameters are not an object: Python's TypeError becomes a 500")
    definition = find_definition(params["measureName"], catalog)
    if isinstance(definition, Answer):
        return QueryAnswer(definition.status, definition.error, definition.why)
    if not definition.accessApp:
        return QueryAnswer(
            403, f"You cannot access results for this measure: {definition.name}",
            f"{definition.name} has accessApp false: its results are not served to apps (Metabase reads them)",
        )
    bounds = []
    for key in ("startDate", "endDate"):
        if key not in params:
            return QueryAnswer(400, f"{key} must be given")
        text = params[key]
        if not isinstance(text, str):
            return QueryAnswer(
                500, f"Parser must be a string or character stream, not {type(text).__name__}",
                f"{key} is not a string: dateutil's TypeError becomes a 500",
            )
        try:
            parse_date(text)
        except ValueError:
            return QueryAnswer(400, f"{key} type is incorrect, it must be a date")
        except Exception as exc:
            return QueryAnswer(500, str(exc), f"dateutil fails on {key} with {type(exc).__name__}: a 500")
        # Open case: the bounds are read as dateutil reads them (offset dropped);
        # PostgreSQL's own reading of a partial date was not measured.
        bounds.append(timestamp(text))
    created_by = params.get("createdBy")
    return QueryAnswer(200, query=Query(definition.name, bounds[0], bounds[1], created_by_text(created_by)))
