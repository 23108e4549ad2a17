"""A VITS model with random weights, built from Coqui's own VitsConfig and saved the way Coqui
saves checkpoints (`.pth` with a "model" state dict, plus `config.json`), so that it loads
through Coqui's real loading code. Used by tests/test_coqui_voice.py and bench/tts_speed.py."""
from __future__ import annotations

import json
from pathlib import Path

# Small enough to build and run in well under a second; the real architecture all the same.
TINY = dict(hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_layers_text_encoder=1,
            num_heads_text_encoder=2, num_layers_posterior_encoder=1, num_layers_flow=1,
            upsample_initial_channel_decoder=16, resblock_kernel_sizes_decoder=[3],
            resblock_dilation_sizes_decoder=[[1, 3, 5]], upsample_rates_decoder=[8, 8, 4],
            upsample_kernel_sizes_decoder=[16, 16, 8], speaker_embedding_channels=8,
            use_sdp=False)
DEFAULT: dict = {}   # VitsConfig's own sizes (the size of the released VITS models)

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def save_vits(folder: Path, *, dims: dict | None = None, speakers: tuple[str, ...] = (),
              languages: tuple[str, ...] = (), sample_rate: int = 22050, seed: int = 0, name: str = "model.pth") -> tuple[Path, Path]:
    """Build a random VITS with `dims` (VitsArgs fields; default TINY) reading plain letters,
    with these speaker names and language ids (none: one speaker, one language), and save it
    in `folder`; the checkpoint and config paths."""
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits

    folder.mkdir(parents=True, exist_ok=True)
    speakers_file = None
    if speakers:
        speakers_file = folder / "speakers.json"
        speakers_file.write_text(json.dumps({s: i for i, s in enumerate(speakers)}))
        speakers_file = str(speakers_file)
    language_file = None
    if languages:
        language_file = folder / "language_ids.json"
        language_file.write_text(json.dumps({x: i for i, x in enumerate(languages)}))
        language_file = str(language_file)
    args = VitsArgs(**(TINY if dims is None else dims), init_discriminator=False,
                    use_speaker_embedding=bool(speakers), speakers_file=speakers_file,
                    use_language_embedding=bool(languages), language_ids_file=language_file)
    characters = CharactersConfig(characters_class="TTS.tts.models.vits.VitsCharacters",
                                  pad="_", eos="", bos="", blank=None, characters=LETTERS,
                                  punctuations=" .,!?'-", phonemes=None)
    config = VitsConfig(model_args=args, characters=characters, use_phonemes=False,
                        text_cleaner="basic_cleaners", add_blank=True,
                        use_speaker_embedding=bool(speakers), speakers_file=speakers_file)
    config.audio.sample_rate = sample_rate
    config.audio.do_trim_silence = False   # random weights make no silence to find the end by
    torch.manual_seed(seed)
    model = Vits(config)
    checkpoint, config_path = folder / name, folder / "config.json"
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, checkpoint)
    config.save_json(str(config_path))
    return checkpoint, config_path


def parameter_count(checkpoint: Path) -> int:
    import torch
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["model"]
    return sum(t.numel() for t in state.values())
