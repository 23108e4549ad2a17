"""The show: the model of what the presenter says (`Show` and its segments), read from YAML,
Markdown or plain text with line-precise errors (`load_show`, `parse_show`), the neural voices
a show defines (`VoiceDefinition`) and the inline directives of its text (`directives`).

Modules: `model` (the validated show), `source` (files as data with the line of every part),
`voice` (a show's `voices:`), `directives` ([pause 500ms], [smile], *emphasis*).
"""
from anchor.show.model import (FAQ, LLM, LipSync, NewsSegment, ProductSegment, Show, TextSegment,
                               demo_show_path, list_demo_shows, load_show, parse_show)
from anchor.show.voice import VoiceDefinition

__all__ = ["FAQ", "LLM", "LipSync", "NewsSegment", "ProductSegment", "Show", "TextSegment",
           "VoiceDefinition", "demo_show_path", "list_demo_shows", "load_show", "parse_show"]
