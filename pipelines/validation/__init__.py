"""Validation: the rules every source must meet (one place), run with Great Expectations on pandas frames or as
DuckDB SQL on big tables, and turned into Dagster asset checks, rejected rows and a per-run report."""
