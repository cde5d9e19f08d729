"""Rebuild the shipped snapshots from published Eurostat values: `python -m pipelines.eurostat.reconstruct REF_DIR`.

REF_DIR is the reference folder `eurostat/` (raw JSON-stat responses and `totals.csv`). The documents written
are JSON-stat 2.0, labelled in their records as reconstructed, with the original query URLs. Choices (see the
README, "Shipped snapshots"):

- migr_eipre: every cell of the archived 2010-2022 response, plus the 2023 totals of the CH/PT/SE response.
- migr_eiord, migr_eirtn, migr_eirfs: only the `totals.csv` rows read from raw exports (data-browser CSV,
  SDMX-CSV). Figures quoted in articles are rounded in the text, not dataset cells: they are left out.
- Where two raw exports of different vintages give one cell (migr_eirfs 2014-2016), the newer export wins,
  because Eurostat revises its series; the older values that differ are listed in the record (`superseded`).
"""

import csv
import hashlib
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import yaml

from pipelines.layout import default_layout
from pipelines.provenance import sidecar_path
from pipelines.sources import Dataset, read_registry

EIPRE_MAIN = "eurostat_migr_eipre.json"
EIPRE_2023 = "eurostat_migr_eipre_CH_PT_SE_2010_2023.json"
ARCHIVE_NOTE = (
    "Reconstructed from published Eurostat values: not Eurostat's own bytes but a JSON-stat 2.0 document "
    "written from the values of raw Eurostat files archived in public repositories (see origins)."
)
EXPORTS = {
    "dw-data": {
        "query_url": "http://appsso.eurostat.ec.europa.eu/nui/show.do?dataset={dataset}&lang=en",
        "retrieved": "2018-03-27",
        "note": "Value read from a raw Eurostat data-browser (appsso) CSV export, c. 2017 vintage (export date "
        "not recorded; archived in GitHub dw-data/quantify-europe_asylum-seekers @ 57bbef82, only commit "
        "2018-03-27). Later Eurostat revisions are not reflected.",
    },
    "natix-x": {
        "query_url": "https://ec.europa.eu/eurostat/databrowser/view/{dataset}/default/table?lang=en",
        "retrieved": "2025-03-24",
        "note": "Value read from a raw Eurostat SDMX-CSV download (ESTAT:MIGR_EIRFS$DEFAULTVIEW(1.0), download "
        "date not recorded; first committed 2025-03-24 in GitHub natix-x/Data-mining-in-Migration-Analysis).",
    },
}
FIXED = {
    "migr_eiord": {"freq": "A", "citizen": "TOTAL", "unit": "PER"},
    "migr_eirtn": {"freq": "A", "citizen": "TOTAL", "unit": "PER"},
    "migr_eirfs": {"freq": "A", "citizen": "TOTAL", "reason": "TOTAL", "unit": "PER"},
}


def _export_of(row: dict) -> str | None:
    url = row["source_url"]
    return next((name for name in EXPORTS if url.startswith(f"https://github.com/{name}/")), None)


def _document(label: str, dimensions: dict[str, list[str]], cells: dict[tuple, tuple], updated: str | None) -> dict:
    """A JSON-stat 2.0 dataset from {(code per dimension...): (value, flag)}."""
    ids = list(dimensions)
    sizes = [len(codes) for codes in dimensions.values()]
    position = [{code: i for i, code in enumerate(codes)} for codes in dimensions.values()]
    values, status = {}, {}
    for key, (value, flag) in cells.items():
        index = 0
        for d, code in enumerate(key):
            index = index * sizes[d] + position[d][code]
        values[str(index)] = value
        if flag:
            status[str(index)] = flag
    order = sorted(values, key=int)
    document = {"version": "2.0", "class": "dataset", "label": label, "source": "ESTAT"}
    if updated:
        document["updated"] = updated
    document |= {
        "value": {k: values[k] for k in order},
        "status": {k: status[k] for k in sorted(status, key=int)},
        "id": ids,
        "size": sizes,
        "dimension": {
            name: {"label": name, "category": {"index": {code: i for i, code in enumerate(codes)}}}
            for name, codes in dimensions.items()
        },
        "extension": {"reconstructed": True, "note": ARCHIVE_NOTE},
    }
    return document


