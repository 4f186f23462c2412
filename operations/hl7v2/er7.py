"""Reading an HL7 v2 message in ER7 (pipe-and-hat) encoding.

https://www.hl7.org/implement/standards/product_brief.cfm?product_id=185 (v2.5.1 ch. 2)

hl7apy reads the MSH: the encoding characters (duplicates or missing ones are refused), the
message structure and the version, which must be one hl7apy knows. The segments are then
split here, losslessly, with those encoding characters: hl7apy's full parse names fields
from its per-version tables and drops the ones a version withdrew (EVN-1 in 2.8 shifts every
later EVN field), and it costs ~300 ms for an 8 kB message, far too slow for a feed.
Values are unescaped (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\Xhh\\ \\.br\\``) only when read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from hl7apy import check_version  # type: ignore[import-untyped]
from hl7apy.exceptions import (  # type: ignore[import-untyped]
    HL7apyException,
    InvalidEncodingChars,
    UnsupportedVersion,
)
from hl7apy.parser import get_message_info  # type: ignore[import-untyped]

from operations.hl7v2.problems import Hl7Problem

BOM = "\ufeff"
_SEGMENT_NAME = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_HEX = re.compile(r"^X([0-9A-Fa-f]{2})+$")


@dataclass(frozen=True)
class Encoding:
    """The separators of one message (MSH-1 and MSH-2)."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def msh2(self) -> str:
        """MSH-2 as written: component, repetition, escape, subcomponent."""
        return self.component + self.repetition + self.escape + self.subcomponent


def unescape(raw: str, enc: Encoding) -> str:
    """Replace the escape sequences of a leaf value."""
    esc = enc.escape
    if esc not in raw:
        return raw
    out: list[str] = []
    parts = raw.split(esc)
    out.append(parts[0])
    # parts alternate: text, sequence, text, ...; an unterminated sequence is kept as text
    for index in range(1, len(parts), 2):
        sequence = parts[index]
        if index + 1 >= len(parts):
            out.append(esc + sequence)
            break
        out.append(_expand(sequence, enc))
        out.append(parts[index + 1])
    return "".join(out)


def escape(text: str, enc: Encoding) -> str:
    """Text made safe for a field: separators as escape sequences, line breaks as ``\\.br\\``."""
    out = text.replace(enc.escape, f"{enc.escape}E{enc.escape}")
    for char, code in (
        (enc.field, "F"),
        (enc.component, "S"),
        (enc.subcomponent, "T"),
        (enc.repetition, "R"),
    ):
        out = out.replace(char, f"{enc.escape}{code}{enc.escape}")
    return (
        out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", f"{enc.escape}.br{enc.escape}")
    )


def _expand(sequence: str, enc: Encoding) -> str:
    fixed = {
        "F": enc.field,
        "S": enc.component,
        "T": enc.subcomponent,
        "R": enc.repetition,
        "E": enc.escape,
        ".br": "\n",
    }
    if sequence in fixed:
        return fixed[sequence]
    if _HEX.match(sequence):
        try:
            return bytes.fromhex(sequence[1:]).decode("utf-8")
        except UnicodeDecodeError:
            return bytes.fromhex(sequence[1:]).decode("latin-1")
    if sequence.startswith(("H", "N", "C", "M", "Z", ".")):
        return ""  # highlighting, character-set and formatting hints carry no data
    return enc.escape + sequence + enc.escape


class Value:
    """A repetition, component or subcomponent: its raw ER7 text and its depth.

    A plain slotted class rather than a frozen dataclass: a mapping creates hundreds of these
    per message, and each splits its text once, when first indexed."""

    __slots__ = ("_parts", "depth", "enc", "raw")

    def __init__(self, raw: str, enc: Encoding, depth: int = 0) -> None:
        self.raw = raw
        self.enc = enc
        self.depth = depth
        """0 a repetition (split by component), 1 a component (by subcomponent), 2 a leaf."""
        self._parts: list[str] | None = None

    def __repr__(self) -> str:
        return f"Value({self.raw!r}, depth={self.depth})"

    def __getitem__(self, position: int) -> Value:
        """The 1-based component (of a repetition) or subcomponent (of a component)."""
        if self.depth >= 2:
            return self if position == 1 else Value("", self.enc, 2)
        return Value(self.part(position), self.enc, self.depth + 1)

    def part(self, position: int) -> str:
        """The raw text of ``self[position]`` (below a leaf: itself at 1, else empty)."""
        if self.depth >= 2:
            return self.raw if position == 1 else ""
        parts = self._parts
        if parts is None:
            separator = self.enc.component if self.depth == 0 else self.enc.subcomponent
            parts = self._parts = self.raw.split(separator)
        return parts[position - 1] if 0 < position <= len(parts) else ""

    def __bool__(self) -> bool:
        return bool(self.raw) and self.raw != '""'

    @property
    def text(self) -> str:
        """The unescaped text of the first leaf (all of it for a leaf), without whitespace
        around it (no code or identifier has any, and FHIR has no empty values); ``""`` (HL7
        null) reads as empty."""
        value = self
        while value.depth < 2:
            value = value[1]
        return "" if value.raw == '""' else unescape(value.raw, self.enc).strip()


