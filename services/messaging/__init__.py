"""Messaging ports and adapters: the embedded SQLite log, the Kafka/faust adapter, outbox and inbox."""
