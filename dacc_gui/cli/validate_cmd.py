"""``dacc-gui validate``: check indicator payloads as the real DACC would."""

from __future__ import annotations

import argparse

from dacc_gui.cli.main import EXIT_OK, EXIT_SOME_FAILED, UsageError
from dacc_gui.cli.output import write_json
from dacc_gui.dacc.payloads import PayloadError, read_payloads
from dacc_gui.dacc.validation import validate_all


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="validate indicator payloads with the DACC's checks and lints",
        description=(
            "Validate indicator payloads (one, a list, or a compute output) with the real "
            "DACC's checks, in its order, plus lints the DACC does not check. Exit 1 when "
            "any payload would be rejected."
        ),
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        payloads = read_payloads(args.file)
    except PayloadError as exc:
        raise UsageError(str(exc)) from None
    results = validate_all(payloads)
    if args.format == "json":
        report = [
            {"index": n, "status": v.status, "error": v.error, "stored": v.stored, "why": v.why,
             "productionWouldAnswer": v.production_note, "warnings": v.warnings}
            for n, v in enumerate(results)
        ]
        write_json(report)
    else:
        for n, (payload, v) in enumerate(zip(payloads, results)):
            name = payload.get("measureName", "?") if isinstance(payload, dict) else "?"
            date = payload.get("startDate", "?") if isinstance(payload, dict) else "?"
            head = f"#{n} {name} {date}: "
            if not v.ok:
                print(head + f"error (production answers {v.status}): {v.error}"
                      + (f" ({v.production_note})" if v.production_note else ""))
            for w in v.warnings:
                print(head + f"warning: {w}")
        errors = sum(1 for v in results if not v.ok)
        warned = sum(1 for v in results if v.ok and v.warnings)
        print(f"{len(results)} payload(s): {len(results) - errors} accepted ({warned} with warnings), {errors} rejected")
    return EXIT_SOME_FAILED if any(not v.ok for v in results) else EXIT_OK
