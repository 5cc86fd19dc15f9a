"""The messaging port's promises, checked by one suite on every log: the embedded SQLite log and Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from services.messaging.ports import Outgoing
from tests.contract.logs import LogUnderTest, as_published


def record(topic: str, key: str, n: int) -> Outgoing:
    return Outgoing(topic, key, f'{{"n": {n}, "key": "{key}"}}'.encode(),
                    {"event_id": str(uuid.uuid4()), "type": "ContractTested"})


def batch(topic: str, numbers: Iterable[int], keys: int = 4) -> list[Outgoing]:
    return [record(topic, f"case-{n % keys}", n) for n in numbers]


def test_records_come_back_with_the_key_value_bytes_and_headers_they_were_published_with(log: LogUnderTest) -> None:
    topic = log.topic("round-trip")
    sent = [
        Outgoing(topic, "c-1", b'{"type": "CaseRecorded"}', {"event_id": str(uuid.uuid4()), "type": "CaseRecorded"}),
        Outgoing(topic, "c-2", bytes(range(256)), {"event_id": str(uuid.uuid4()), "note": "Tombouctou, Ménaka — ✓"}),
        Outgoing(topic, "MOP-2026-0007", b"\x00", {"event_id": str(uuid.uuid4())}),
        Outgoing(topic, "c-3", b"no headers at all", {}),
        Outgoing(topic, "c-4", b"", {"event_id": str(uuid.uuid4())}),
    ]
    log.publish(sent)
    got = log.poll_until(log.new_subscriber("readers", [topic]), len(sent))
    assert as_published(got) == as_published(sent)


def test_every_record_of_one_key_arrives_in_publish_order_on_one_partition(log: LogUnderTest) -> None:
    topic = log.topic("order")
    keys = [f"case-{k}" for k in range(8)]
    sent = [record(topic, key, n) for n in range(6) for key in keys]
    for start in range(0, len(sent), 10):  # several publish calls, each holding several keys
        log.publish(sent[start : start + 10])
    got = log.poll_until(log.new_subscriber("ordered", [topic]), len(sent))
    assert len(got) == len(sent)
    for key in keys:
        mine = [m for m in got if m.key == key]
        assert [m.value for m in mine] == [r.value for r in sent if r.key == key]
        assert len({m.partition for m in mine}) == 1
    assert len({m.partition for m in got}) == log.partitions  # the keys really were spread over every partition


def test_a_new_subscriber_of_a_group_that_committed_resumes_after_its_last_commit(log: LogUnderTest) -> None:
    topic = log.topic("resume")
    first, later = batch(topic, range(8)), batch(topic, range(8, 14))
    log.publish(first)
    reader = log.new_subscriber("casework", [topic])
    reader.commit(log.poll_until(reader, len(first)))
    log.stop(reader)
    log.publish(later)
    successor = log.new_subscriber("casework", [topic])
    assert as_published(log.poll_until(successor, len(later))) == as_published(later)


def test_a_group_resumes_after_what_it_committed_even_when_it_had_read_further(log: LogUnderTest) -> None:
    topic = log.topic("partial")
    done, pending = batch(topic, range(6)), batch(topic, range(6, 12))
    log.publish(done)
    log.publish(pending)
    reader = log.new_subscriber("casework", [topic])
    read = log.poll_until(reader, len(done) + len(pending))
    finished = {r.value for r in done}
    reader.commit([m for m in read if m.value in finished])
    log.stop(reader)
    successor = log.new_subscriber("casework", [topic])
    assert as_published(log.poll_until(successor, len(pending))) == as_published(pending)


def test_a_batch_read_but_not_committed_is_delivered_again_to_the_next_subscriber_of_the_group(
    log: LogUnderTest,
) -> None:
    topic = log.topic("redelivery")
    sent = batch(topic, range(6))
    log.publish(sent)
    reader = log.new_subscriber("casework", [topic])
    read = log.poll_until(reader, len(sent))
    log.stop(reader)  # as if it crashed before committing
    successor = log.new_subscriber("casework", [topic])
    again = log.poll_until(successor, len(sent))
    assert as_published(again) == as_published(sent)
    assert sorted(m.position for m in again) == sorted(m.position for m in read)


def test_two_groups_each_see_every_record_and_one_groups_commits_do_not_move_the_other(log: LogUnderTest) -> None:
    topic = log.topic("fan-out")
    sent = batch(topic, range(10))
    log.publish(sent)
    casework = log.new_subscriber("casework", [topic])
    sla = log.new_subscriber("sla_monitor", [topic])
    seen_by_casework = log.poll_until(casework, len(sent))
    seen_by_sla = log.poll_until(sla, len(sent))
    assert as_published(seen_by_casework) == as_published(seen_by_sla) == as_published(sent)
    casework.commit(seen_by_casework)
    log.stop(sla)
    assert as_published(log.poll_until(log.new_subscriber("sla_monitor", [topic]), len(sent))) == as_published(sent)


def test_a_subscriber_on_two_topics_sees_the_records_of_both_and_commits_on_both(log: LogUnderTest) -> None:
    incidents, sla_events = log.topic("incidents"), log.topic("sla-events")
    sent = [r for n in range(5) for r in (record(incidents, f"inc-{n}", n), record(sla_events, f"case-{n}", n))]
    log.publish(sent)
    reader = log.new_subscriber("casework", [incidents, sla_events])
    read = log.poll_until(reader, len(sent))
    assert as_published(read) == as_published(sent)
    reader.commit(read)
    log.stop(reader)
    later = [record(incidents, "inc-9", 9), record(sla_events, "case-9", 9)]
    log.publish(later)
    successor = log.new_subscriber("casework", [incidents, sla_events])
    assert as_published(log.poll_until(successor, len(later))) == as_published(later)
