"""Every source kind the pipeline reads. Adding a kind is one module in `pipelines/kinds/` and one line here."""

from pipelines.kinds import eurostat, figure_sheet, spreadsheet
from pipelines.kinds.base import Source, SourceKind
from pipelines.layout import Layout
from pipelines.problems import BadInputError, Problem

KINDS: tuple[SourceKind, ...] = (
    figure_sheet.KIND,
    spreadsheet.KIND,
    eurostat.KIND,
)


def discover_sources(layout: Layout) -> list[tuple[SourceKind, Source]]:
    """Every source of every kind, each with a distinct source id (two files cannot share one)."""
    found = [(kind, source) for kind in KINDS for source in kind.discover(layout)]
    seen: dict[str, Source] = {}
    problems = []
    for _, source in found:
        if source.source_id in seen:
            first = layout.relative(seen[source.source_id].path)
            problems.append(
                Problem(layout.relative(source.path), None, None, None, f"a file name distinct from {first}")
            )
        seen[source.source_id] = source
    if problems:
        raise BadInputError(problems)
    return found
