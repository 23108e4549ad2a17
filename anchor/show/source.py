"""Show sources as plain data with the file line of every part: YAML, Markdown, plain text.

PyYAML composes the document into nodes that keep their marks; this module walks those nodes
into dicts, lists and scalars and records, for each path (a tuple of keys and indices, such as
``("segments", 2, "price")``), the line of the key that names the value (or of the item's first
line in a list) and the lines the value spans. Later stages map a validation error's path back
to a "file:line" a user can act on.

Markdown and plain text are cut into the same data by hand, with the same lines.

YAML scalars: floats become ``decimal.Decimal`` read from the scalar's own text (so ``19.99`` stays
exact), and where ``is_text(path)`` says the field is text, a plain scalar keeps its text as
written (``a: Yes`` stays "Yes", not True; ``headline: 2025`` stays "2025").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from anchor.errors import ShowError
from anchor.show import directives
from anchor.text.chars import ideograph_count

try:  # libyaml is much faster on large texts and keeps the same marks
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

Path_ = tuple  # a path in the data: str keys and int indices

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_PLAIN_TEXT_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary",
                    "tag:yaml.org,2002:value", "tag:yaml.org,2002:merge"}
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML document as plain data, with the line (1-based) of each path."""
    data: Any
    lines: dict[Path_, int]              # path -> line of its key (or list item)
    spans: dict[Path_, tuple[int, int]]  # path -> first and last line of its value

    def line_of(self, path: Path_) -> int | None:
        """The line of the longest prefix of `path` that exists in the document."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None


def load_located(text: str, *, source: str | None = None, first_line: int = 1,
                 is_text: Callable[[Path_], bool] = lambda path: False,
                 line_key: str | None = None) -> Located | None:
    """Compose `text` (one YAML document) and walk it; None for an empty document.

    `first_line` is the file line of the text's first line (front matter starts below "---").
    With `line_key`, every mapping gets that key set to its line, and a document that uses the
    key itself is refused as an unknown field.
    """
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "not valid YAML"
        if e.context and e.problem:
            problem = f"{e.context}: {e.problem}"
        raise ShowError(f"YAML syntax error: {problem}", path=source,
                        line=mark.line + first_line if mark else None) from None
    except yaml.YAMLError as e:
        raise ShowError(f"YAML syntax error: {e}", path=source) from None
    if root is None:
        return None
    walk = _Walk(source=source, offset=first_line, is_text=is_text, line_key=line_key)
    walk.lines[()] = root.start_mark.line + first_line
    data = walk.value(root, ())
    return Located(data, walk.lines, walk.spans)


class _Walk:
    def __init__(self, *, source, offset, is_text, line_key):
        self.source, self.offset, self.is_text, self.line_key = source, offset, is_text, line_key
        self.lines: dict[Path_, int] = {}
        self.spans: dict[Path_, tuple[int, int]] = {}
        self.constructor = SafeConstructor()
        self.open: set[int] = set()   # nodes being walked, to refuse recursive aliases

    def line(self, node: Node) -> int:
        return node.start_mark.line + self.offset

    def fail(self, message: str, node: Node) -> ShowError:
        return ShowError(message, path=self.source, line=self.line(node))

    def value(self, node: Node, path: Path_) -> Any:
        end = node.end_mark.line + self.offset
        if isinstance(node, ScalarNode) and node.end_mark.column == 0 and end > self.line(node):
            end -= 1   # a block scalar ends at the start of the next line
        self.spans[path] = (self.line(node), end)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.open or len(path) > _MAX_DEPTH:
            raise self.fail("recursive YAML alias", node)
        self.open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                items = []
                for i, item in enumerate(node.value):
                    self.lines[path + (i,)] = self.line(item)
                    items.append(self.value(item, path + (i,)))
                return items
            return self.mapping(node, path)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: MappingNode, path: Path_) -> dict:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.fail("a field name must be plain text", key_node)
            key = key_node.value
            where = path + (key,)
            if key == self.line_key:
                raise self.fail(f"unknown field '{key}'", key_node)
            if key in out:
                raise self.fail(f"duplicate field '{key}' (first on line {self.lines[where]})",
                                key_node)
            self.lines[where] = self.line(key_node)
            out[key] = self.value(value_node, where)
        if self.line_key is not None:
            out[self.line_key] = self.lines.get(path, self.line(node))
        return out

    def scalar(self, node: ScalarNode, path: Path_) -> Any:
        tag = node.tag
        if tag == _NULL:
            return None
        if tag == _STR or node.style or tag in _PLAIN_TEXT_TAGS:   # style "" or None: plain
            return node.value
        if self.is_text(path):
            return node.value
        if tag == _BOOL:
            return self.constructor.construct_yaml_bool(node)
        if tag == _INT:
            return self.constructor.construct_yaml_int(node)
        if tag == _FLOAT:
            try:
                number = Decimal(node.value.replace("_", ""))
            except InvalidOperation:
                return self.constructor.construct_yaml_float(node)
            return number
        raise self.fail(f"unsupported YAML tag {tag}", node)


# ---- reading files and detecting the language ------------------------------------------

def beside_show(value: str, context: dict | None) -> Path:
    """A path named in a show file, resolved against the show file's folder (the `base` of the
    validation context; the working directory without one)."""
    return (Path((context or {}).get("base", ".")) / value.strip()).resolve()


def detect_language(text: str) -> str:
    """"zh" when CJK ideographs make up a good share of the letters, else "en".

    One ideograph is a whole syllable, so the share needed is low: Chinese with English brand
    names is still Chinese; English with a Chinese name in it is still English.
    """
    cjk = ideograph_count(text)
    latin = len(_LATIN.findall(text))
    if cjk + latin == 0:
        return "en"
    return "zh" if cjk / (cjk + latin) >= 0.25 else "en"


_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def read_show_text(path: Path) -> str:
    """The file as text: UTF-8 with or without a BOM; ShowError names the file otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ShowError("show file not found", path=str(path)) from None
    except IsADirectoryError:
        raise ShowError("is a folder, not a show file", path=str(path)) from None
    except OSError as e:
        raise ShowError(f"cannot read the show file: {e.strerror}", path=str(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ShowError(f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                        "save the file as UTF-8", path=str(path),
                        line=data.count(b"\n", 0, e.start) + 1) from None


# ---- Markdown and plain text ---------------------------------------------------------------

_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\s]*\)")   # [text](url), ![alt](src)
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")


