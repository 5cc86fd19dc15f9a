"""Wire contracts of hrcase: event envelopes, event payload schemas and topic names."""

from schemas.envelope import Envelope, EnvelopeSchema, decode, encode, new_envelope
from schemas.errors import SchemaError
from schemas.registry import EVENT_TYPES, load_payload

__all__ = [
    "EVENT_TYPES",
    "Envelope",
    "EnvelopeSchema",
    "SchemaError",
    "decode",
    "encode",
    "load_payload",
    "new_envelope",
]
