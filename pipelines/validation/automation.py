"""Declarative automation that respects validation: blocking checks only block within a run, so anything
materialised automatically downstream of checked assets must also wait until those checks pass."""

import dagster as dg


def after_checks_pass(condition: dg.AutomationCondition | None = None) -> dg.AutomationCondition:
    """`condition` (default: eager, i.e. when an upstream asset is updated) and every upstream blocking check
    passed. Put it on any asset downstream of checked assets (warehouse tables, charts, reports)."""
    return (condition or dg.AutomationCondition.eager()) & dg.AutomationCondition.all_deps_blocking_checks_passed()
