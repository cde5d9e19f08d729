"""What any staging asset does with its validation: its check spec, and how the checks end a step.

A staging asset for an official source (Eurostat, ...) does, in its body:

    checked = validate_staged(frame, asset_key=key, source_kind="eurostat", file=shown_as)
    yield from conclude_checks(context, layout, source_id, [checked.outcome], checked.rejected)  # raises if ERROR
    ... write checked.kept with write_staged, yield the MaterializeResult ...

with `check_specs=[observations_check_spec(key)]` on the asset.
"""

from collections.abc import Iterator
from dataclasses import replace

import dagster as dg

from pipelines.layout import Layout
from pipelines.problems import Problem
from pipelines.validation.checks import CheckOutcome, blocked_failure
from pipelines.validation.rejected import record_rejected
from pipelines.validation.report import write_report

OBSERVATIONS_CHECK = "observations_valid"


def observations_check_spec(asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
    """The blocking check every staging asset carries: its rows meet the observation suite."""
    return dg.AssetCheckSpec(
        OBSERVATIONS_CHECK,
        asset=asset_key,
        blocking=True,
        description=(
            "Every row: known jurisdiction, measure, target group and unit; periods in order, not in the future "
            "and plausible; counts whole and non-negative; an http(s) source URL and a quote; figure ids unique. "
            "Curated sheets stop on any bad row; official sources quarantine bad rows unless more than 1% fail."
        ),
    )


def conclude_checks(
    context: dg.AssetExecutionContext,
    layout: Layout,
    source_id: str,
    outcomes: list[CheckOutcome],
    rejected: list[Problem],
) -> Iterator[dg.AssetCheckResult]:
    """Add the outcomes to the run's report, keep the rejected rows, yield the check results, and raise a
    failure naming every problem if a blocking check failed (so nothing downstream runs).

    `rejected` replaces `data/curated/rejected/<source_id>.csv`: pass every row the step refused, including
    rows refused before validation (as `Problem`s), or they would no longer be listed there.
    """
    report = write_report(layout, context.run_id, outcomes)
    record_rejected(layout, source_id, rejected, context.run_id)
    outcomes = [replace(outcome, report=report) for outcome in outcomes]
    for outcome in outcomes:
        context.log.info(outcome.summary())
        yield outcome.check_result()
    if stop := blocked_failure(outcomes):
        context.log.error(stop.description)
        raise stop