def _cells_of(document: dict) -> dict[tuple, tuple]:
    ids, sizes = document["id"], document["size"]
    codes = [
        [c for c, _ in sorted(document["dimension"][n]["category"]["index"].items(), key=lambda kv: kv[1])] for n in ids
    ]
    cells = {}
    for key, value in document["value"].items():
        index, key_codes = int(key), []
        for d in reversed(range(len(ids))):
            key_codes.append(codes[d][index % sizes[d]])
            index //= sizes[d]
        cells[tuple(reversed(key_codes))] = (value, document.get("status", {}).get(key))
    return cells


def eipre(reference: Path) -> tuple[dict, dict]:
    main = json.loads((reference / EIPRE_MAIN).read_bytes())
    later = json.loads((reference / EIPRE_2023).read_bytes())
    cells = _cells_of(main)
    for key, cell in _cells_of(later).items():
        time = key[main["id"].index("time")]
        if time in main["dimension"]["time"]["category"]["index"]:
            if cells.get(key) != cell:
                raise ValueError(f"{key}: the two responses disagree ({cells.get(key)} vs {cell})")
        else:
            cells[key] = cell
    dimensions = {
        n: [c for c, _ in sorted(main["dimension"][n]["category"]["index"].items(), key=lambda kv: kv[1])]
        for n in main["id"]
    }
    dimensions["time"] = sorted({key[-1] for key in cells})
    document = _document(main["label"], dimensions, cells, main["updated"])
    for name, dimension in document["dimension"].items():
        dimension["label"] = main["dimension"][name]["label"]
        dimension["category"]["label"] = {
            code: (main["dimension"][name]["category"].get("label") or {}).get(code, code) for code in dimensions[name]
        }
    repository = "raymondkuo/migration-healthcare-attitudes-evidence @ 187428a2 (evidence/api/)"
    meta = {
        "request_url": main_query(),
        "retrieved_at": "2026-08-18T00:00:00Z",
        "eurostat_updated": main["updated"],
        "origins": [
            {
                "time": [t for t in dimensions["time"] if t != "2023"],
                "source_url": main_query(),
                "note": f"Value from Eurostat's JSON-stat response {EIPRE_MAIN} archived in GitHub {repository}.",
            },
            {
                "time": ["2023"],
                "source_url": later_query(),
                "note": f"Value from Eurostat's JSON-stat response {EIPRE_2023} (PT, SE, CH totals only) archived "
                f"in GitHub {repository}.",
            },
        ],
    }
    return document, meta


def main_query() -> str:
    return (
        "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/migr_eipre?format=JSON&lang=EN"
        "&age=TOTAL&sex=T&unit=PER&citizen=TOTAL&sinceTimePeriod=2010&untilTimePeriod=2022"
    )


def later_query() -> str:
    return (
        "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data/migr_eipre?format=JSON&lang=EN"
        "&age=TOTAL&sex=T&unit=PER&citizen=TOTAL&reason=TOTAL&apprehen=TOTAL&geo=CH&geo=PT&geo=SE"
        "&sinceTimePeriod=2010&untilTimePeriod=2023"
    )


