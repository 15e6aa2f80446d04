"""What the builders read, behind small interfaces (adapters implement them on AWS, tests with plain lists).

Records from other services are normalised here, tolerantly: a builder works with whatever records exist, and a
record it cannot use is skipped (and counted), never guessed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping, Protocol

from customs.hs import Nomenclature
from customs.hs.national import NationalSchedule


@dataclass(frozen=True)
class ClassificationRequest:
    """One guided classification session, reduced to what the statistics need (no text, no identity)."""

    month: str  # YYYY-MM
    chapter: str  # two digits


@dataclass(frozen=True)
class VehicleImport:
    month: str  # YYYY-MM
    make: str
    fuel: str


class SessionSource(Protocol):
    def sessions(self) -> Iterable[Mapping[str, Any]]:
        """Raw session items: ``{"session_id", "created_at", "state": dict | JSON string}``."""
        ...


class VehicleRecordSource(Protocol):
    def records(self) -> Iterable[Mapping[str, Any]]:
        """Vehicle records or events in whatever shape the producing service writes them."""
        ...


class Inputs(Protocol):
    """Everything a builder may read; each builder declares which named inputs it depends on."""

    def nomenclature(self) -> Nomenclature: ...
    def schedule(self) -> NationalSchedule: ...
    def classification_requests(self) -> Iterable[ClassificationRequest]: ...
    def vehicle_imports(self) -> Iterable[VehicleImport]: ...


# --- normalisation ---------------------------------------------------------------------------------------


def month_of(value: Any) -> str | None:
    """'YYYY-MM' of an ISO date/time string or an epoch (s or ms); None when it is not a date."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        try:
            return datetime.fromtimestamp(number, tz=timezone.utc).strftime("%Y-%m")
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() and 1 <= int(text[5:]) <= 12:
                return text  # already YYYY-MM
            return None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc)
        return parsed.strftime("%Y-%m")
    return None


