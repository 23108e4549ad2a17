"""Neural lip sync (Wav2Lip-style): a full-size generator with random weights, saved by the test
in the public checkpoint's layout ({"state_dict": {"module." + key: tensor}}) and loaded through
the real loader; the numpy mel front end against librosa and the program timeline; the shared
batching engine (channels in one batch, out-of-memory halving); the animator (silence never
reaches the model, a paste-back without a seam); `anchor render` with `lipsync:` in the show.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from anchor.errors import AvatarError, ShowError  # noqa: E402
from anchor.media import CLOSED, PROGRAM_RATE, FaceDrive, Viseme  # noqa: E402
from anchor.program import Program, Spoken  # noqa: E402
from anchor.program.speaking import silence  # noqa: E402
from anchor.show import parse_show  # noqa: E402
from anchor.studio import ProgramState  # noqa: E402
from avatars.base import AudioDrivenAnimator  # noqa: E402
from avatars.presenter import IllustratedPresenter  # noqa: E402
from avatars.wav2lip import LipSyncEngine, NeuralLipSync, load_wav2lip  # noqa: E402
from avatars.wav2lip.mel import MelFrontEnd, first_step, mel_filters  # noqa: E402
from avatars.wav2lip.model import Wav2LipGenerator, Wav2LipRunner  # noqa: E402
from avatars.wav2lip.paste import canvas_region, feathered_mask, match_colour, paste  # noqa: E402

FPS = 25

# Keys and shapes of the public Wav2Lip generator checkpoint (models/wav2lip.py, conv.py of
# Rudrabha/Wav2Lip), as saved from DataParallel. ConvTranspose2d weights are (in, out, k, k).
PUBLIC_KEYS = {
    "module.face_encoder_blocks.0.0.conv_block.0.weight": (16, 6, 7, 7),
    "module.face_encoder_blocks.1.0.conv_block.0.weight": (32, 16, 3, 3),
    "module.face_encoder_blocks.2.3.conv_block.0.weight": (64, 64, 3, 3),
    "module.face_encoder_blocks.4.2.conv_block.1.running_var": (256,),
    "module.face_encoder_blocks.5.1.conv_block.1.running_mean": (512,),
    "module.face_encoder_blocks.6.0.conv_block.0.weight": (512, 512, 3, 3),
    "module.face_encoder_blocks.6.1.conv_block.0.weight": (512, 512, 1, 1),
    "module.audio_encoder.0.conv_block.0.weight": (32, 1, 3, 3),
    "module.audio_encoder.3.conv_block.0.weight": (64, 32, 3, 3),
    "module.audio_encoder.9.conv_block.0.weight": (256, 128, 3, 3),
    "module.audio_encoder.10.conv_block.1.bias": (256,),
    "module.audio_encoder.12.conv_block.0.weight": (512, 512, 1, 1),
    "module.face_decoder_blocks.0.0.conv_block.0.weight": (512, 512, 1, 1),
    "module.face_decoder_blocks.1.0.conv_block.0.weight": (1024, 512, 3, 3),
    "module.face_decoder_blocks.2.2.conv_block.0.weight": (512, 512, 3, 3),
    "module.face_decoder_blocks.3.0.conv_block.0.weight": (768, 384, 3, 3),
    "module.face_decoder_blocks.5.0.conv_block.0.weight": (320, 128, 3, 3),
    "module.face_decoder_blocks.6.0.conv_block.0.weight": (160, 64, 3, 3),
    "module.face_decoder_blocks.6.2.conv_block.1.weight": (64,),
    "module.output_block.0.conv_block.0.weight": (32, 80, 3, 3),
    "module.output_block.1.weight": (3, 32, 1, 1),
    "module.output_block.1.bias": (3,),
}
ABSENT_KEYS = ("module.face_encoder_blocks.7.0.conv_block.0.weight",   # the 192 px variant
               "module.audio_encoder.13.conv_block.0.weight",
               "module.face_decoder_blocks.7.0.conv_block.0.weight")


def random_generator(seed: int = 0) -> Wav2LipGenerator:
    torch.manual_seed(seed)
    model = Wav2LipGenerator()
    with torch.no_grad():
        for name, buf in model.named_buffers():       # trained-looking BatchNorm statistics
            if name.endswith("running_mean"):
                buf.normal_(0.0, 0.1)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 2.0)
    return model.eval()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> tuple[Path, Wav2LipGenerator]:
    """A random generator saved as the public checkpoints are (with training state around it)."""
    model = random_generator()
    path = tmp_path_factory.mktemp("wav2lip") / "wav2lip.pth"
    torch.save({"state_dict": {"module." + k: v for k, v in model.state_dict().items()},
                "global_step": 0, "global_epoch": 0}, path)
    return path, model


@pytest.fixture(scope="module")
def runner(checkpoint):
    return load_wav2lip(checkpoint[0], device="cpu")


def faces_and_mels(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 96, 96, 6), dtype=np.uint8),
            rng.uniform(-4, 4, (n, 80, 16)).astype(np.float32))


# ---- checkpoint layout and loader ------------------------------------------------------------

def test_checkpoint_has_the_public_key_layout(checkpoint):
    saved = torch.load(checkpoint[0], map_location="cpu", weights_only=True)["state_dict"]
    for key, shape in PUBLIC_KEYS.items():
        assert key in saved, f"{key} missing: the public checkpoints would not load"
        assert tuple(saved[key].shape) == shape, key
    assert not [k for k in ABSENT_KEYS if k in saved]
    assert all(k.startswith("module.") for k in saved)


def test_loader_gives_the_saved_model(checkpoint, runner):
    _, model = checkpoint
    faces, mels = faces_and_mels(2)
    out = runner(faces, mels)
    assert out.shape == (2, 96, 96, 3) and out.dtype == np.uint8
    with torch.no_grad():                   # the checkpoint's own convention: BGR in [0, 1]
        bgr = torch.from_numpy(faces[..., [2, 1, 0, 5, 4, 3]]).permute(0, 3, 1, 2).float() / 255
        ref = model(torch.from_numpy(mels)[:, None], bgr).permute(0, 2, 3, 1).numpy()[..., ::-1]
    assert np.abs(out.astype(float) - np.round(ref * 255)).max() <= 1
    assert out.std() > 1.0                  # the random weights do something to the picture


def test_loader_takes_a_bare_state_dict(tmp_path, checkpoint, runner):
    _, model = checkpoint
    bare = tmp_path / "bare.pt"
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, bare)
    faces, mels = faces_and_mels(1, seed=3)
    assert np.array_equal(load_wav2lip(bare, device="cpu")(faces, mels), runner(faces, mels))


def test_missing_and_corrupt_checkpoints_name_the_file(tmp_path):
    with pytest.raises(AvatarError, match=r"nothere\.pth: lip-sync checkpoint not found"):
        load_wav2lip(tmp_path / "nothere.pth", device="cpu")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(AvatarError, match=r"junk\.pth: not a readable PyTorch checkpoint"):
        load_wav2lip(junk, device="cpu")
    cut = tmp_path / "cut.pth"
    torch.save({"state_dict": {"a": torch.zeros(1000)}}, cut)
    cut.write_bytes(cut.read_bytes()[:600])
    with pytest.raises(AvatarError, match=r"cut\.pth: not a readable"):
        load_wav2lip(cut, device="cpu")


def test_wrong_architecture_names_the_first_bad_key(tmp_path, checkpoint):
    state = random_generator(1).state_dict()
    syncnet = tmp_path / "syncnet.pth"      # another network's weights
    torch.save({"state_dict": {"module.face_encoder.0.conv_block.0.weight": torch.zeros(32, 15, 7, 7)}},
               syncnet)
    with pytest.raises(AvatarError, match=r"syncnet\.pth: not a Wav2Lip generator checkpoint: "
                                          r"keys \d+ missing, first 'face_encoder_blocks\.0\.0\.conv"
                                          r"_block\.0\.weight'; 1 unexpected, first 'face_encoder\."):
        load_wav2lip(syncnet, device="cpu")
    wide = dict(state)
    wide["output_block.1.weight"] = torch.zeros(3, 64, 1, 1)
    path = tmp_path / "wide.pth"
    torch.save({"state_dict": wide}, path)
    with pytest.raises(AvatarError, match=r"wide\.pth: .*'output_block\.1\.weight' has shape "
                                          r"\(3, 64, 1, 1\), expected \(3, 32, 1, 1\)"):
        load_wav2lip(path, device="cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_asked_for_but_absent_falls_back_with_a_warning(checkpoint):
    warnings = []
    runner = load_wav2lip(checkpoint[0], device="cuda", warn=warnings.append)
    assert runner.device == "cpu"
    assert len(warnings) == 1 and "CUDA" in warnings[0]
    with pytest.raises(AvatarError, match="lipsync device: 'tpu'"):
        load_wav2lip(checkpoint[0], device="tpu")


# ---- mel front end --------------------------------------------------------------------------

def test_mel_front_end_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    assert np.allclose(mel_filters(), ref, atol=1e-6)
    rng = np.random.default_rng(0)
    x = (0.3 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000)
         + 0.05 * rng.standard_normal(16000)).astype(np.float32)
    emph = np.append(x[0], x[1:] - 0.97 * x[:-1])
    spec = np.abs(librosa.stft(y=emph, n_fft=800, hop_length=200, win_length=800))
    db = 20 * np.log10(np.maximum(1e-5, ref @ spec)) - 20
    want = np.clip(8 * (db + 100) / 100 - 4, -4, 4)
    # ours: step m centred on sample 200 m, the first sample before it only for pre-emphasis
    got = MelFrontEnd().mel_of_frames(np.concatenate([np.zeros(401, np.float32), x]), 70)
    assert np.abs(got[:, 3:70] - want[:, 3:70]).max() < 1e-3   # away from librosa's edge padding


def test_a_click_lands_in_the_window_of_its_frame():
    mel = MelFrontEnd()
    pcm = np.zeros(3 * PROGRAM_RATE, np.int16)
    click_at = PROGRAM_RATE                       # t = 1 s: frame 25, mel step 80
    pcm[click_at:click_at + 48] = 20000
    for frame in range(19, 28):
        step = first_step(frame, FPS)
        window = mel.window(pcm, 0, step)
        loudness = window.mean(axis=0)
        if step <= 80 < step + 16:
            assert int(np.argmax(loudness)) == 80 - step, frame
            assert loudness.max() > -2.0
        elif step > 82 or step + 16 < 78:
            assert np.all(window == -4.0), f"frame {frame} hears a click that is not in its window"
    assert np.allclose(mel.window(pcm, 0, first_step(25, FPS)), mel.whole(pcm)[:, 80:96], atol=1e-5)


class _Passthrough:
    def compose(self, frame, state):
        return frame


class _Listening(AudioDrivenAnimator):
    """Records its drives; asks the program for the audio around each frame."""
    audio_window_ms = (50.0, 250.0)
    width = height = 4

    def __init__(self):
        self.drives = []

    def frames(self, drives):
        for drive in drives:
            self.drives.append(drive)
            yield None


def speech(ms: int, hz: float = 220.0) -> Spoken:
    n = ms * PROGRAM_RATE // 1000
    tone = (9000 * np.sin(2 * np.pi * hz * np.arange(n) / PROGRAM_RATE)).astype(np.int16)
    return Spoken(tone, (Viseme("aa", 0, n),), ProgramState())


def test_program_hands_the_animator_the_audio_around_each_frame():
    items = [silence(310, ProgramState()), speech(430), silence(250, ProgramState()), speech(300, 330)]
    whole = np.concatenate([i.pcm for i in items])
    listening = _Listening()
    program = Program(animator=listening, studio=_Passthrough(), fps=FPS)
    list(program.items(items))
    ends = np.cumsum([len(i.pcm) for i in items])
    mel = MelFrontEnd()
    reference = mel.whole(whole)
    checked = 0
    for n, drive in enumerate(listening.drives):
        at = n * PROGRAM_RATE // FPS
        assert drive.audio_at == at - 2400 and len(drive.audio) == 2400 + 12000
        item_end = ends[np.searchsorted(ends, at, side="right")]
        lo, hi = max(0, drive.audio_at), min(item_end, drive.audio_at + len(drive.audio))
        assert np.array_equal(drive.audio[lo - drive.audio_at:hi - drive.audio_at], whole[lo:hi])
        assert not drive.audio[hi - drive.audio_at:].any()    # the next item is not made yet
        step = first_step(n, FPS)
        if (step + 18) * 600 < item_end and at > 3000:         # the window lies inside its item
            got = mel.window(drive.audio, drive.audio_at, step)
            assert np.allclose(got, reference[:, step:step + 16], atol=1e-4)
            checked += 1
    assert checked >= 8
    assert FaceDrive(audio=np.zeros(3, np.int16)) == FaceDrive()   # audio is not compared
    plain = Program(animator=IllustratedPresenter(height=240, fps=FPS), studio=_Passthrough(), fps=FPS)
    assert plain._window is None                                   # the default path pays nothing


# ---- the engine -----------------------------------------------------------------------------

class Counting:
    def __init__(self, generator):
        self.generator, self.batches = generator, []

    def __call__(self, faces, mels):
        self.batches.append(len(faces))
        return self.generator(faces, mels)


def test_two_channels_share_one_batch(runner):
    counting = Counting(runner)
    engine = LipSyncEngine(counting, batch=8, gather_ms=2000)
    faces, mels = faces_and_mels(8, seed=5)
    futures = {}

    def channel(name, rows):
        futures[name] = [engine.submit(faces[i], mels[i], channel=name) for i in rows]

    threads = [threading.Thread(target=channel, args=("news", range(0, 4))),
               threading.Thread(target=channel, args=("shop", range(4, 8)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = [f.result(timeout=60) for f in futures["news"] + futures["shop"]]
    assert counting.batches == [8]
    assert sorted(engine.stats.batch_channels[0]) == ["news"] * 4 + ["shop"] * 4
    alone = runner(faces[5:6], mels[5:6])[0]          # each channel gets its own frame back
    assert np.abs(got[5].astype(int) - alone).max() <= 1
    engine.close()


async def test_engine_runs_off_the_event_loop(runner):
    engine = LipSyncEngine(Counting(runner), batch=4, gather_ms=50)
    faces, mels = faces_and_mels(4, seed=6)
    ticks = 0

    async def heartbeat():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    beat = asyncio.create_task(heartbeat())
    out = await asyncio.gather(*(engine.infer(faces[i], mels[i], channel=f"c{i % 2}")
                                 for i in range(4)))
    beat.cancel()
    assert len(out) == 4 and engine.generator.batches == [4]
    assert ticks >= 3                     # the loop kept running while the model did
    engine.close()


class OutOfMemoryAbove(torch.nn.Module):
    """The real generator on a device that holds at most `limit` frames at once."""

    def __init__(self, model, limit):
        super().__init__()
        self.model, self.limit = model, limit

    def forward(self, mels, faces):
        if faces.shape[0] > self.limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.model(mels, faces)


def test_out_of_memory_halves_the_batch_and_retries(checkpoint, runner):
    warnings = []
    small = Counting(Wav2LipRunner(OutOfMemoryAbove(checkpoint[1], 2)))
    engine = LipSyncEngine(small, batch=8, gather_ms=2000, warn=warnings.append)
    faces, mels = faces_and_mels(8, seed=7)
    futures = [engine.submit(faces[i], mels[i]) for i in range(8)]
    got = np.stack([f.result(timeout=60) for f in futures])
    assert engine.batch == 2 and engine.stats.halvings == 2
    assert small.batches == [8, 4, 2, 2, 2, 2]
    assert "batch size now 4" in warnings[0] and "batch size now 2" in warnings[1]
    assert np.abs(got.astype(int) - runner(faces, mels)).max() <= 1
    engine.close()
    never = LipSyncEngine(Wav2LipRunner(OutOfMemoryAbove(checkpoint[1], 0)), batch=2,
                          warn=warnings.append)
    with pytest.raises(AvatarError, match="out of memory even at batch 1"):
        never.submit(faces[0], mels[0]).result(timeout=60)
    never.close()


# ---- the animator ---------------------------------------------------------------------------

def base_frames(n_drives, drives):
    presenter = IllustratedPresenter(height=360, fps=FPS, seed=3)
    return list(presenter.frames(replace(d, mouth=CLOSED, audio=None) for d in drives[:n_drives]))


def test_silent_frames_never_reach_the_model(runner):
    counting = Counting(runner)
    engine = LipSyncEngine(counting, batch=8)
    animator = NeuralLipSync(IllustratedPresenter(height=360, fps=FPS, seed=3), engine=engine,
                             fps=FPS)
    # speech with a long silent gap inside the same utterance (still "speaking")
    gap = speech(900)
    pcm = gap.pcm.copy()
    pcm[int(0.3 * PROGRAM_RATE):int(0.75 * PROGRAM_RATE)] = 0
    items = [silence(400, ProgramState()), replace(gap, pcm=pcm), silence(400, ProgramState())]
    listening = _Listening()
    list(Program(animator=listening, studio=_Passthrough(), fps=FPS).items(items))
    drives = listening.drives
    frames = list(animator.frames(iter(drives)))
    base = base_frames(len(drives), drives)
    assert len(frames) == len(drives)
    changed = []
    for frame, ref, drive in zip(frames, base, drives):
        same = np.array_equal(canvas_region(frame, (0, 0, animator.width, animator.height)),
                              canvas_region(ref, (0, 0, animator.width, animator.height)))
        changed.append(not same)
        if not drive.speaking:
            assert same                   # lead-in and tail: the base animator's closed mouth
    sent = engine.stats.frames
    assert sum(counting.batches) == sent == sum(changed)
    speaking = sum(d.speaking for d in drives)
    assert 8 <= sent <= speaking - 5      # the silent middle of the utterance was not sent
    # frame 10 + k hears [40 k, 40 k + 200) ms of the utterance: (its window starts at mel step floor(3.2 n)): silent for n = 18..24
    assert not any(changed[18:25]) and changed[17] and changed[25]
    engine.close()


def test_paste_back_has_no_box_and_no_seam(runner):
    presenter = IllustratedPresenter(height=720, fps=FPS, seed=1)
    engine = LipSyncEngine(runner, batch=1)
    animator = NeuralLipSync(presenter, engine=engine, fps=FPS)
    frame = next(presenter.frames([FaceDrive(speaking=True)]))
    crop_box = animator.face_box
    crop = canvas_region(frame, crop_box)
    mouth = presenter.mouth_region(frame)
    mask = feathered_mask(crop_box, mouth)
    h, w = crop.shape[:2]
    green = np.zeros((h, w, 3), np.uint8)
    green[..., 1] = 255
    green[..., 0] = np.linspace(40, 220, h)[:, None]        # a smooth face, as a model gives
    matched = match_colour(green, crop, mask)
    out = paste(frame, matched, crop_box, mask)
    whole = (0, 0, presenter.width, presenter.height)
    before = canvas_region(frame, whole).astype(float)
    after = canvas_region(out, whole).astype(float)
    x0, y0, x1, y1 = crop_box
    full = np.zeros(before.shape[:2])
    full[y0:y1, x0:x1] = mask
    # outside the feathered region: not one pixel changed
    assert np.array_equal(after[full == 0], before[full == 0])
    assert (full > 0.99).sum() > 200              # and it did replace the mouth
    # colour: inside the mask the pasted face has the skin's colour, not the model's green
    core = full > 0.9
    assert np.abs(after[core].mean(axis=0) - before[core].mean(axis=0)).max() < 16
    raw = canvas_region(paste(frame, green.astype(np.float32), crop_box, mask), whole)
    assert np.abs(raw[core].mean(axis=0) - before[core].mean(axis=0)).max() > 60
    # seam: where the pasted region meets the untouched picture (pixels inside the mask next to
    # pixels outside it) the picture changes by almost nothing, so no edge shows
    change = np.abs(after - before).sum(axis=2)
    outside = np.pad(full == 0, 1, constant_values=True)
    border = (full > 0) & (outside[:-2, 1:-1] | outside[2:, 1:-1] | outside[1:-1, :-2]
                           | outside[1:-1, 2:])
    assert border.sum() > 100
    assert change[border].max() <= 9          # at most 3 levels a channel
    # inside, the change grows gradually: no jump bigger than the mask's own slope allows
    ramp = (full > 0) & (full < 0.2)
    assert change[ramp].max() < 0.2 * 3 * 255
    hard = paste(frame, matched, crop_box, (mask > 0).astype(np.float32))   # a box-like paste
    hard_change = np.abs(canvas_region(hard, whole).astype(float) - before).sum(axis=2)
    assert hard_change[border].max() > 60
    engine.close()


def test_photo_avatar_mouth_is_redrawn_inside_the_face_only(runner, tmp_path):
    skimage = pytest.importorskip("skimage")
    from avatars.pack import create_pack
    from avatars.warp import PhotoAnimator
    consent = tmp_path / "consent.txt"
    consent.write_text("I agree that my portrait may animate an AI presenter.\n")
    pack = create_pack(Path(skimage.__file__).parent / "data" / "astronaut.png", name="eileen",
                       consent=consent, root=tmp_path / "avatars")
    engine = LipSyncEngine(runner, batch=4)
    animator = NeuralLipSync(PhotoAnimator(pack, height=384, fps=FPS, seed=2), engine=engine,
                             fps=FPS)
    items = [silence(200, ProgramState()), speech(240)]
    listening = _Listening()
    list(Program(animator=listening, studio=_Passthrough(), fps=FPS).items(items))
    frames = list(animator.frames(iter(listening.drives)))
    plain = PhotoAnimator(pack, height=384, fps=FPS, seed=2)
    base = list(plain.frames(replace(d, mouth=CLOSED, audio=None) for d in listening.drives))
    whole = (0, 0, animator.width, animator.height)
    x0, y0, x1, y1 = animator.face_box
    for frame, ref, drive in zip(frames, base, listening.drives):
        got, want = canvas_region(frame, whole), canvas_region(ref, whole)
        if not drive.speaking:
            assert np.array_equal(got, want)
            continue
        outside = np.ones(got.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(got[outside], want[outside])
        assert np.abs(got.astype(int) - want).max() > 10          # the model drew the mouth
    assert engine.stats.frames == sum(d.speaking for d in listening.drives) == 6
    engine.close()


# ---- the show file and the command ------------------------------------------------------------

def test_lipsync_in_the_show_file(tmp_path, checkpoint):
    (tmp_path / "w.pth").write_bytes(b"x")
    show = parse_show("title: T\nlanguage: en\nlipsync: {model: w.pth, batch: 4}\n"
                      "segments:\n  - kind: text\n    text: Hi.\n", path=tmp_path / "s.yaml")
    assert show.lipsync.model == str(tmp_path / "w.pth") and show.lipsync.device == "auto"
    with pytest.raises(ShowError, match=r"s\.yaml:4: lipsync\.model: checkpoint 'gone\.pth' not found"):
        parse_show("title: T\nlanguage: en\nlipsync:\n  model: gone.pth\n"
                   "segments:\n  - kind: text\n    text: Hi.\n", path=tmp_path / "s.yaml")
    with pytest.raises(ShowError, match=r"s\.yaml:4: lipsync\.device: must be auto, cpu or cuda"):
        parse_show("title: T\nlanguage: en\nlipsync: {model: w.pth,\n  device: gpu}\n"
                   "segments:\n  - kind: text\n    text: Hi.\n", path=tmp_path / "s.yaml")


def test_render_a_show_with_lipsync(tmp_path, checkpoint, capfd):
    from anchor.cli import main
    model = tmp_path / "models" / "w2l.pth"
    model.parent.mkdir()
    model.symlink_to(checkpoint[0])
    show = tmp_path / "show.yaml"
    show.write_text("title: Lips\nlanguage: en\nlipsync: {model: models/w2l.pth, device: cpu}\n"
                    "layout: {width: 320, height: 240, subtitles: false}\n"
                    "segments:\n  - kind: text\n    text: Hello there.\n")
    out = tmp_path / "out.mp4"
    assert main(["render", str(show), "-o", str(out), "-t", "2"]) == 0, capfd.readouterr().err
    with av.open(str(out)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 45


def test_import_does_not_load_torch():
    code = ("import sys, anchor, anchor.program, avatars.wav2lip, avatars.wav2lip.mel; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