@dataclass(frozen=True)
class Segment:
    """One segment: its name, its 1-based fields (raw) and its place in the message."""

    name: str
    fields: tuple[str, ...]
    enc: Encoding
    index: int
    """0-based position in the message, to name a segment in an ERR."""
    _reps: dict[int, list[Value]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    """Repetitions split once: a mapping reads the same field many times."""

    def raw(self, position: int) -> str:
        """The raw field text (MSH-1 is the field separator, MSH-2 the encoding characters)."""
        return self.fields[position] if 0 < position < len(self.fields) else ""

    def reps(self, position: int) -> list[Value]:
        """Every non-empty repetition of a field."""
        found = self._reps.get(position)
        if found is None:
            found = self._reps[position] = self._split(position)
        return list(found)

    def _split(self, position: int) -> list[Value]:
        raw = self.raw(position)
        if self.name == "MSH" and position <= 2:
            return [Value(raw, self.enc, 2)] if raw else []
        return [v for v in (Value(r, self.enc) for r in raw.split(self.enc.repetition)) if v]

    def first(self, position: int) -> Value:
        """The first repetition (empty when the field is)."""
        found = self._reps.get(position)
        if found is None:
            found = self._reps[position] = self._split(position)
        return found[0] if found else Value("", self.enc)

    def get(self, position: int, component: int = 1, sub: int = 1) -> str:
        """The unescaped text at field.component.subcomponent of the first repetition,
        without whitespace around it (as ``Value.text``)."""
        repetition = self.first(position)
        if repetition.depth >= 2:  # MSH-1 and MSH-2 are leaves
            leaf = repetition.raw if component == 1 and sub == 1 else ""
        else:
            parts = repetition.part(component).split(self.enc.subcomponent)
            leaf = parts[sub - 1] if 0 < sub <= len(parts) else ""
        return "" if leaf == '""' else unescape(leaf, self.enc).strip()


@dataclass(frozen=True)
class Message:
    """A parsed message: encoding characters, version, type and segments."""

    enc: Encoding
    version: str
    segments: tuple[Segment, ...]
    text: str
    """The normalised message (CR separators, no BOM), as stored and hashed."""

    @property
    def msh(self) -> Segment:
        """The header segment."""
        return self.segments[0]

    @property
    def message_code(self) -> str:
        """MSH-9.1, e.g. ``ADT``."""
        return self.msh.get(9, 1).upper()

    @property
    def trigger(self) -> str:
        """MSH-9.2, e.g. ``A01``."""
        return self.msh.get(9, 2).upper()

    @property
    def control_id(self) -> str:
        """MSH-10."""
        return self.msh.get(10)

    def all(self, name: str) -> list[Segment]:
        """Every segment called ``name``, in order."""
        return [s for s in self.segments if s.name == name]

    def one(self, name: str) -> Segment | None:
        """The first segment called ``name``."""
        return next((s for s in self.segments if s.name == name), None)

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments)


def normalise(raw: bytes | str) -> str:
    """Text with CR segment separators: BOM removed, CRLF and LF accepted, blank lines and
    trailing whitespace dropped (some senders pad segments), NUL characters dropped (no FHIR
    string may hold one, nor can PostgreSQL store one in text)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    text = text.removeprefix(BOM).lstrip("\x0b").replace("\x00", "")
    lines = text.replace("\r\n", "\r").replace("\n", "\r").split("\r")
    return "\r".join(line.rstrip() for line in lines if line.strip()) + "\r"


def _header(text: str) -> tuple[Encoding, str]:
    if not text.startswith("MSH") or len(text) < 8:
        raise Hl7Problem("The message does not start with an MSH segment", "MSH", 1, "AR", "100")
    header = text.split("\r", 1)[0]
    separator = header[3]
    declared = header[4:].split(separator, 1)[0]
    if len(declared) == 5:  # the 2.7 truncation character, which older senders also write
        text = f"MSH{separator}{declared[:4]}{text[8 + 1 :]}"
    try:
        chars, _structure, version = get_message_info(text)
    except InvalidEncodingChars as error:
        raise Hl7Problem(f"MSH-2 encoding characters: {error}", "MSH", 2, "AR", "102") from None
    except HL7apyException as error:
        raise Hl7Problem(f"Unreadable MSH: {error}", "MSH", 1, "AR", "100") from None
    enc = Encoding(
        chars["FIELD"], chars["COMPONENT"], chars["REPETITION"], chars["ESCAPE"],
        chars["SUBCOMPONENT"],
    )  # fmt: skip
    if len({enc.field, *enc.msh2}) != 5 or any(c.isalnum() or c.isspace() for c in enc.msh2):
        raise Hl7Problem("MSH-1/MSH-2 encoding characters are invalid", "MSH", 2, "AR", "102")
    try:
        check_version(version)
    except UnsupportedVersion:
        raise Hl7Problem(f"Unsupported version {version!r}", "MSH", 12, "AR", "203") from None
    return enc, str(version)


def _segment(line: str, enc: Encoding, index: int) -> Segment:
    name = line[:3]
    if not _SEGMENT_NAME.match(name) or (len(line) > 3 and line[3] != enc.field):
        raise Hl7Problem(f"Segment {index + 1} has no valid name", name or "?", 0, "AE", "100")
    if name == "MSH":
        rest = line[4:].split(enc.field)
        fields = ("MSH", enc.field, *rest)
    else:
        fields = tuple(line.split(enc.field))
    return Segment(name, fields, enc, index)


def parse(raw: bytes | str) -> Message:
    """Parse a message; ``Hl7Problem`` (AR) for a header we cannot read, (AE) for a bad
    segment."""
    text = normalise(raw)
    enc, version = _header(text)
    lines = text.rstrip("\r").split("\r")
    segments = tuple(_segment(line, enc, i) for i, line in enumerate(lines))
    message = Message(enc, version, segments, text)
    if not message.control_id:
        raise Hl7Problem("MSH-10 message control id is empty", "MSH", 10, "AR", "101")
    if not message.message_code:
        raise Hl7Problem("MSH-9 message type is empty", "MSH", 9, "AR", "101")
    return message
