"""A tiny Piper-format "voice" built in the test with the onnx helper API, and its config.

The model takes Piper's inputs (input, input_lengths, scales and, for several speakers, sid)
and makes a sine: (id + 1) * length_scale frames of HOP samples per id, so the audio's length
tells which ids it got; amplitude AMP / number of ids, so raw loudness differs by sentence
length; frequency BASE_HZ * (1 + sid). With `durations=True` it also outputs the frames per id.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

RATE = 22050
HOP = 64
AMP = 8.0
BASE_HZ = 220.0
SENTENCES = ("Good evening.", "Here is the news, read by a very small voice that says rather more words.",
             "Is it working? Yes!", "The cat sat on the mat, and then the dog barked: loudly; twice.")


def save_tiny_piper(folder: Path, *, speakers: int = 1, durations: bool = False,
                    drop: tuple[str, ...] = (), inputs: tuple[str, ...] | None = None,
                    name: str = "tiny.onnx") -> Path:
    """Write `name` and `name`.json into `folder`; returns the model path."""
    import onnx
    from onnx import TensorProto, helper

    folder.mkdir(parents=True, exist_ok=True)
    f32 = TensorProto.FLOAT
    consts = {
        "one": np.array(1.0, np.float32), "hop": np.array(float(HOP), np.float32),
        "zero": np.array(0.0, np.float32), "amp": np.array(AMP, np.float32),
        "w": np.array(2 * math.pi * BASE_HZ / RATE, np.float32),
        "i1": np.array([1], np.int64), "shape3": np.array([1, 1, -1], np.int64),
    }
    init = [helper.make_tensor(k, f32 if v.dtype == np.float32 else TensorProto.INT64,
                               v.shape, v.reshape(-1).tolist()) for k, v in consts.items()]
    nodes = [
        helper.make_node("Cast", ["input"], ["ids_f"], to=f32),
        helper.make_node("Gather", ["scales", "i1"], ["ls1"], axis=0),          # length_scale [1]
        helper.make_node("Add", ["ids_f", "one"], ["dur0"]),
        helper.make_node("Mul", ["dur0", "ls1"], ["dur"]),                       # [1, N]
        helper.make_node("ReduceSum", ["dur"], ["frames"], keepdims=0),
        helper.make_node("Mul", ["frames", "hop"], ["T"]),
        helper.make_node("Range", ["zero", "T", "one"], ["t"]),
        helper.make_node("Shape", ["input"], ["shape"]),
        helper.make_node("Gather", ["shape", "i1"], ["n_i"], axis=0),
        helper.make_node("Cast", ["n_i"], ["n_f"], to=f32),
        helper.make_node("Div", ["amp", "n_f"], ["a"]),
    ]
    if speakers > 1:
        nodes += [helper.make_node("Cast", ["sid"], ["sid_f"], to=f32),
                  helper.make_node("Add", ["sid_f", "one"], ["sid1"]),
                  helper.make_node("Mul", ["w", "sid1"], ["w_s"])]
        w = "w_s"
    else:
        w = "w"
    nodes += [helper.make_node("Mul", ["t", w], ["phase"]),
              helper.make_node("Sin", ["phase"], ["s"]),
              helper.make_node("Mul", ["s", "a"], ["y"]),
              helper.make_node("Reshape", ["y", "shape3"], ["output"])]
    graph_inputs = [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
                    helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
                    helper.make_tensor_value_info("scales", f32, [3])]
    if speakers > 1:
        graph_inputs.append(helper.make_tensor_value_info("sid", TensorProto.INT64, [1]))
    if inputs is not None:      # a graph that is not a voice: other input names
        graph_inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, [1, "phonemes"])
                        for n in inputs]
        nodes = [helper.make_node("Cast", [inputs[0]], ["y0"], to=f32),
                 helper.make_node("Reshape", ["y0", "shape3"], ["output"])]
    outputs = [helper.make_tensor_value_info("output", f32, [1, 1, "time"])]
    if durations and inputs is None:
        nodes.append(helper.make_node("Identity", ["dur"], ["durations"]))
        outputs.append(helper.make_tensor_value_info("durations", f32, [1, "phonemes"]))
    graph = helper.make_graph(nodes, "tiny_piper", graph_inputs, outputs, init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = folder / name
    onnx.save(model, str(path))
    config = tiny_config(speakers=speakers, drop=drop)
    Path(f"{path}.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path


def tiny_config(*, speakers: int = 1, drop: tuple[str, ...] = ()) -> dict:
    """A Piper config whose id map covers espeak-ng's IPA for SENTENCES (less `drop`)."""
    from voices.piper_phonemes import sentences

    symbols: list[str] = []
    for text in SENTENCES:
        for sentence in sentences(text, espeak_voice="en-us"):
            symbols += [p for p in sentence.phonemes if p not in symbols]
    symbols += [p for p in " ,.?!:;" if p not in symbols]
    id_map = {"_": [0], "^": [1], "$": [2]}
    for k, symbol in enumerate(s for s in symbols if s not in drop):
        id_map[symbol] = [3 + k]
    return {"audio": {"sample_rate": RATE, "quality": "x_low"}, "espeak": {"voice": "en-us"},
            "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8},
            "phoneme_type": "espeak", "phoneme_id_map": id_map, "num_symbols": 256,
            "num_speakers": speakers,
            "speaker_id_map": {"ann": 0, "bob": 1} if speakers > 1 else {},
            "language": {"code": "en_US", "family": "en"}, "dataset": "tiny"}
