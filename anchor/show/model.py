"""The show: what the presenter says, in what language, on what picture.

A show file is YAML (`.yaml`/`.yml`), Markdown (`.md`, with optional YAML front matter; `## `
headings become news items) or plain text (`.txt`, one text segment). `load_show` reads any of
them into a frozen `Show`; bad input raises `ShowError` naming the file and line, e.g.
``evening.yaml:14: segments[2].price: must be a number (got 'cheap')``.

Every model carries `line`, the line of the file where it starts, so later stages can warn
"file:line: ..." too.
"""
from __future__ import annotations

import difflib
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool,
                      StrictInt, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from anchor.errors import ShowError
from anchor.media import AI_LABELS
from anchor.show import directives
from anchor.show.source import (Located, beside_show, detect_language, load_located,
                                located_markdown, located_plain_text, read_show_text)
from anchor.show.voice import VoiceDefinition, voice_mapping

__all__ = ["Show", "Layout", "Answers", "LLM", "FAQ", "NewsSegment", "ProductSegment", "TextSegment",
           "Segment", "LANGUAGES", "SEGMENT_KINDS", "load_show", "parse_show", "detect_language",
           "demo_show_path", "list_demo_shows"]

LANGUAGES = ("en", "zh")
SEGMENT_KINDS = ("news", "product", "text")
DEFAULT_CURRENCY = {"en": "USD", "zh": "CNY"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
DEMO_DIR = Path(__file__).parent.parent / "shows"

Language = Literal["en", "zh"]


# ---- field types ---------------------------------------------------------------------------

def _none_to_empty(value: Any) -> Any:
    return "" if value is None else value


def _spoken(value: str) -> str:
    """Text the presenter may speak: trimmed, and its directives must parse."""
    value = value.strip()
    directives.parse(value)          # raises ValueError naming a bad directive
    return value


def _required(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def _speech(value: str) -> str:
    if not value:
        raise ValueError("is empty: a segment needs text to speak")
    return value


def _name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Spoken = Annotated[str, BeforeValidator(_none_to_empty), AfterValidator(_spoken)]
RequiredText = Annotated[Spoken, AfterValidator(_required)]
Speech = Annotated[Spoken, AfterValidator(_speech)]
Name = Annotated[str, AfterValidator(_name)]


def _even(value: int) -> int:
    if value % 2:
        raise ValueError(f"must be even (video encoders need even sizes), not {value}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    line: int = 0   # the file line where this part starts (0: not from a file)


# ---- the models ----------------------------------------------------------------------------

class Layout(_Model):
    """The program picture."""
    width: Annotated[StrictInt, Field(ge=320, le=3840), AfterValidator(_even)] = 1280
    height: Annotated[StrictInt, Field(ge=240, le=2160), AfterValidator(_even)] = 720
    fps: Annotated[StrictInt, Field(ge=10, le=60)] = 25
    background: str = "#14213d"   # "#rrggbb", or the absolute path of an image
    presenter: Literal["left", "center", "right"] = "right"
    subtitles: StrictBool = True
    label: Name | None = None     # visible AI label text; None: the language's default

    @field_validator("background", mode="before")
    @classmethod
    def _background(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise ValueError('is empty (in YAML, quote a colour: background: "#14213d")')
        if not isinstance(value, str):
            return value
        value = value.strip()
        if value.startswith("#"):
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                raise ValueError(f"colour {value!r} must look like \"#14213d\"")
            return value.lower()
        image = beside_show(value, info.context)
        if image.suffix.lower() not in IMAGE_SUFFIXES:
            raise ValueError(f"{value!r} is neither a colour \"#rrggbb\" nor an image "
                             f"({', '.join(IMAGE_SUFFIXES)})")
        if not image.is_file():
            raise ValueError(f"background image {value!r} not found (looked for {image})")
        return str(image)

    @property
    def background_rgb(self) -> tuple[int, int, int] | None:
        if not self.background.startswith("#"):
            return None
        return tuple(int(self.background[i:i + 2], 16) for i in (1, 3, 5))

    @property
    def background_image(self) -> Path | None:
        return None if self.background.startswith("#") else Path(self.background)


class Answers(_Model):
    """How viewer questions are handled on a live channel."""
    interrupt: StrictBool = False   # may an answer cut into a segment, or wait for its end


LLM_BACKENDS = ("transformers", "openai")


class LLM(_Model):
    """An optional language model that rewrites the script and/or answers viewers; without it
    the rules rewriter and the offline answers are used. Every output is checked and falls back
    to them (see anchor/rewriter/llm.py and anchor/answers/llm.py)."""
    backend: Literal["transformers", "openai"]
    model: Name | None = None          # a path or model name (transformers: required)
    base_url: Name | None = None       # an OpenAI-compatible server (openai: required)
    api_key_env: Name | None = None    # the environment variable holding the API key
    style: Literal["news", "shop"] | None = None    # None: shop when the show sells products
    max_tokens: Annotated[StrictInt, Field(ge=16, le=4096)] = 300
    timeout_s: Annotated[float, Field(gt=0, le=600)] = 20.0
    retries: Annotated[StrictInt, Field(ge=0, le=5)] = 1
    device: Literal["auto", "cpu", "cuda"] = "auto"   # transformers: where the model runs
    use: Literal["script", "answers", "both"] = "both"

    @model_validator(mode="after")
    def _needs(self) -> "LLM":
        if self.backend == "openai" and not self.base_url:
            raise ValueError("the openai backend needs base_url (e.g. http://127.0.0.1:8000/v1)")
        if self.backend == "transformers" and not self.model:
            raise ValueError("the transformers backend needs model (a path or model name)")
        return self

    @property
    def rewrites(self) -> bool:
        return self.use in ("script", "both")

    @property
    def answers(self) -> bool:
        return self.use in ("answers", "both")


class LipSync(_Model):
    """A neural lip-sync model drawing the avatar's mouth (`lipsync:` on the show)."""
    model: str                           # a Wav2Lip generator checkpoint, relative to the show
    device: Literal["auto", "cpu", "cuda"] = "auto"
    batch: Annotated[StrictInt, Field(ge=1, le=256)] = 8

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must name a checkpoint file (model: wav2lip.pth)")
        path = beside_show(value, info.context)
        if not path.is_file():
            raise ValueError(f"checkpoint {value.strip()!r} not found (looked for {path})")
        return str(path)


class FAQ(_Model):
    q: RequiredText
    a: RequiredText


class _Segment(_Model):
    language: Language | None = None   # overrides the show's language for this segment


class NewsSegment(_Segment):
    kind: Literal["news"]
    headline: RequiredText
    body: Speech
    source: Spoken | None = None


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"must be a three-letter ISO currency code such as USD, CNY or EUR, "
                         f"not {value!r}")
    return code


class ProductSegment(_Segment):
    kind: Literal["product"]
    name: RequiredText
    price: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
    currency: Annotated[str, AfterValidator(_currency)]   # filled in by language when absent
    selling_points: tuple[RequiredText, ...] = Field(min_length=1)
    faq: tuple[FAQ, ...] = ()
    description: Spoken | None = None


class TextSegment(_Segment):
    kind: Literal["text"]
    text: Speech
    audio: str | None = None   # a recording of `text` played instead of the voice (any PyAV file)

    @field_validator("audio", mode="before")
    @classmethod
    def _audio(cls, value: Any, info: ValidationInfo) -> Any:
        """Path relative to the show file; the file must decode (checked here, at load)."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            raise ValueError("is empty: name an audio file (e.g. audio: clip.wav)")
        from anchor.errors import VoiceError
        from voices.recorded import read_recording
        audio = beside_show(value, info.context)
        try:
            read_recording(audio)
        except VoiceError as e:
            raise ValueError(f"recording {value.strip()!r}: {str(e).removeprefix(str(audio) + ': ')}"
                             f" ({audio})") from None
        return str(audio)


Segment = Annotated[Union[NewsSegment, ProductSegment, TextSegment], Field(discriminator="kind")]
_SEGMENT_MODELS = {"news": NewsSegment, "product": ProductSegment, "text": TextSegment}


class Show(_Model):
    path: Path | None = None   # the show file (set by the loader, not by the file)
    title: RequiredText
    language: Language
    voice: Name | None = None   # None: the language's default voice
    voices: Annotated[dict[Name, VoiceDefinition], BeforeValidator(voice_mapping)] = {}   # neural voices by name
    avatar: Name = "presenter"
    seed: StrictInt = 0
    layout: Layout = Layout()
    answers: Answers = Answers()
    lipsync: LipSync | None = None   # None: the avatar's own mouth animation
    llm: LLM | None = None      # None: the rules rewriter and offline answers
    segments: tuple[Segment, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _default_currency(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
            return data
        segments = []
        for seg in data["segments"]:
            if isinstance(seg, dict) and seg.get("kind") == "product" and seg.get("currency") is None:
                language = seg.get("language") or data.get("language")
                seg = {**seg, "currency": DEFAULT_CURRENCY.get(language, "USD")}
            segments.append(seg)
        return {**data, "segments": segments}

    @property
    def ai_label(self) -> str:
        """The visible AI label: the layout's override or the language's default."""
        return self.layout.label or AI_LABELS[self.language]

    def language_of(self, segment: NewsSegment | ProductSegment | TextSegment) -> str:
        return segment.language or self.language


# ---- loading -------------------------------------------------------------------------------

def load_show(path: str | os.PathLike) -> Show:
    """Read a show file: `.yaml`/`.yml`, `.md` or `.txt`, chosen by the suffix."""
    path = Path(path)
    fmt = {".yaml": "yaml", ".yml": "yaml", ".md": "md", ".markdown": "md",
           ".txt": "txt"}.get(path.suffix.lower())
    if fmt is None:
        raise ShowError(f"unknown show format {path.suffix or '(no suffix)'!r}: "
                        "use .yaml, .yml, .md or .txt", path=str(path))
    return parse_show(read_show_text(path), path=path, format=fmt)


def parse_show(text: str, *, path: str | os.PathLike | None = None,
               format: Literal["yaml", "md", "txt"] = "yaml") -> Show:
    """Parse show text; `path` names it in errors and anchors relative image paths."""
    path = Path(path) if path is not None else None
    source = str(path) if path is not None else None
    text = text.removeprefix("\ufeff")
    if format == "yaml":
        located = load_located(text, source=source, is_text=_is_text, line_key="line")
        if located is None:
            raise ShowError("the show is empty (it needs title:, language: and segments:)",
                            path=source)
    elif format == "md":
        located = located_markdown(text, path=path, source=source, is_text=_is_text)
    elif format == "txt":
        located = located_plain_text(text, path=path, source=source)
    else:
        raise ValueError(f"unknown show format {format!r}")
    return _validate(located, text, path, source)


def list_demo_shows() -> list[Path]:
    """The demo shows shipped with Anchor (a show's name is its file's stem)."""
    return sorted(DEMO_DIR.glob("*.yaml"))


def demo_show_path(name: str = "demo-shop") -> Path:
    path = DEMO_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ShowError(f"no demo show {name!r} (demo shows: {', '.join(p.stem for p in list_demo_shows())})")
    return path


# ---- YAML scalars that are text --------------------------------------------------------------

_TEXT_KEYS = frozenset({"title", "language", "voice", "avatar", "kind", "headline", "body",
                        "source", "name", "currency", "description", "q", "a", "text",
                        "background", "presenter", "label", "backend", "model", "base_url",
                        "api_key_env", "style", "device", "use", "audio",
                        "model_name", "config", "speaker", "reference", "consent"})
_TEXT_LISTS = frozenset({"selling_points"})


def _is_text(path: tuple) -> bool:
    """Plain YAML scalars at these paths keep their text ("a: Yes" stays "Yes")."""
    if not path:
        return False
    if isinstance(path[-1], int):
        return len(path) >= 2 and path[-2] in _TEXT_LISTS
    return path[-1] in _TEXT_KEYS


# ---- validation errors back to file lines --------------------------------------------------

def _validate(located: Located, text: str, path: Path | None, source: str | None) -> Show:
    data = located.data
    if isinstance(data, dict):
        if "path" in data:
            raise ShowError("unknown field 'path'", path=source, line=located.lines.get(("path",)))
        data = {**data, "path": path}
    base = path.parent if path is not None else Path.cwd()
    try:
        return Show.model_validate(data, context={"base": str(base)})
    except ValidationError as e:
        raise _show_error(e, located, text, source) from None


def _show_error(error: ValidationError, located: Located, text: str,
                source: str | None) -> ShowError:
    errors = error.errors(include_url=False)
    # A list whose items all failed also reports "too short"; the items' errors say more.
    specific = [e for e in errors if not (e["type"] == "too_short" and e["input"])]
    found = []
    for order, err in enumerate(specific or errors):
        where = _data_path(err["loc"], located.data)
        line = located.line_of(where)
        if err["type"] == "missing":   # noticed at the end of its mapping: a typo there says more
            line = located.spans.get(where[:-1], (0, line))[1]
        found.append((line if line is not None else 1 << 30, err["type"] == "missing", order,
                      where, err))
    *_, where, err = min(found)
    message = _message(err, where, located.data)
    line = located.line_of(where)   # a missing field: the line of the mapping that lacks it
    if err["type"] in ("extra_forbidden", "missing"):
        where = where[:-1]
    else:
        line = _refine_line(err, where, located, text) or line
    if err["type"] == "union_tag_invalid":
        line = located.lines.get(where + ("kind",), line)
    prefix = _dotted(where)
    return ShowError(f"{prefix}: {message}" if prefix else message, path=source, line=line)


def _data_path(loc: tuple, data: Any) -> tuple:
    """Pydantic's error location as a path in the data, without discriminator tags."""
    path, node, tagged = [], data, False
    for part in loc:
        if (len(path) == 2 and path[0] == "segments" and isinstance(node, dict) and not tagged
                and part == node.get("kind") and part in _SEGMENT_MODELS):
            tagged = True
            continue   # the union's tag, not a field
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        path.append(part)
    return tuple(path)


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(path: tuple, data: Any) -> type[BaseModel]:
    """The model that validates the mapping at `path`."""
    if not path:
        return Show
    if path[0] == "llm":
        return LLM
    if path[0] == "voices":
        return VoiceDefinition if len(path) >= 2 else Show
    if path[0] == "lipsync":
        return LipSync
    if path[0] in ("layout", "answers"):
        return Layout if path[0] == "layout" else Answers
    if path[0] == "segments" and len(path) >= 2:
        if len(path) >= 4 and path[2] == "faq":
            return FAQ
        try:
            seg = data["segments"][path[1]]
        except (KeyError, IndexError, TypeError):
            seg = None
        if isinstance(seg, dict):
            return _SEGMENT_MODELS.get(seg.get("kind"), _Segment)
    return _Segment


_NUMBER = {"decimal_parsing", "decimal_type", "float_parsing", "float_type", "decimal_max_digits",
           "decimal_max_places", "decimal_whole_digits"}
_WHOLE = {"int_type", "int_parsing", "int_from_float"}
_BOUNDS = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
           "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}


def _message(err: dict, where: tuple, data: Any) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err["input"]
    got = "" if isinstance(value, (dict, list, tuple)) else f" (got {_short(value)})"
    if kind == "extra_forbidden":
        field = where[-1]
        fields = [f for f in _model_at(where[:-1], data).model_fields
                  if f not in ("line", "path")]
        close = difflib.get_close_matches(str(field), fields, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"fields here: {', '.join(fields)}"
        return f"unknown field '{field}' ({hint})"
    if kind == "missing":
        return f"missing required field '{where[-1]}'"
    if kind == "union_tag_invalid":
        return f"unknown segment kind '{ctx.get('tag')}' (use {_choices(SEGMENT_KINDS)})"
    if kind == "union_tag_not_found":
        return f"a segment needs 'kind: ...' ({_choices(SEGMENT_KINDS)})"
    if kind == "literal_error":
        if where and where[-1] == "language":
            return f"unknown language {_short(value)} (use {_choices(LANGUAGES)})"
        options = [o.strip(" '") for o in re.split(r",| or ", ctx.get("expected", ""))]
        return f"must be {_choices([o for o in options if o])}{got}"
    if kind in _NUMBER:
        return f"must be a number{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in _WHOLE:
        return f"must be a whole number{got}"
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false{got}"
    if kind == "string_type":
        return f"must be text{got}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list{got}"
    if kind == "too_short":
        if where == ("segments",):
            return "the show has no segments (add at least one)"
        n = ctx.get("min_length", 1)
        return f"must have at least {n} item{'s' if n != 1 else ''}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if not where:
            return "a show must be a mapping of fields (title:, language:, segments:)"
        return f"must be a mapping of fields (name: value){got}"
    if kind == "value_error":
        return str(ctx.get("error") or err["msg"]).removeprefix("Value error, ")
    msg = err["msg"]
    return msg[:1].lower() + msg[1:]


def _choices(options) -> str:
    options = list(options)
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def _short(value: Any) -> str:
    text = repr(value.strip() if isinstance(value, str) else value)
    if isinstance(value, Decimal):
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _refine_line(err: dict, where: tuple, located: Located, text: str) -> int | None:
    """For a bad directive inside a long text, the line of the directive itself."""
    if err["type"] != "value_error" or not isinstance(err["input"], str):
        return None
    m = re.search(r"\[[^\[\]\n]*\]", str((err.get("ctx") or {}).get("error", "")))
    span = located.spans.get(where)
    if not m or span is None:
        return None
    needle = m.group(0)[1:-1].strip()
    lines = text.splitlines()
    for no in range(span[0], min(span[1], len(lines)) + 1):
        if re.search(r"\[\s*" + re.escape(needle) + r"\s*\]", lines[no - 1]):
            return no
    return None
