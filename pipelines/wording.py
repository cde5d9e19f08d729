"""Plain-English wording of periods, places and ratios, shared by charts and reports."""

import re
from collections.abc import Iterable
from datetime import date

from pipelines import vocabulary

RATIO_PREFIX = {
    "exact": "",
    "approximate": "about ",
    "lower_bound": "at least ",
    "upper_bound": "at most ",
    "indeterminate": "roughly ",
}


def place(jurisdiction: str, subdivision: str | None) -> str:
    """'Kazakhstan' or 'Astana (city), Kazakhstan'."""
    name = vocabulary.jurisdiction_name(jurisdiction) or jurisdiction
    return f"{subdivision}, {name}" if subdivision else name


def place_slug(jurisdiction: str, subdivision: str | None) -> str:
    """Stable file-name part: 'kaz' or 'kaz_astana_city'."""
    slug = jurisdiction.lower()
    if subdivision:
        slug += "_" + "_".join("".join(c if c.isalnum() else " " for c in subdivision.lower()).split())
    return slug


def period(start: date | None, end: date) -> str:
    """'2008' for a calendar year, '24 Jul 2017' for one day, '1 Apr 2019 – 31 Mar 2020' otherwise, or the end
    date of an operation."""
    if start is None:
        return f"operation reported on {end:%-d %b %Y} (start date not stated)"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start == end:
        return f"{start:%-d %b %Y}"
    return f"{start:%-d %b %Y} – {end:%-d %b %Y}"


def period_slug(start: date | None, end: date) -> str:
    """Stable file-name part: '2008', '2019-04-01_2020-03-31' or 'to_2018-09-25'."""
    if start is None:
        return f"to_{end:%Y-%m-%d}"
    text = period(start, end)
    return text if text.isdigit() else f"{start:%Y-%m-%d}_{end:%Y-%m-%d}"


def number(value: float) -> str:
    """A ratio as people say it: whole numbers from 10 up, one decimal below."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")


def ratio_sentence(ratio: float, qualifier: str, migrants_measure: str, employers_measure: str) -> str:
    """'76 foreigners arrested for every employer held liable' (or the inverse when employers outnumber)."""
    migrants = vocabulary.measures()[(migrants_measure, "migrants")]
    employers = vocabulary.measures()[(employers_measure, "employers")]
    if ratio >= 1 or ratio == 0:  # a zero has no inverse: "0 foreigners ... for every employer"
        return (
            f"{RATIO_PREFIX.get(qualifier, '')}{counted(number(ratio), migrants)} for every {employers.label_singular}"
        )
    inverse = {"lower_bound": "upper_bound", "upper_bound": "lower_bound"}.get(qualifier, qualifier)
    return f"{RATIO_PREFIX.get(inverse, '')}{counted(number(1 / ratio), employers)} for every {migrants.label_singular}"


def counted(shown: str, measure: vocabulary.Measure) -> str:
    """A number as shown ('76', '1,800') with the measure's words: '76 foreigners arrested', and the singular
    where the number reads as one ('1 employer held liable')."""
    return f"{shown} {measure.label_singular if shown == '1' else measure.label}"


def measure_definitions(measures: Iterable[tuple[str, str]], short: bool = False) -> str:
    """'Foreigners arrested: foreigners taken into custody or apprehended.' for each (measure, target group) once.

    `short` keeps only each definition's main clause (no brackets, examples or second sentence): the plain words
    a chart's reader needs; the full definitions are in the `measures` table and the report's methods section.
    """
    return " ".join(measure_sentences(measures, short))


def measure_sentences(measures: Iterable[tuple[str, str]], short: bool = False) -> list[str]:
    """The sentences of `measure_definitions`, one per measure."""
    sentences = []
    for key in dict.fromkeys(measures):
        label = vocabulary.measures()[key].label
        sentences.append(f"{label[:1].upper()}{label[1:]}: {measure_definition(*key, short=short)}")
    return sentences


def measure_definition(measure: str, target_group: str, short: bool = False) -> str:
    """A measure's definition from the vocabulary, starting in lower case; `short`: its main clause only."""
    definition = vocabulary.measures()[(measure, target_group)].definition
    while short and re.search(r"\([^()]*\)", definition):  # innermost brackets first: '(FIDH: 'x (y)')'
        definition = re.sub(r"\s*\([^()]*\)", "", definition)
    if short:
        definition = re.split(r"; |, e\.g\.|, incl\.|\. ", definition.rstrip("."))[0] + "."
    return definition[:1].lower() + definition[1:]
