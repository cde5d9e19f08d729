"""The chart assets the pipeline draws, and what a reader sees in each (read by the assets and the report)."""

# asset name → (what a reader sees in it, file names it writes)
CHART_ASSETS = {
    "headline_kaz_2008": (
        "The motivating comparison: Kazakhstan 2008, foreigners arrested and deported against employers held liable "
        "(FIDH), with the ratio in words and the source line built from the plotted rows.",
        "headline_kaz_2008.{svg,png,pdf,csv}",
    ),
    "headline_comparisons": (
        "One headline chart for every other place and period that has a migrants-vs-employers pair with a ratio: "
        "each figure of a comparable pair as a bar, every ratio in words.",
        "headline_<place>_<period>.{svg,png,pdf,csv}",
    ),
    "ratio_over_time": (
        "For each place with two or more comparable periods: the migrants-per-employer ratio of each period's "
        "headline pair, drawn across the period it covers.",
        "ratio_over_time_<place>.{svg,png,pdf,csv}",
    ),
    "cross_jurisdiction": (
        "Every country's latest comparable period side by side: the migrants-side and employers-side figures on one "
        "axis (logarithmic where the range needs it) and the ratio beside them.",
        "cross_jurisdiction_latest.{svg,png,pdf,csv}",
    ),
    "europe_latest": (
        "Every European state with a pair, its latest period: the migrants-side figure (from the employer "
        "figure's own document where there is one, else Eurostat's persons found illegally present) against the "
        "employer-side figure, with the ratio, both breakdowns and each side's source type.",
        "europe_latest.{svg,png,pdf,csv}",
    ),
    "coverage_matrix": (
        "Which jurisdiction-years have figures on migrants, on employers, or both, whether each side has an "
        "official figure, and where a like-for-like pair exists: where the evidence is thin.",
        "coverage_matrix.{svg,png,pdf,csv}",
    ),
    "eurostat_series": (
        "For each country with Eurostat enforcement statistics: third-country nationals found illegally present, "
        "ordered to leave, returned and refused entry, by year, with Eurostat's flags explained.",
        "eurostat_<country>.{svg,png,pdf,csv}",
    ),
}