def _state_of(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    state = item.get("state")
    if isinstance(state, str):
        try:
            state = json.loads(state)
        except json.JSONDecodeError:
            return None
    return state if isinstance(state, Mapping) else None


def classification_request_of(item: Mapping[str, Any]) -> ClassificationRequest | None:
    """A guided session → (month, chapter of its result, or of its leading candidate while unfinished)."""
    state = _state_of(item)
    if state is None:
        return None
    month = month_of(item.get("created_at") or state.get("created_at"))
    chosen = (state.get("national") or {}).get("chosen") if isinstance(state.get("national"), Mapping) else None
    code = str(chosen) if chosen else None
    if code is None:
        weights = state.get("weights") or {}
        if isinstance(weights, Mapping) and weights:
            code = str(max(sorted(weights), key=lambda k: float(weights[k])))
        else:
            candidates = state.get("candidates") or []
            if candidates and isinstance(candidates[0], Mapping):
                code = str(candidates[0].get("hs6") or candidates[0].get("code") or "")
    chapter = "".join(ch for ch in (code or "") if ch.isdigit())[:2]
    if month is None or len(chapter) != 2 or not ("01" <= chapter <= "99"):
        return None
    return ClassificationRequest(month=month, chapter=chapter)


_MAKE_FIELDS = ("make", "brand", "manufacturer", "vehicle_make")
_FUEL_FIELDS = ("fuel", "fuel_type", "fuelType", "propulsion", "energy")
_DATE_FIELDS = ("clearance_date", "import_date", "imported_at", "declared_at", "declaration_date", "cleared_at", "registered_at", "received_at", "created_at", "date", "time", "timestamp")
_FUELS = {
    "petrol": "petrol", "gasoline": "petrol", "gas": "petrol", "benzin": "petrol",
    "diesel": "diesel",
    "electric": "electric", "ev": "electric", "bev": "electric", "battery electric": "electric",
    "hybrid": "hybrid", "hev": "hybrid", "phev": "plug-in hybrid", "plug-in hybrid": "plug-in hybrid", "plugin hybrid": "plug-in hybrid",
    "plug in hybrid": "plug-in hybrid",
    "lpg": "lpg", "cng": "cng", "hydrogen": "hydrogen", "fcev": "hydrogen",
}


_NESTED = ("detail", "payload", "record", "data", "vehicle", "engine")


def _flatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's own fields, plus those nested under an event envelope (`detail`, `payload`), a stored item's
    `data` (also as a JSON string, as pynamodb's JSONAttribute keeps it), a `vehicle` or an `engine` object."""
    merged: dict[str, Any] = {}
    for nested in _NESTED:
        value = record.get(nested)
        if isinstance(value, str) and value.startswith("{"):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = None
        if isinstance(value, Mapping):
            merged.update(_flatten(value))
    merged.update({k: v for k, v in record.items() if not isinstance(v, Mapping) and k not in _NESTED})
    return merged


def vin_of(record: Mapping[str, Any]) -> str | None:
    vin = _flatten(record).get("vin")
    return vin.strip().upper() if isinstance(vin, str) and vin.strip() else None


def _first(fields: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    return next((fields[n] for n in names if fields.get(n) not in (None, "")), None)


def vehicle_import_of(record: Mapping[str, Any]) -> VehicleImport | None:
    fields = _flatten(record)
    make, fuel, when = _first(fields, _MAKE_FIELDS), _first(fields, _FUEL_FIELDS), _first(fields, _DATE_FIELDS)
    month = month_of(when)
    if not isinstance(make, str) or not make.strip() or not isinstance(fuel, str) or not fuel.strip() or month is None:
        return None
    fuel_key = " ".join(fuel.strip().lower().replace("_", " ").split())
    return VehicleImport(month=month, make=" ".join(make.split()).upper(), fuel=_FUELS.get(fuel_key, fuel_key))


def parse_records(data: bytes) -> Iterator[Mapping[str, Any]]:
    """JSON Lines, a JSON array or one JSON object; unparseable lines are skipped."""
    text = data.decode("utf-8-sig").strip()
    if not text:
        return
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None  # JSON Lines (or damaged): read line by line
    if isinstance(whole, list):
        yield from (item for item in whole if isinstance(item, Mapping))
        return
    if isinstance(whole, Mapping):
        yield whole
        return
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, Mapping):
            yield item


class LedgerStore(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def put(self, key: str, data: bytes, content_type: str, cache_control: str | None = None) -> None: ...
    def keys(self, prefix: str) -> Iterable[str]: ...


class SessionLedger:
    """Guided sessions expire a day after their last answer; the monthly statistics must not shrink with them.

    The ledger remembers, per month, each session seen (by a hash of its id, never its text) and the chapter it
    last counted under, in private objects ``<prefix><YYYY-MM>.json``. Sessions still in the table override
    what the ledger holds (an unfinished session's leading chapter can change); a month's object is rewritten
    only when it changed, so an unchanged rebuild writes nothing here either.
    """

    def __init__(self, store: LedgerStore, prefix: str = "ledger/classification_sessions/") -> None:
        self.store, self.prefix = store, prefix

    @staticmethod
    def _id(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()[:20]

    def merge(self, seen: Iterable[tuple[str, ClassificationRequest]]) -> list[ClassificationRequest]:
        current: dict[str, dict[str, str]] = {}
        for session_id, request in seen:
            current.setdefault(request.month, {})[self._id(session_id)] = request.chapter
        months = {key[len(self.prefix) : -len(".json")] for key in self.store.keys(self.prefix) if key.endswith(".json")}
        result: list[ClassificationRequest] = []
        for month in sorted(months | set(current)):
            key = f"{self.prefix}{month}.json"
            raw = self.store.get(key) if month in months else None
            stored: dict[str, str] = json.loads(raw)["sessions"] if raw else {}
            merged = {**stored, **current.get(month, {})}
            if merged != stored:
                body = json.dumps({"month": month, "sessions": dict(sorted(merged.items()))}, separators=(",", ":")).encode()
                self.store.put(key, body, "application/json")
            result += [ClassificationRequest(month, chapter) for chapter in merged.values()]
        return result


class SourceInputs:
    """``Inputs`` over the platform's sources; each is read at most once per build run (then cached)."""

    def __init__(
        self,
        sessions: SessionSource,
        vehicles: Iterable[VehicleRecordSource],
        nomenclature: Any = None,
        schedule: Any = None,
        ledger: SessionLedger | None = None,
    ) -> None:
        self._sessions = sessions
        self._ledger = ledger
        self._vehicles = tuple(vehicles)
        self._nomenclature_loader = nomenclature
        self._schedule_loader = schedule
        self._cache: dict[str, Any] = {}
        self.skipped: dict[str, int] = {"sessions": 0, "vehicles": 0}

    def nomenclature(self) -> Nomenclature:
        if "nomenclature" not in self._cache:
            from customs.hs import get_nomenclature

            self._cache["nomenclature"] = (self._nomenclature_loader or get_nomenclature)()
        return self._cache["nomenclature"]

    def schedule(self) -> NationalSchedule:
        if "schedule" not in self._cache:
            from customs.hs.national import get_bundled_schedule

            self._cache["schedule"] = (self._schedule_loader or get_bundled_schedule)()
        return self._cache["schedule"]

    def classification_requests(self) -> list[ClassificationRequest]:
        if "requests" not in self._cache:
            seen: list[tuple[str, ClassificationRequest]] = []
            for item in self._sessions.sessions():
                request = classification_request_of(item)
                if request is None:
                    self.skipped["sessions"] += 1
                else:
                    seen.append((str(item.get("session_id") or len(seen)), request))
            self._cache["requests"] = self._ledger.merge(seen) if self._ledger else [r for _, r in seen]
        return self._cache["requests"]

    def vehicle_imports(self) -> list[VehicleImport]:
        if "vehicles" not in self._cache:
            result = []
            vins: set[str] = set()  # a vehicle in several sources (table and extracts) counts once
            for source in self._vehicles:
                for record in source.records():
                    vehicle, vin = vehicle_import_of(record), vin_of(record)
                    if vehicle is None:
                        self.skipped["vehicles"] += 1
                    elif vin is None or vin not in vins:
                        result.append(vehicle)
                        vins.update([vin] if vin else [])
            self._cache["vehicles"] = result
        return self._cache["vehicles"]