def located_markdown(text: str, *, path: Path | None, source: str | None,
                     is_text: Callable[[Path_], bool]) -> Located:
    """Front matter fields plus segments from the body: `## ` headings start news items,
    other text is a text segment; a missing title or language is taken from the text."""
    lines = text.splitlines()
    data: dict[str, Any] = {"line": 1}
    where: dict[tuple, int] = {(): 1}
    spans: dict[tuple, tuple[int, int]] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            raise ShowError("front matter opened with '---' is never closed by a '---' line",
                            path=source, line=1)
        front = load_located("\n".join(lines[1:end]), source=source, first_line=2,
                             is_text=is_text, line_key="line")
        if front is not None:
            if not isinstance(front.data, dict):
                raise ShowError("front matter must be a mapping of fields (title: ...)",
                                path=source, line=2)
            data.update(front.data)
            data["line"] = 1
            where.update({k: v for k, v in front.lines.items() if k})
            spans.update(front.spans)
        start = end + 1

    heading, sections, preamble = None, [], []
    for i in range(start, len(lines)):
        line = lines[i]
        if line.startswith("## "):
            sections.append((line[3:].strip(), i + 1, []))
        elif sections:
            sections[-1][2].append((i + 1, line))
        elif line.startswith("# ") and heading is None and not any(t.strip() for _, t in preamble):
            heading = line[2:].strip()
        else:
            preamble.append((i + 1, line))

    segments: list[dict] = []

    def add(fields: dict, line: int, body_key: str, body: list[tuple[int, str]]) -> None:
        n = len(segments)
        filled = [(no, t) for no, t in body if t.strip()]
        first, last = (filled[0][0], filled[-1][0]) if filled else (line, line)
        content = "\n".join(t for _, t in body).strip()
        segment = {**fields, body_key: _STRONG.sub(r"*\1*", _LINK.sub(r"\1", content)),
                   "line": line}
        segments.append(segment)
        where[("segments", n)] = line
        for key in fields:
            where[("segments", n, key)] = line
        where[("segments", n, body_key)] = first
        spans[("segments", n, body_key)] = (first, last)

    body_text = "\n".join(lines[start:])
    if sections:
        if any(t.strip() for _, t in preamble):
            first = next(no for no, t in preamble if t.strip())
            add({"kind": "text"}, first, "text", preamble)
        for title, line, body in sections:
            add({"kind": "news", "headline": title}, line, "body", body)
    elif any(t.strip() for _, t in preamble):
        first = next(no for no, t in preamble if t.strip())
        add({"kind": "text"}, first, "text", preamble)

    if segments and "segments" in data:
        raise ShowError("segments are given both in the front matter and in the body",
                        path=source, line=where.get(("segments",)))
    if segments:
        data["segments"] = segments
        where[("segments",)] = segments[0]["line"]
    elif "segments" not in data:
        raise ShowError("the show is empty: write some text, or '## ' headed news items",
                        path=source, line=len(lines) or None)
    data.setdefault("title", heading or _first_line_title(body_text, path))
    if "language" not in data:
        data["language"] = detect_language(body_text)
    return Located(data, where, spans)


def located_plain_text(text: str, *, path: Path | None, source: str | None) -> Located:
    """The whole text as one text segment; title from the first line, language detected."""
    lines = text.splitlines()
    filled = [i + 1 for i, t in enumerate(lines) if t.strip()]
    if not filled:
        raise ShowError("the show is empty: the file has no text", path=source)
    segment = {"kind": "text", "text": text.strip(), "line": filled[0]}
    data = {"title": _first_line_title(text, path), "language": detect_language(text),
            "segments": [segment], "line": 1}
    where = {(): 1, ("segments",): filled[0], ("segments", 0): filled[0],
             ("segments", 0, "text"): filled[0]}
    spans = {("segments", 0, "text"): (filled[0], filled[-1])}
    return Located(data, where, spans)


def _first_line_title(text: str, path: Path | None) -> str:
    """The first line when it reads like a title (short), else the file name."""
    first = next((t.strip().lstrip("#").strip() for t in text.splitlines() if t.strip()), "")
    first = directives.strip(first).strip() if _parses(first) else first
    if first and len(first) <= 80:
        return first
    if path is not None:
        return path.stem.replace("_", " ").replace("-", " ").strip() or "Untitled"
    return "Untitled"


def _parses(text: str) -> bool:
    try:
        directives.parse(text)
    except ValueError:
        return False
    return True
