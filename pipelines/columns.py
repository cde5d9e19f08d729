"""The column catalog: what every column of every warehouse table and view means (`pipelines/columns.yml`).

The UI's column descriptions, the README's "Columns of the warehouse" section and the data package's field
descriptions all come from here. `python -m pipelines.columns` rewrites that README section.
"""

import re
from functools import cache
from pathlib import Path

from pipelines.files import read_yaml

CATALOG_FILE = Path(__file__).with_name("columns.yml")
README = Path(__file__).resolve().parent.parent / "README.md"
README_START, README_END = "<!-- columns: start -->", "<!-- columns: end -->"
EXTENDS = "extends"  # a view that has every column of another table first


@cache
def catalog() -> dict[str, dict[str, str]]:
    """Table or view → column → description, a view's inherited columns included."""
    loaded = read_yaml(CATALOG_FILE)
    tables: dict[str, dict[str, str]] = {}
    for table, columns in loaded.items():
        base = tables[columns[EXTENDS]] if EXTENDS in columns else {}
        tables[table] = base | {name: str(text) for name, text in columns.items() if name != EXTENDS}
    return tables


def describe(table: str, column: str) -> str | None:
    """A column's description, or None if the catalog does not describe it."""
    return catalog().get(table, {}).get(column)


def readme_section() -> str:
    """The README section listing every table's columns with their descriptions."""
    loaded = read_yaml(CATALOG_FILE)
    parts = [README_START]
    for table, columns in loaded.items():
        parts += ["", f"`{table}`" + (f" (every column of `{columns[EXTENDS]}`, then):" if EXTENDS in columns else ":")]
        parts += ["", "| column | meaning |", "|---|---|"]
        parts += [f"| `{name}` | {text} |" for name, text in columns.items() if name != EXTENDS]
    return "\n".join([*parts, "", README_END])


def readme_with_section(text: str) -> str:
    """`text` (the README) with its catalog section replaced by the current one."""
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    return pattern.sub(lambda _: readme_section(), text)


if __name__ == "__main__":
    README.write_text(readme_with_section(README.read_text(encoding="utf-8")), encoding="utf-8")