def from_exports(reference: Path, dataset: Dataset) -> tuple[dict, dict] | None:
    """The dataset's totals read from raw exports; the newer export wins where two give one cell."""
    with (reference / "totals.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["dataset"] == dataset.dataset and _export_of(r)]
    if not rows:
        return None
    by_cell: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for row in rows:
        export = _export_of(row)
        if export in by_cell[(row["geo"], row["year"])]:
            raise ValueError(f"two rows from {export} for {row}")
        by_cell[(row["geo"], row["year"])][export] = row
    newest = sorted(EXPORTS, key=lambda name: EXPORTS[name]["retrieved"], reverse=True)
    chosen, winners, superseded = {}, {}, []
    for (geo, year), found in sorted(by_cell.items()):
        winner = next(name for name in newest if name in found)
        chosen[(geo, year)], winners[(geo, year)] = found[winner], winner
        for name, row in found.items():
            if name != winner and row["value"] != found[winner]["value"]:
                superseded.append({"geo": geo, "time": year, "older_value": int(row["value"]),
                                   "older_export": name, "value_used": int(found[winner]["value"])})  # fmt: skip
    fixed = FIXED[dataset.dataset]
    dimensions = {**{n: [c] for n, c in fixed.items()}, "geo": sorted({g for g, _ in chosen}),
                  "time": sorted({y for _, y in chosen})}  # fmt: skip
    cells = {(*fixed.values(), g, y): (int(r["value"]), r["flag"] or None) for (g, y), r in chosen.items()}
    document = _document(dataset.title, dimensions, cells, None)
    exports_used = sorted(set(winners.values()), key=lambda name: EXPORTS[name]["retrieved"])
    latest = exports_used[-1]
    meta = {
        "request_url": EXPORTS[latest]["query_url"].format(dataset=dataset.dataset),
        "retrieved_at": f"{EXPORTS[latest]['retrieved']}T00:00:00Z",
        "eurostat_updated": None,
        "origins": [origin for export in exports_used for origin in _origins(dataset, export, winners)],
        "superseded": superseded,
    }
    return document, meta


def _origins(dataset: Dataset, export: str, winners: dict[tuple, str]) -> list[dict]:
    """Where each cell came from: whole years from one export, or the places of a year the export gave."""
    years = sorted({year for _, year in winners})
    whole = [y for y in years if all(name == export for (_, year), name in winners.items() if year == y)]
    common = {
        "source_url": EXPORTS[export]["query_url"].format(dataset=dataset.dataset),
        "note": EXPORTS[export]["note"],
    }
    origins = [{"time": whole, **common}] if whole else []
    for year in years:
        places = sorted(geo for (geo, y), name in winners.items() if y == year and name == export)
        if year not in whole and places:
            origins.append({"time": [year], "geo": places, **common})
    return origins


def write(dataset: Dataset, document: dict, meta: dict) -> Path:
    """Store the document as the dataset's snapshot, with its record."""
    body = (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    sha = hashlib.sha256(body).hexdigest()
    stamp = meta["retrieved_at"].replace("-", "").replace(":", "")
    dataset.snapshot_dir.mkdir(parents=True, exist_ok=True)
    target = dataset.snapshot_dir / f"{stamp}_{sha[:12]}.json"
    target.write_bytes(body)
    record = {
        "dataset": dataset.dataset,
        "source_id": dataset.source_id,
        "format": "jsonstat",
        "request_url": meta["request_url"],
        "retrieved_at": meta["retrieved_at"],
        "sha256": sha,
        "size_bytes": len(body),
        "content_type": "application/json",
        "license": dataset.license,
        "eurostat_updated": meta["eurostat_updated"],
        "dimensions": document["id"],
        "reconstructed": True,
        "reconstructed_at": datetime.now(UTC).date().isoformat(),
        "reconstruction_note": ARCHIVE_NOTE + " Rebuilt with `python -m pipelines.eurostat.reconstruct`.",
        "origins": meta["origins"],
        **({"superseded": meta["superseded"]} if meta.get("superseded") else {}),
    }
    sidecar_path(target).write_text(
        yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8"
    )
    return target


def main(reference: Path) -> None:
    for dataset in read_registry(default_layout()).datasets:
        built = eipre(reference) if dataset.dataset == "migr_eipre" else from_exports(reference, dataset)
        if built is None:
            print(f"{dataset.dataset}: no values from raw files; no snapshot written")
            continue
        print(f"{dataset.dataset}: {write(dataset, *built)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
