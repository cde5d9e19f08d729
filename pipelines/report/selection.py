"""Which part of the data a report pack covers: some jurisdictions, some years, or everything."""

from dataclasses import dataclass
from datetime import date

from pipelines import wording


@dataclass(frozen=True)
class Selection:
    """Jurisdictions (ISO 3166-1 alpha-3; none means all) and the years a period must lie within (inclusive)."""

    jurisdictions: tuple[str, ...] = ()
    first_year: int | None = None
    last_year: int | None = None

    @classmethod
    def parse(cls, jurisdictions: str | list[str] | None, first_year: int | None, last_year: int | None) -> "Selection":
        """A selection from 'KAZ,RUS' (or a list of codes) and optional years; raises ValueError on nonsense."""
        if isinstance(jurisdictions, str):
            jurisdictions = jurisdictions.split(",")
        codes = tuple(dict.fromkeys(code.strip().upper() for code in jurisdictions or [] if code.strip()))
        for code in codes:
            if len(code) != 3 or not code.isalpha():
                raise ValueError(f"jurisdiction {code!r}: expected an ISO 3166-1 alpha-3 code such as KAZ")
        if first_year is not None and last_year is not None and first_year > last_year:
            raise ValueError(f"--from {first_year} is after --to {last_year}: expected from <= to")
        return cls(codes, first_year, last_year)

    @property
    def everything(self) -> bool:
        return not self.jurisdictions and self.first_year is None and self.last_year is None

    def covers(self, jurisdiction: str, period_start: date | None, period_end: date) -> bool:
        """Whether a figure for this place and period belongs in the pack (the whole period inside the years)."""
        if self.jurisdictions and jurisdiction not in self.jurisdictions:
            return False
        first = (period_start or period_end).year
        if self.first_year is not None and first < self.first_year:
            return False
        return self.last_year is None or period_end.year <= self.last_year

    def sql(self) -> tuple[str, list]:
        """The same test as a SQL condition on jurisdiction, period_start and period_end, with its parameters."""
        conditions, parameters = ["TRUE"], []
        if self.jurisdictions:
            conditions.append("list_contains(?, jurisdiction)")
            parameters.append(list(self.jurisdictions))
        if self.first_year is not None:
            conditions.append("year(coalesce(period_start, period_end)) >= ?")
            parameters.append(self.first_year)
        if self.last_year is not None:
            conditions.append("year(period_end) <= ?")
            parameters.append(self.last_year)
        return " AND ".join(conditions), parameters

    def slug(self) -> str:
        """A folder name for the selection: 'kaz_rus_2008-2015'."""
        parts = [code.lower() for code in self.jurisdictions]
        if self.first_year is not None or self.last_year is not None:
            parts.append(f"{self.first_year or ''}-{self.last_year or ''}")
        return "_".join(parts) or "everything"

    def describe(self) -> str:
        """'Kazakhstan and Russia, 2008–2015' or 'every jurisdiction, every period'."""
        names = [wording.place(code, None) for code in self.jurisdictions]
        places = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else "".join(names)
        if self.first_year is None and self.last_year is None:
            years = "every period"
        elif self.first_year is None:
            years = f"periods up to {self.last_year}"
        elif self.last_year is None:
            years = f"periods from {self.first_year}"
        else:
            years = f"{self.first_year}–{self.last_year}"
        return f"{places or 'every jurisdiction'}, {years}"


EVERYTHING = Selection()
