"""Cited official figures on immigration enforcement, as a Dagster code location."""
