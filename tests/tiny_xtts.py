"""An XTTS model with random weights, built from Coqui's own XttsConfig and Xtts and saved as a
model directory the way the released XTTS v2 is laid out (`model.pth`, `config.json`,
`vocab.json`), so that it loads through Coqui's real `Xtts.load_checkpoint`. The GPT is tiny;
the HiFi-GAN decoder and its speaker encoder keep their real sizes, because Xtts builds them
from fixed settings that its config cannot change. Used by tests/test_coqui_voice.py."""
from __future__ import annotations

from pathlib import Path

# The GPT part of XttsArgs, made tiny: one layer of 32 channels, at most 48 audio tokens per
# sentence (about 1.1 s of speech) so that a random model that never says "stop" ends soon.
TINY_GPT = dict(gpt_layers=1, gpt_n_model_channels=32, gpt_n_heads=2, gpt_max_audio_tokens=24,
                gpt_max_text_tokens=200, gpt_max_prompt_tokens=16, gpt_num_audio_tokens=34,
                gpt_start_audio_token=32, gpt_stop_audio_token=33,
                gpt_use_perceiver_resampler=True, decoder_input_dim=32)

LANGUAGES = ("en",)
# The markers VoiceBpeTokenizer writes around the text: "[en]good[SPACE]evening." and [STOP].
SPECIAL_TOKENS = ["[STOP]", "[UNK]", "[SPACE]", "[START]", *(f"[{x}]" for x in LANGUAGES)]
TRAINING_TEXT = ("good evening. prices of rice rose again today in the northern markets! why? "
                 "the weather is calm, and the news is short: one, two, three. "
                 "abcdefghijklmnopqrstuvwxyz 0123456789 ' - , ; : ! ? .")


def save_vocab(path: Path, *, vocab_size: int = 120) -> Path:
    """Train a small byte-pair vocabulary on a few English lines and save it as the
    `tokenizers` JSON file that XTTS's VoiceBpeTokenizer reads."""
    from tokenizers import Tokenizer
    from tokenizers.models import BPE
    from tokenizers.pre_tokenizers import Whitespace
    from tokenizers.trainers import BpeTrainer

    tokenizer = Tokenizer(BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    trainer = BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False)
    lines = [line.strip() for line in TRAINING_TEXT.split(".")]
    tokenizer.train_from_iterator(lines, trainer=trainer)
    tokenizer.save(str(path))
    return path


def save_xtts(folder: Path, *, seed: int = 0) -> Path:
    """Build a random tiny XTTS speaking LANGUAGES and save it as a model directory in
    `folder` (model.pth, config.json, vocab.json); the folder."""
    import torch
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    folder.mkdir(parents=True, exist_ok=True)
    vocab = save_vocab(folder / "vocab.json")
    config = XttsConfig(model_args=XttsArgs(**TINY_GPT, tokenizer_file=str(vocab)),
                        languages=list(LANGUAGES))
    torch.manual_seed(seed)
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(vocab_file=str(vocab))
    model.init_models()              # the GPT needs the tokenizer's size, as in load_checkpoint
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder
