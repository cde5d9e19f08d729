"""Bad input as a Dagster failure."""

import dagster as dg

from pipelines.markdown import problems_markdown
from pipelines.problems import BadInputError


def failure(error: BadInputError) -> dg.Failure:
    """A Dagster failure whose message names file, row, column and what was expected."""
    return dg.Failure(
        description=str(error),
        metadata={"problems": dg.MetadataValue.md(problems_markdown(error.problems))},
    )
