"""Handover: the complete event history to a folder with a manifest, and back into an empty installation."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from reference.vocabularies import Vocabularies, dump, parse
from schemas import vocabulary
from schemas.topics import INCIDENTS
from services.casework.adapters import repository as repo
from services.casework.domain.roles import User
from services.embedded import EmbeddedRuntime
from services.messaging.embedded import records
from services.messaging.ports import Message
from services.private_files import open_private, private_file, private_folder, write_private
from services.reporting.adapters.log_source import history_of
from services.reporting.domain.events import History
from services.reporting.rebuild import RebuildError, rebuild
from services.reporting.withheld import corrections, people_withheld, withdrawals, without
from services.sealing import is_sealed
from services.sla_monitor.adapters import policy_file
from services.vault import IdentityVault, WrongKey

FORMAT = "hrcase-export/1"
EVENTS, USERS, POLICY, MANIFEST = "events.jsonl", "users.jsonl", "sla_policy.toml", "manifest.json"
VOCABULARIES = "vocabularies.json"  # the terms in effect: events may name an admin's additions (ADR 14)


class HandoverError(Exception):
    """The export is incomplete or altered, or the installation cannot take it; nothing was changed."""


def _messages(runtime: EmbeddedRuntime) -> Iterator[Message]:
    with runtime.log.engine.connect() as conn:
        for row in conn.execute(select(records).order_by(records.c.offset)):
            yield Message(row.topic, 0, row.offset, row.key, row.value, json.loads(row.headers))


def _line(message: Message, number: int | None = None) -> str:
    """One record; `number`: its place in an export from Kafka, where `kafka` keeps its partition and offset there
    (a dead letter names its source by them)."""
    record: dict[str, Any] = {"offset": message.offset, "topic": message.topic, "key": message.key,
                              "headers": message.headers}
    if number is not None:
        record["offset"] = number
        record["kafka"] = {"partition": message.partition, "offset": message.offset}
    try:
        record["value"] = message.value.decode("utf-8")
    except UnicodeDecodeError:
        record["value_b64"] = base64.b64encode(message.value).decode()
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def export(runtime: EmbeddedRuntime, folder: Path) -> dict[str, Any]:
    """Write events.jsonl (every log record, in order), users.jsonl, sla_policy.toml, vocabularies.json and
    manifest.json."""
    return write_export(folder, _messages(runtime), runtime.casework.read(repo.list_users),
                        runtime.settings.policy_path, runtime.sla.policy.version, vault=runtime.vault)


def write_export(folder: Path, messages: Iterable[Message], users: Sequence[User], policy_path: Path | None,
                 policy_version: str, renumber: bool = False, vault: IdentityVault | None = None) -> dict[str, Any]:
    """The export of either layout: `messages` in the one order it keeps; `renumber` (records read from Kafka) numbers
    them 1, 2, ... as the embedded log does, each keeping its Kafka position beside. People who withdrew their
    consent to sharing leave their identities out, and corrected identities replace the old
    (services.reporting.withheld; `vault` opens and re-seals them)."""
    if folder.exists() and any(folder.iterdir()):
        raise HandoverError(f"{folder} is not empty")
    private_folder(folder)  # every event of every case, identities sealed: for the operator's account only
    topics: Counter = Counter()
    types: Counter = Counter()
    messages = list(messages)  # read twice: whose consent was withdrawn, then every record
    withheld, corrected = withdrawals(messages), corrections(messages, vault)
    with open_private(folder / EVENTS, "w", encoding="utf-8") as out:
        for number, message in enumerate((without(m, withheld, vault, corrected) for m in messages), start=1):
            topics[message.topic] += 1
            types[message.headers.get("type", "(raw record)")] += 1
            out.write(_line(message, number if renumber else None) + "\n")
    write_private(folder / USERS, "".join(json.dumps(asdict(u), sort_keys=True) + "\n" for u in users))
    shutil.copyfile(policy_path or policy_file.default_policy_path(), private_file(folder / POLICY))
    terms = vocabulary.current()
    write_private(folder / VOCABULARIES, json.dumps(dump(terms), ensure_ascii=False, indent=1) + "\n")
    manifest = {
        "format": FORMAT, "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": sum(topics.values()), "topics": dict(sorted(topics.items())),
        "event_types": dict(sorted(types.items())), "users": len(users), "policy_version": policy_version,
        "vocabularies_version": terms.version, "people_withheld": people_withheld(withheld),
        "files": {name: _file_facts(folder / name) for name in (EVENTS, USERS, POLICY, VOCABULARIES)},
    }
    write_private(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _file_facts(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "lines": data.count(b"\n")}


def verify(folder: Path) -> dict[str, Any]:
    """The manifest, once every file's checksum and every count agrees with it."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise HandoverError(f"{folder / MANIFEST}: cannot read it ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise HandoverError(f"{folder}: not an hrcase export ({manifest.get('format')!r}, expected {FORMAT})")
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.exists():
            raise HandoverError(f"{path} is missing")
        if _file_facts(path) != expected:
            raise HandoverError(f"{path} does not match the manifest (checksum or size differs): altered or truncated")
    counted = Counter(m.topic for m in read_messages(folder))
    if dict(counted) != manifest["topics"]:
        raise HandoverError(f"{folder / EVENTS}: records per topic {dict(counted)} differ from the manifest")
    return manifest


