"""Dagster asset definitions, one module per stage."""
