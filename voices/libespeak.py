"""ctypes binding to the libespeak-ng bundled by the `espeakng-loader` wheel (1.52 and its data).

The C library keeps one global state (the current voice, parameters and synth callback), so this
module holds the one loaded library behind one lock: every call into it goes through `speak`,
which takes the lock, sets voice and parameters, synthesizes synchronously and returns the PCM
at the library's own rate with the phoneme and word events at exact sample offsets. The library
is loaded and initialised lazily, on the first call.

Event offsets: `espeak_EVENT.audio_position` is in milliseconds (truncated), while its `sample`
field counts samples from the start of the `espeak_Synth` call; we use `sample`, which is exact.
"""
from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

from anchor.errors import VoiceError

# espeak_AUDIO_OUTPUT, options, event types, synth flags and parameters from speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 0x01
_SSML = 0x10
_PHONEMES_IPA = 0x02
_RATE, _PITCH, _RANGE = 1, 3, 4
_EE_OK = 0

RATE_RANGE = (80, 450)   # words per minute espeak-ng accepts


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


class _VoiceEntry(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p),
                ("identifier", ctypes.c_char_p), ("gender", ctypes.c_ubyte),
                ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte), ("xx1", ctypes.c_ubyte),
                ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.POINTER(_Event))


@dataclass(frozen=True, slots=True)
class SpeechEvent:
    """A phoneme or word boundary at `sample` (library rate, from the start of the text)."""
    kind: str            # "phoneme" | "word"
    sample: int
    symbol: str = ""     # phoneme mnemonic, with its stress mark ("'aI", "n", "_:")
    text_position: int = 0   # word: 0-based character index in the synthesized text
    length: int = 0          # word: length in characters


@dataclass(frozen=True, slots=True, eq=False)
class RawSpeech:
    pcm: np.ndarray      # int16 mono
    sample_rate: int
    events: tuple[SpeechEvent, ...]


