"""What a report is made of: its scope, the targets it measures against, tables, charts and sections."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import islice
from typing import Any, overload


@dataclass(frozen=True)
class Pct:
    """A share, shown as a percentage (None when there is nothing to divide by)."""

    value: float | None


Cell = str | int | float | Pct | None


class LazyRows(Sequence[tuple[Any, ...]]):
    """A table's rows made each time they are read (a list of millions is written, not held): `count` of them;
    `plain`: every cell a string or a number, written to CSV as it is; `lines`: the same rows already written as CSV
    lines where they are kept so (None from it, or no `lines`: write them from the rows)."""

    def __init__(self, count: int, rows: Callable[[], Iterator[tuple[Any, ...]]], plain: bool = False,
                 lines: Callable[[], Iterator[str] | None] | None = None) -> None:
        self.size, self.rows, self.plain, self._lines = count, rows, plain, lines

    def lines(self) -> Iterator[str] | None:
        return None if self._lines is None else self._lines()

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self.rows()

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same rows (a report equals another by its contents), compared row by row."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(other) == self.size and all(mine == theirs for mine, theirs in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    @overload
    def __getitem__(self, index: int) -> tuple[Any, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[Any, ...], ...]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.size)
            return tuple(islice(self.rows(), start, stop, step))
        if not -self.size <= index < self.size:
            raise IndexError(index)
        return next(islice(self.rows(), index % self.size, None))


@dataclass(frozen=True)
class Table:
    slug: str  # file name of its CSV
    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]  # each cell a Cell; a tuple, or LazyRows for a list of millions
    note: str = ""
    preview: int | None = None  # long lists: documents show this many rows, the CSV has them all
    numeric_columns: frozenset[int] = frozenset()  # columns known to hold a number in every row (not scanned)


@dataclass(frozen=True)
class Chart:
    """A stacked bar chart: one bar per category, one stack per series."""

    slug: str
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]
    ylabel: str = "cases"
    meanings: tuple[str, ...] = ()  # one bar's meaning per category ("on_time", "late", "overdue"): its colour


@dataclass(frozen=True)
class MapPoint:
    label: str
    latitude: float
    longitude: float
    count: int


@dataclass(frozen=True)
class PointMap:
    """Incidents as points on a frame of the country's extent (no boundaries): a circle per region at its seat, sized
    and labelled by its count, and a dot per incident at its own coordinates."""

    slug: str
    title: str
    bounds: Mapping[str, float]  # south, north, west, east
    regions: tuple[MapPoint, ...]
    incidents: tuple[MapPoint, ...] = ()
    unplaced: int = 0  # incidents whose place names no unit: in the table under "unknown region", not on the map


@dataclass(frozen=True)
class Section:
    title: str
    text: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    maps: tuple[PointMap, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    scope: tuple[tuple[str, str], ...]
    summary: tuple[str, ...]
    sections: tuple[Section, ...]
    figures: Mapping[str, float | int | None] = field(default_factory=dict)  # the key numbers, by name

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]

    def maps(self) -> list[PointMap]:
        return [m for s in self.sections for m in s.maps]


@dataclass(frozen=True)
class Targets:
    """The SLA policy's goals the report measures against (from the installation's policy file)."""

    policy_version: str
    recording_days: float = 4
    stall_days: Mapping[str, float] = field(
        default_factory=lambda: {"preliminary": 30, "investigation": 60, "concluded": 30})
    review_days: float = 90
    closure_days: float = 7


@dataclass(frozen=True)
class Scope:
    """Which incidents (reported from `start` to `end`, of `office`) and as at when."""

    as_of: datetime
    start: datetime | None = None
    end: datetime | None = None
    office: str | None = None
    cut_year: int | None = None  # "since YEAR or earlier"; default two years before as_of's year

    @property
    def cut(self) -> int:
        return self.cut_year if self.cut_year is not None else self.as_of.year - 2

    @cached_property  # asked of every case by the stage tables
    def cut_end(self) -> datetime:
        """The last instant of the cut year."""
        return datetime(self.cut + 1, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)

    def covers(self, reported_at: datetime, office: str) -> bool:
        return ((self.start is None or reported_at >= self.start) and (self.end is None or reported_at <= self.end)
                and reported_at <= self.as_of and (self.office is None or office == self.office))


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def end_of(day: date) -> datetime:
    """A date as the end of a period: its last microsecond (so "as at 30 June" includes 30 June)."""
    return start_of(day) + timedelta(days=1) - timedelta(microseconds=1)
