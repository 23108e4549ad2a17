"""A neural voice defined in a show file, without code.

    voice: anna                       # speak with it (the built-in presets stay the default)
    voices:
      anna:
        backend: coqui
        model: models/anna/model.pth  # a checkpoint (.pth) or a model directory (XTTS)
        config: models/anna/config.json   # optional: config.json next to the checkpoint
        speaker: p225                 # for a multi-speaker model
        language: en                  # the show language it reads: en or zh, or a multilingual
                                      #   model's own id such as zh-cn
        device: auto                  # auto (CUDA when present) | cpu | cuda
      clone:
        backend: coqui
        model_name: tts_models/multilingual/multi-dataset/xtts_v2   # downloaded on first use
        language: en
        reference: anna.wav           # XTTS voice cloning from this recording ...
        consent: anna-consent.toml    # ... only with the consent record for it
      joe:
        backend: piper                # a Piper voice: an .onnx model and its .onnx.json config
        model: voices/en_US-joe-medium.onnx
        config: voices/en_US-joe-medium.onnx.json   # optional: the model path + ".json"
        language: en                  # must be the language the voice's config says it speaks
        speaker: 0                    # multi-speaker voices: a name or number (default 0)
        length_scale: 1.0             # optional overrides of the config's inference values
        noise_scale: 0.667
        noise_w: 0.8
        threads: 1                    # onnxruntime threads for this voice

Paths are relative to the show file and must exist when the show is read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo,
                      field_validator, model_validator)

from anchor.show.source import beside_show

VOICE_BACKENDS = ("coqui", "piper")
SHOW_LANGUAGES = ("en", "zh")


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_text)]

_FILE_KINDS = {"model": "model checkpoint", "config": "model config",
               "reference": "reference recording", "consent": "consent record"}


class VoiceDefinition(BaseModel):
    """One entry of a show's `voices:` mapping."""
    model_config = ConfigDict(frozen=True, extra="forbid")
    line: int = 0                    # the file line where this voice starts
    backend: Literal["coqui", "piper"]
    model: Text | None = None        # absolute path once validated
    model_name: Text | None = None   # a Coqui model name (needs internet on first use)
    config: Text | None = None
    speaker: Text | None = None
    language: Text
    reference: Text | None = None
    consent: Text | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    length_scale: Annotated[float, Field(gt=0)] | None = None   # piper
    noise_scale: Annotated[float, Field(ge=0)] | None = None
    noise_w: Annotated[float, Field(ge=0)] | None = None
    threads: Annotated[int, Field(ge=1, le=64)] = 1
    description: str = ""

    @field_validator("speaker", mode="before")
    @classmethod
    def _speaker_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("model", "config", "reference", "consent")
    @classmethod
    def _existing(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        path = beside_show(value, info.context)
        if not path.exists():
            raise ValueError(f"{_FILE_KINDS[info.field_name]} {value!r} not found (looked for {path})")
        if info.field_name != "model" and not path.is_file():
            raise ValueError(f"{_FILE_KINDS[info.field_name]} {value!r} is not a file")
        return str(path)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if _show_language(value) not in SHOW_LANGUAGES:
            raise ValueError(f"language {value!r} is not a show language (en or zh, or a model's "
                             f"id for one such as zh-cn)")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "VoiceDefinition":
        if self.backend == "piper":
            return self._piper()
        given = self.model_fields_set & _PIPER_ONLY
        if given:
            raise ValueError(f"{', '.join(sorted(given))}: only for backend: piper")
        if (self.model is None) == (self.model_name is None):
            raise ValueError("give either model (a local checkpoint or model directory) or "
                             "model_name (a Coqui model name)")
        if self.config is not None and self.model is None:
            raise ValueError("config goes with a local model (model: ...)")
        if self.consent is not None and self.reference is None:
            raise ValueError("consent goes with a reference recording (reference: ...)")
        if self.reference is not None and self.consent is None:
            raise ValueError("cloning a voice from a reference recording needs the consent "
                             "record of the person whose voice it is (consent: FILE)")
        return self

    def _piper(self) -> "VoiceDefinition":
        given = self.model_fields_set & _COQUI_ONLY
        if given:
            raise ValueError(f"{', '.join(sorted(given))}: not for backend: piper (a Piper voice "
                             f"is a local model: file and its config)")
        if self.model is None:
            raise ValueError("a Piper voice needs model: (its .onnx file)")
        if not Path(self.model).is_file():
            raise ValueError(f"model {self.model!r} is not a file (a Piper voice's .onnx)")
        config = self.config or f"{self.model}.json"
        if not Path(config).is_file():
            raise ValueError(f"the voice config {config} is not there (give config: FILE)")
        return self

    @property
    def show_language(self) -> str:
        """The show language this voice reads: "en" or "zh"."""
        return _show_language(self.language)


_PIPER_ONLY = frozenset({"length_scale", "noise_scale", "noise_w", "threads"})
_COQUI_ONLY = frozenset({"model_name", "reference", "consent", "device"})


def _show_language(value: str) -> str:
    return value.strip().lower().replace("_", "-").split("-")[0]


def voice_mapping(value: Any) -> Any:
    """The `voices:` mapping without the loader's own `line` key."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "line"}
    return value
