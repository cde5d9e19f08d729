"""Eurostat geo codes → ISO 3166-1 alpha-3, or a declared aggregate (pipelines/vocabulary/aggregates.csv)."""

import pycountry

from pipelines import vocabulary

# Eurostat uses EL for Greece and UK for the United Kingdom where ISO 3166-1 has GR and GB
# (Eurostat glossary "Country codes": https://ec.europa.eu/eurostat/statistics-explained/index.php?title=Glossary:Country_codes).
EUROSTAT_EXCEPTIONS = {"EL": "GRC", "UK": "GBR"}


def jurisdiction_for(geo: str) -> str | None:
    """The jurisdiction code for a Eurostat geo code, or None when it is neither a country nor a declared aggregate."""
    if geo in vocabulary.aggregates():
        return geo
    if geo in EUROSTAT_EXCEPTIONS:
        return EUROSTAT_EXCEPTIONS[geo]
    country = pycountry.countries.get(alpha_2=geo) if len(geo) == 2 and geo.isalpha() and geo.isupper() else None
    return country.alpha_3 if country else None