class _Library:
    """The loaded, initialised library. Use only while holding _LOCK."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (ImportError, OSError) as exc:
            raise VoiceError(f"cannot load libespeak-ng from espeakng-loader: {exc}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceEntry))
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(),
                                     _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise VoiceError(f"espeak-ng failed to initialise with data at {data_path}")
        self.lib = lib
        self.sample_rate = rate
        self._pcm: list[np.ndarray] = []
        self._events: list[SpeechEvent] = []
        self._callback = _SynthCallback(self._on_synth)   # keep a reference: C holds it
        lib.espeak_SetSynthCallback(self._callback)
        self._voice_names: dict[str, bytes] = {}

    def _on_synth(self, wav, n_samples, events) -> int:
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                symbol = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                self._events.append(SpeechEvent("phoneme", ev.sample, symbol=symbol))
            elif ev.type == _EVENT_WORD:
                self._events.append(SpeechEvent("word", ev.sample, text_position=ev.text_position - 1,
                                                length=ev.length))
            i += 1
        if n_samples > 0 and wav:
            self._pcm.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        return 0

    def _resolve(self, voice: str) -> bytes:
        """espeak's name for `voice`: as given if the library knows it ("en-us", "cmn+f2"),
        else the voice file whose language list holds it ("en-gb" -> "gmw/en"), variant kept."""
        if voice in self._voice_names:
            return self._voice_names[voice]
        if self.lib.espeak_SetVoiceByName(voice.encode()) == _EE_OK:
            name = voice.encode()
        else:
            base, _, variant = voice.partition("+")
            identifier = self._identifier_for_language(base.lower())
            if identifier is None:
                raise VoiceError(f"espeak-ng has no voice '{voice}'")
            name = identifier + (b"+" + variant.encode() if variant else b"")
            if self.lib.espeak_SetVoiceByName(name) != _EE_OK:
                raise VoiceError(f"espeak-ng has no voice '{voice}' (variant '{variant}' unknown?)")
        self._voice_names[voice] = name
        return name

    def _identifier_for_language(self, language: str) -> bytes | None:
        entries = self.lib.espeak_ListVoices(None)
        i = 0
        while entries[i]:
            entry = entries[i].contents
            langs = ctypes.string_at(entry.languages, 256)
            pos = 0
            while pos < len(langs) and langs[pos] != 0:   # [priority byte][name]\0 ... \0
                end = langs.index(b"\0", pos + 1)
                if langs[pos + 1:end].decode("ascii", "replace").lower() == language:
                    return entry.identifier
                pos = end + 1
            i += 1
        return None

    def speak(self, text: str, *, voice: str, rate: int, pitch: int, pitch_range: int,
              ssml: bool) -> RawSpeech:
        name = self._resolve(voice)
        lib = self.lib
        if lib.espeak_SetVoiceByName(name) != _EE_OK:
            raise VoiceError(f"espeak-ng could not select voice '{voice}'")
        lib.espeak_SetParameter(_RATE, rate, 0)
        lib.espeak_SetParameter(_PITCH, pitch, 0)
        lib.espeak_SetParameter(_RANGE, pitch_range, 0)
        data = text.encode("utf-8")
        self._pcm, self._events = [], []
        flags = _CHARS_UTF8 | (_SSML if ssml else 0)
        err = lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, flags, None, None)
        if err != _EE_OK:
            raise VoiceError(f"espeak-ng failed to synthesize (error {err}): {text[:40]!r}")
        pcm = np.concatenate(self._pcm) if self._pcm else np.zeros(0, np.int16)
        events = tuple(self._events)
        self._pcm, self._events = [], []
        return RawSpeech(pcm.astype(np.int16, copy=False), self.sample_rate, events)

    def clauses(self, text: str, *, voice: str) -> tuple[Clause, ...]:
        name = self._resolve(voice)
        if self.lib.espeak_SetVoiceByName(name) != _EE_OK:
            raise VoiceError(f"espeak-ng could not select voice '{voice}'")
        data = text.encode("utf-8")
        buffer = ctypes.create_string_buffer(data)          # NUL-terminated, stays alive here
        base = ctypes.addressof(buffer)
        pointer = ctypes.c_void_p(base)
        out: list[Clause] = []
        done = 0
        while pointer.value is not None and done < len(data):
            ipa = self.lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, _PHONEMES_IPA)
            end = len(data) if pointer.value is None else min(len(data), pointer.value - base)
            if end <= done:
                break
            out.append(Clause(data[done:end].decode("utf-8", "replace"),
                              (ipa or b"").decode("utf-8", "replace")))
            done = end
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause as espeak-ng reads it: the text it consumed and its phonemes in IPA."""
    text: str
    ipa: str


_LOCK = threading.Lock()
_LIBRARY: list[_Library] = []   # the one initialised library, created on first use


def speak(text: str, *, voice: str, rate: int = 175, pitch: int = 50, pitch_range: int = 50,
          ssml: bool = False) -> RawSpeech:
    """Synthesize `text` with espeak-ng voice `voice` ("en-us", "en-us+f3", "en-gb", "cmn");
    `rate` in words per minute, `pitch` and `pitch_range` 0-100. Thread-safe."""
    with _LOCK:
        if not _LIBRARY:
            _LIBRARY.append(_Library())
        return _LIBRARY[0].speak(text, voice=voice, rate=rate, pitch=pitch,
                                 pitch_range=pitch_range, ssml=ssml)


def text_to_phonemes(text: str, *, voice: str) -> tuple[Clause, ...]:
    """The IPA phonemes of `text` as espeak-ng voice `voice` reads it, clause by clause
    (`espeak_TextToPhonemes`; punctuation is not in the phonemes, but each clause keeps the
    text it consumed). Thread-safe."""
    with _LOCK:
        if not _LIBRARY:
            _LIBRARY.append(_Library())
        return _LIBRARY[0].clauses(text, voice=voice)