def read_messages(folder: Path) -> Iterator[Message]:
    with (folder / EVENTS).open(encoding="utf-8") as lines:
        for line in lines:
            r = json.loads(line)
            value = r["value"].encode("utf-8") if "value" in r else base64.b64decode(r["value_b64"])
            yield Message(r["topic"], 0, r["offset"], r["key"], value, r["headers"])


def read_positions(folder: Path) -> dict[int, tuple[int, int]]:
    """The Kafka partition and offset of each record of an export from Kafka, by its offset in the export."""
    positions = {}
    with (folder / EVENTS).open(encoding="utf-8") as lines:
        for line in lines:
            r = json.loads(line)
            if "kafka" in r:
                positions[r["offset"]] = (r["kafka"]["partition"], r["kafka"]["offset"])
    return positions


def read_export(folder: Path) -> History:
    """The events of an export, for a report, once the manifest checks out."""
    return history_of(export_messages(folder))


def export_messages(folder: Path) -> Iterator[Message]:
    """The records of an export, one at a time, once the manifest checks out."""
    verify(folder)
    return read_messages(folder)


def read_users(folder: Path) -> list[User]:
    lines = (folder / USERS).read_text(encoding="utf-8").splitlines()
    return [User(**json.loads(line)) for line in lines if line.strip()]


@dataclass(frozen=True)
class RestoreResult:
    records: int
    users: int
    cases: int
    new_records: dict[str, int]  # emitted by the restored services beyond the export (normally none)

    def describe(self) -> str:
        text = f"restored {self.records:,} records, {self.users:,} users and {self.cases:,} cases"
        if self.new_records:
            extra = ", ".join(f"{t}: {n:,}" for t, n in sorted(self.new_records.items()))
            text += (f"\nnote: the restored services emitted records the source had not yet emitted ({extra}): "
                     "deadlines that fell due before the export's last event but had not been checked there")
        return text


def restore(runtime: EmbeddedRuntime, folder: Path) -> RestoreResult:
    """Put an export into an empty installation: the same log, and each service's state rebuilt from it."""
    manifest = verify(folder)
    if _has_records(runtime) or runtime.casework.read(repo.list_users):
        raise HandoverError(f"{runtime.settings.data_dir} is not empty: restore into a new data directory")
    exported = policy_file.load(folder / POLICY)
    if exported.version != runtime.sla.policy.version:
        raise HandoverError(f"the export was made under SLA policy {exported.version!r}, this installation runs "
                            f"{runtime.sla.policy.version!r}: start it with HRCASE_SLA_POLICY={folder / POLICY}")
    _check_vocabularies(folder)
    messages = list(read_messages(folder))
    _check_identity_key(runtime, messages)
    with runtime.log.engine.begin() as conn:
        for start in range(0, len(messages), 1000):
            conn.execute(insert(records), [
                {"offset": m.offset, "topic": m.topic, "key": m.key, "value": m.value,
                 "headers": json.dumps(m.headers, sort_keys=True), "event_id": m.headers.get("event_id")}
                for m in messages[start:start + 1000]])
    users = read_users(folder)
    try:
        cases = rebuild(runtime, messages, users, read_positions(folder))
    except RebuildError as exc:
        raise HandoverError(f"{exc}; remove {runtime.settings.data_dir} before trying again") from None
    counted = Counter(m.topic for m in _messages(runtime))
    new = {t: n - manifest["topics"].get(t, 0) for t, n in counted.items() if n != manifest["topics"].get(t, 0)}
    return RestoreResult(records=len(messages), users=len(users), cases=cases, new_records=new)


def _check_vocabularies(folder: Path) -> None:
    """The export's terms must all be this installation's (an export from before the file was kept: the shipped)."""
    if not (folder / VOCABULARIES).exists():
        return
    exported: Vocabularies = parse(json.loads((folder / VOCABULARIES).read_text(encoding="utf-8")))
    here = vocabulary.current()
    missing = [f"{name}.{code}" for name, terms in exported.vocabularies.items()
               for code in terms.codes(include_retired=True)
               if name not in here.vocabularies or code not in here[name].codes(include_retired=True)]
    if missing:
        raise HandoverError(f"the export's events may name terms this installation lacks ({', '.join(missing)}): "
                            f"start it with HRCASE_VOCABULARIES={folder / VOCABULARIES} (a copy kept with the "
                            "settings) and try again")


def _check_identity_key(runtime: EmbeddedRuntime, messages: list[Message]) -> None:
    """The export's identities are sealed (ADR 10): this installation must hold a key that opens them."""
    for message in messages:
        if message.topic != INCIDENTS:
            continue
        sealed = json.loads(message.value).get("payload", {}).get("identities")
        if not is_sealed(sealed):
            continue
        try:
            runtime.vault.decrypt(sealed)
        except WrongKey:
            raise HandoverError("the export's identities are sealed with an identity key this installation does not "
                                "hold: set HRCASE_IDENTITY_KEY to the exporting installation's key (or copy its "
                                "identity.key into the new data dir) and try again") from None
        return


def _has_records(runtime: EmbeddedRuntime) -> bool:
    with runtime.log.engine.connect() as conn:
        return conn.execute(select(records.c.offset).limit(1)).first() is not None
