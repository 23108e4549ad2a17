"""The implicit AI-generated-content label of GB 45438-2025 (Appendix E), as file metadata.

A file carries one metadata key, `AIGC`, whose value is a JSON object with exactly these
fields, in this order:

- `Label`: "1" the content is AI-generated, "2" it may be, "3" it is suspected to be.
- `ContentProducer`: who generated it (the caller passes e.g. "Anchor 0.1.0").
- `ProduceID`: the producer's unique id for this piece of content (one per render).
- `ReservedCode1`: the producer's integrity code. Anchor puts the lowercase hex SHA-256 of
  `"<ContentProducer>\\n<ProduceID>"` here, so a reader can check that the two fields were not
  edited apart; a caller may pass its own code (e.g. a signature) instead.
- `ContentPropagator`, `PropagateID`: who distributes it and their id; empty unless given.
- `ReservedCode2`: the propagator's integrity code; empty unless given.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from anchor.errors import OutputError

AIGC_KEY = "AIGC"
LABEL_VALUES = ("1", "2", "3")
FIELDS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1",
          "ContentPropagator", "PropagateID", "ReservedCode2")


def integrity_code(producer: str, produce_id: str) -> str:
    """The default ReservedCode1: SHA-256 over the producer and the produce id."""
    return hashlib.sha256(f"{producer}\n{produce_id}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AIGCLabel:
    produce_id: str
    producer: str = "Anchor"
    label: str = "1"
    content_propagator: str = ""
    propagate_id: str = ""
    reserved_code2: str = ""
    reserved_code1: str = field(default="")   # "" means: the SHA-256 integrity code

    def __post_init__(self) -> None:
        if self.label not in LABEL_VALUES:
            raise OutputError(f"AIGC label: Label must be one of {', '.join(LABEL_VALUES)}, "
                              f"not {self.label!r}")
        if not self.produce_id.strip():
            raise OutputError("AIGC label: ProduceID must not be empty")
        if not self.producer.strip():
            raise OutputError("AIGC label: ContentProducer must not be empty")
        if not self.reserved_code1:
            object.__setattr__(self, "reserved_code1",
                               integrity_code(self.producer, self.produce_id))

    @classmethod
    def for_render(cls, producer: str = "Anchor", **fields: str) -> AIGCLabel:
        """A label with a fresh random ProduceID (uuid4 hex) for one render."""
        return cls(produce_id=uuid.uuid4().hex, producer=producer, **fields)

    def as_dict(self) -> dict[str, str]:
        return dict(zip(FIELDS, (self.label, self.producer, self.produce_id,
                                 self.reserved_code1, self.content_propagator,
                                 self.propagate_id, self.reserved_code2)))

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> AIGCLabel:
        """Read a label back from a file's `AIGC` metadata value."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise OutputError(f"AIGC label: not JSON ({exc})") from None
        if not isinstance(data, dict) or set(data) != set(FIELDS):
            raise OutputError(f"AIGC label: expected exactly the fields {', '.join(FIELDS)}")
        if not all(isinstance(v, str) for v in data.values()):
            raise OutputError("AIGC label: every field must be a string")
        return cls(label=data["Label"], producer=data["ContentProducer"],
                   produce_id=data["ProduceID"], reserved_code1=data["ReservedCode1"],
                   content_propagator=data["ContentPropagator"],
                   propagate_id=data["PropagateID"], reserved_code2=data["ReservedCode2"])

    @property
    def intact(self) -> bool:
        """True when ReservedCode1 is the SHA-256 integrity code of this producer and id."""
        return self.reserved_code1 == integrity_code(self.producer, self.produce_id)
