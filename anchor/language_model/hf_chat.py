"""A chat model run in this process with `transformers`: a causal LM and its chat template.

`TransformersChat.load(model=...)` takes a local model directory (loaded with
local_files_only: never a download) or a hub name such as "Qwen/Qwen2.5-0.5B-Instruct"
(downloaded by transformers, for users with internet). A local directory is checked first, so
a missing or broken file is named in the error rather than deep in a stack trace.

Generation runs in a thread and streams through `TextIteratorStreamer`; a `StoppingCriteria`
ends it when the deadline (on the caller's clock) passes or the reader closes the stream, and a
reply that waits for another's turn at the model waits no longer than its deadline leaves.
torch and transformers are imported only by `load`.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from anchor.language_model.chat import ChatError, ChatMessage, Deadline

log = logging.getLogger(__name__)

MAX_NEW_TOKENS = 4096
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model")
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")


class TransformersChat:
    """A loaded causal LM and tokenizer. One generation runs at a time; a second caller waits
    (until its deadline at most)."""

    def __init__(self, *, model: Any, tokenizer: Any, device: str, name: str):
        self.model, self.tokenizer, self.device, self.name = model, tokenizer, device, name
        self._one_at_a_time = threading.Lock()

    @classmethod
    def load(cls, *, model: str, device: str = "auto",
             warn: Callable[[str], None] = log.warning) -> "TransformersChat":
        """Load a model directory or hub name; raises ChatError naming the file at fault."""
        directory = Path(model).expanduser()
        local = directory.exists() or _looks_like_path(model)
        if local:
            weights = _check_directory(directory)
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise ChatError(f"llm backend transformers needs torch and transformers "
                            f"(pip install 'anchor[neural]'): {e}") from None
        device = _device(device, torch=torch, warn=warn)
        source = str(directory) if local else model
        where = str(directory) if local else f"llm model {model!r} (from the hub)"
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
        except Exception as e:   # transformers raises many kinds; all mean "cannot load"
            raise ChatError(f"{where}: cannot load the tokenizer ({_first_line(e)})") from None
        if not getattr(tokenizer, "chat_template", None):
            raise ChatError(f"{where}: the tokenizer has no chat template (chat_template.jinja "
                            "or chat_template in tokenizer_config.json)")
        try:
            network = AutoModelForCausalLM.from_pretrained(
                source, local_files_only=local,
                dtype=torch.float32 if device == "cpu" else "auto")
        except Exception as e:
            culprit = str(weights) if local else where
            raise ChatError(f"{culprit}: cannot load the model ({_first_line(e)})") from None
        network.to(device)
        network.eval()
        name = f"transformers:{directory.name if local else model}"
        return cls(model=network, tokenizer=tokenizer, device=device, name=name)

    # ---- the ChatModel interface ---------------------------------------------------------------

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
               temperature: float = 0.7, deadline: Deadline | None = None) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        if max_tokens < 1:
            raise ChatError(f"{self.name}: max_tokens must be at least 1, not {max_tokens}")
        try:
            inputs = self.tokenizer.apply_chat_template(
                [{"role": m.role, "content": m.content} for m in messages],
                add_generation_prompt=True, return_tensors="pt", return_dict=True)
        except Exception as e:
            raise ChatError(f"{self.name}: the chat template failed ({_first_line(e)})") from None
        inputs = {key: value.to(self.device) for key, value in inputs.items()}
        prompt = inputs["input_ids"].shape[1]
        room = getattr(self.model.config, "max_position_embeddings", None)
        new_tokens = min(max_tokens, MAX_NEW_TOKENS, room - prompt if room else MAX_NEW_TOKENS)
        if new_tokens < 1:
            raise ChatError(f"{self.name}: the prompt ({prompt} tokens) fills the model's "
                            f"context of {room} tokens")
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True)
        stop = _stop_criteria(deadline)
        sampling = ({"do_sample": True, "temperature": temperature} if temperature > 0
                    else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None})
        pad = self.tokenizer.pad_token_id
        failures: list[BaseException] = []

        def generate() -> None:
            wait = -1 if deadline is None else max(0.0, deadline.left())
            if not self._one_at_a_time.acquire(timeout=wait):
                stop.deadline_passed = True       # another reply had the model all along
                streamer.end()
                return
            try:
                with torch.inference_mode():
                    self.model.generate(
                        **inputs, max_new_tokens=new_tokens, streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([stop]),
                        pad_token_id=self.tokenizer.eos_token_id if pad is None else pad,
                        **sampling)
            except BaseException as e:     # reported to the reader below
                failures.append(e)
                streamer.end()
            finally:
                self._one_at_a_time.release()

        thread = threading.Thread(target=generate, name="llm-generate", daemon=True)
        thread.start()
        held = ""           # leading white space, until some text comes
        try:
            for text in streamer:
                if held is None:
                    if text:
                        yield text
                elif (held := held + text).strip():
                    yield held.lstrip()
                    held = None
        finally:
            stop.cancelled = True       # the reader is gone, or the stream ended
            thread.join()
        if failures:
            raise ChatError(f"{self.name}: generation failed ({_first_line(failures[0])})")
        if stop.deadline_passed:
            raise ChatError(f"{self.name}: the deadline of {deadline.seconds:g} s passed before "
                            "the reply was complete")
        if held is not None:
            raise ChatError(f"{self.name}: empty answer")


def _stop_criteria(deadline: Deadline | None) -> Any:
    """A StoppingCriteria that ends generation at `deadline` or once `cancelled` is set."""
    import torch
    from transformers import StoppingCriteria

    class Stop(StoppingCriteria):
        cancelled = False
        deadline_passed = False

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if deadline is not None and deadline.passed():
                self.deadline_passed = True
            done = self.cancelled or self.deadline_passed
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool,
                              device=input_ids.device)

    return Stop()


def _looks_like_path(model: str) -> bool:
    """A hub name is "name" or "owner/name"; anything else is meant as a directory."""
    return (model.startswith((".", "/", "~")) or "\\" in model or model.count("/") > 1
            or Path(model).is_absolute())


def _check_directory(directory: Path) -> Path:
    """The weights file of a model directory, after checking the files a load needs."""
    if not directory.is_dir():
        raise ChatError(f"{directory}: model directory not found")
    config = directory / "config.json"
    _json_file(config, required=True)
    _json_file(directory / "tokenizer_config.json", required=False)
    if not any((directory / name).is_file() for name in _TOKENIZER_FILES):
        raise ChatError(f"{directory}: no tokenizer ({' or '.join(_TOKENIZER_FILES[:2])})")
    _json_file(directory / "tokenizer.json", required=False)
    for name in _WEIGHT_FILES:
        if (directory / name).is_file():
            if name.endswith(".json"):
                _json_file(directory / name, required=True)
            return directory / name
    raise ChatError(f"{directory}: no weights (model.safetensors or pytorch_model.bin)")


def _json_file(path: Path, *, required: bool) -> None:
    if not path.is_file():
        if required:
            raise ChatError(f"{path}: missing (a transformers model directory needs it)")
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ChatError(f"{path}: not a text file") from None
    except json.JSONDecodeError as e:
        raise ChatError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    if not isinstance(data, dict):
        raise ChatError(f"{path}: must hold a JSON object")
    if path.name == "config.json" and "model_type" not in data:
        raise ChatError(f"{path}: no model_type (not a transformers model config)")


def _device(requested: str, *, torch: Any, warn: Callable[[str], None]) -> str:
    has_cuda = torch.cuda.is_available()
    if requested == "auto":
        return "cuda" if has_cuda else "cpu"
    if requested.startswith("cuda"):
        index = int(requested.partition(":")[2] or 0)
        if not has_cuda or index >= torch.cuda.device_count():
            warn(f"llm device {requested} requested but CUDA is not available"
                 f"{' (no such GPU)' if has_cuda else ''}: running on the CPU")
            return "cpu"
    if requested == "mps" and not torch.backends.mps.is_available():
        warn("llm device mps requested but MPS is not available: running on the CPU")
        return "cpu"
    return requested


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.splitlines()[0].split())[:300]
