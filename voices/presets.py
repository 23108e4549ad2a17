"""Voice presets: named voices read from voices/presets.toml (data, not code)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from anchor.errors import VoiceError
from anchor.media import PROGRAM_RATE
from voices.base import Voice, VoiceInfo

PRESETS_PATH = Path(__file__).with_name("presets.toml")
LANGUAGES = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Preset:
    info: VoiceInfo
    espeak_voice: str
    rate: int
    pitch: int
    pitch_range: int = 50


@dataclass(frozen=True, slots=True)
class PresetBook:
    presets: tuple[Preset, ...]
    defaults: tuple[tuple[str, str], ...]   # (language, preset name)


def read_presets(path: Path = PRESETS_PATH) -> PresetBook:
    """Parse and check a presets file; a VoiceError names the file and the bad field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise VoiceError(f"{path}: {exc}") from exc
    presets = []
    for name, entry in (data.get("voice") or {}).items():
        where = f"{path}: [voice.{name}]"
        if not isinstance(entry, dict):
            raise VoiceError(f"{where} must be a table")
        presets.append(_preset(name, entry, where))
    if not presets:
        raise VoiceError(f"{path}: no [voice.NAME] tables")
    names = {p.info.name for p in presets}
    defaults = []
    for language, name in (data.get("defaults") or {}).items():
        if name not in names:
            raise VoiceError(f"{path}: [defaults] {language} = '{name}' is not a voice in this file")
        defaults.append((language, name))
    return PresetBook(tuple(presets), tuple(defaults))


def _preset(name: str, entry: dict, where: str) -> Preset:
    def field(key: str, kind: type, default=None):
        value = entry.get(key, default)
        if value is None:
            raise VoiceError(f"{where}: missing '{key}'")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise VoiceError(f"{where}: '{key}' must be a {kind.__name__}, not {value!r}")
        return value

    unknown = set(entry) - {"language", "espeak_voice", "rate", "pitch", "pitch_range", "description"}
    if unknown:
        raise VoiceError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    language = field("language", str)
    if language not in LANGUAGES:
        raise VoiceError(f"{where}: language '{language}' is not one of {', '.join(LANGUAGES)}")
    rate, pitch, pitch_range = field("rate", int), field("pitch", int), field("pitch_range", int, 50)
    if not 80 <= rate <= 450:
        raise VoiceError(f"{where}: rate {rate} is outside 80-450 words per minute")
    for key, value in (("pitch", pitch), ("pitch_range", pitch_range)):
        if not 0 <= value <= 100:
            raise VoiceError(f"{where}: {key} {value} is outside 0-100")
    info = VoiceInfo(name=name, language=language, backend="espeak-ng",
                     description=field("description", str, ""))
    return Preset(info, field("espeak_voice", str), rate, pitch, pitch_range)


def catalog(book: PresetBook | None = None) -> list[VoiceInfo]:
    """Every named voice, in file order."""
    return [p.info for p in (book or read_presets()).presets]


def default_voice(language: str, book: PresetBook | None = None) -> str:
    """The preset name a show in `language` ("en" | "zh") speaks with unless it names one."""
    book = book or read_presets()
    for lang, name in book.defaults:
        if lang == language:
            return name
    for preset in book.presets:
        if preset.info.language == language:
            return preset.info.name
    raise VoiceError(f"no voice for language '{language}' (known: {', '.join(LANGUAGES)})")


def load_voice(name: str, *, sample_rate: int = PROGRAM_RATE, book: PresetBook | None = None) -> Voice:
    """The voice preset `name`, ready to synthesize at `sample_rate`."""
    from voices.espeak import EspeakVoice   # keeps PyAV out of catalog-only imports

    book = book or read_presets()
    for preset in book.presets:
        if preset.info.name == name:
            return EspeakVoice(preset.info, espeak_voice=preset.espeak_voice, rate=preset.rate,
                               pitch=preset.pitch, pitch_range=preset.pitch_range,
                               sample_rate=sample_rate)
    known = ", ".join(p.info.name for p in book.presets)
    raise VoiceError(f"unknown voice '{name}' (known: {known})")
