"""Photo avatars on a real photo (scikit-image's astronaut, Eileen Collins, NASA, public domain):
rigging with real MediaPipe, avatar packs on disk, and the warp animator checked by running
FaceMesh again on what it renders."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

skimage_data = pytest.importorskip("skimage.data")

from anchor.errors import AvatarError
from anchor.media import FaceDrive, MouthShape
from avatars.facemesh import FaceMeshDetector
from avatars.motion import Pose
from avatars.pack import avatar_dir, create_pack, list_packs, load_pack
from avatars.rig import MIN_FACE_HEIGHT, read_image
from avatars.warp import PhotoAnimator

# The photos scikit-image ships inside its package (data_dir points at a download cache once
# pooch is installed, which the neural extra brings in).
DATA = Path(skimage_data.__file__).parent
ASTRONAUT = DATA / "astronaut.png"
STILL = Pose(blink=0.0, yaw=0.0, pitch=0.0, roll=0.0, breath=0.0)
CONSENT_TEXT = "I, Eileen Collins, agree that my portrait may animate an AI presenter.\n"


@pytest.fixture(scope="module")
def consent(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("consent") / "consent.txt"
    path.write_text(CONSENT_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pack(tmp_path_factory, consent):
    return create_pack(ASTRONAUT, name="eileen", consent=consent,
                       root=tmp_path_factory.mktemp("avatars"))


@pytest.fixture(scope="module")
def detector():
    with FaceMeshDetector(max_faces=1) as d:
        yield d


def save(tmp_path: Path, name: str, rgb: np.ndarray) -> Path:
    path = tmp_path / name
    Image.fromarray(rgb).save(path)
    return path


def picture(frame) -> np.ndarray:
    """The presenter frame flattened to RGB: the base with the patch pasted in."""
    rgb = frame.base.image[:, :, :3].copy()
    p = frame.patch
    rgb[p.y:p.y + p.height, p.x:p.x + p.width] = p.image[:, :, :3]
    return rgb


def landmarks(detector, rgb) -> np.ndarray:
    faces = detector.detect(rgb)
    assert len(faces) == 1, "MediaPipe lost the face in a rendered frame"
    return faces[0]


def lip_gap(lm: np.ndarray) -> float:
    return float(lm[14, 1] - lm[13, 1])          # inner lower lip minus inner upper lip, middle


def eye_ratio(lm: np.ndarray) -> float:
    """Eye aspect ratio (lid gap / eye width), both eyes averaged."""
    left = (lm[145, 1] - lm[159, 1]) / np.linalg.norm(lm[133] - lm[33])
    right = (lm[374, 1] - lm[386, 1]) / np.linalg.norm(lm[263] - lm[362])
    return float(left + right) / 2


# ---- packs ----------------------------------------------------------------------------------

def test_create_pack_writes_a_complete_pack_with_the_consent_record(pack, consent):
    folder = pack.path
    assert sorted(p.name for p in folder.iterdir()) == [
        "consent.txt", "image.png", "landmarks.npy", "pack.toml"]
    assert pack.landmarks.shape == (478, 2)
    h, w = pack.image.shape[:2]
    assert (pack.landmarks >= 0).all() and (pack.landmarks[:, 0] < w).all() \
        and (pack.landmarks[:, 1] < h).all()
    assert read_image(folder / "image.png").shape == pack.image.shape
    meta = (folder / "pack.toml").read_text()
    assert 'name = "eileen"' in meta and 'source = "astronaut.png"' in meta
    assert f"width = {w}" in meta and f"height = {h}" in meta
    record = (folder / "consent.txt").read_text()
    digest = hashlib.sha256(consent.read_bytes()).hexdigest()
    assert CONSENT_TEXT.strip() in record and f"sha256: {digest}" in record
    assert "recorded: " in record and pack.consent_sha256 == digest
    again = load_pack("eileen", root=folder.parent)
    np.testing.assert_array_equal(again.landmarks, pack.landmarks)
    assert [p.name for p in list_packs(folder.parent)] == ["eileen"]


def test_unknown_pack_names_the_known_ones(pack):
    with pytest.raises(AvatarError, match="unknown avatar 'nobody'.*known: eileen"):
        load_pack("nobody", root=pack.path.parent)


def test_existing_name_is_refused_unless_overwritten(pack, consent, tmp_path):
    root = tmp_path / "avatars"
    create_pack(ASTRONAUT, name="anna", consent=consent, root=root)
    with pytest.raises(AvatarError, match="already exists"):
        create_pack(ASTRONAUT, name="anna", consent=consent, root=root)
    replaced = create_pack(ASTRONAUT, name="anna", consent=consent, root=root, overwrite=True)
    assert replaced.path == root / "anna"
    assert sorted(p.name for p in root.iterdir()) == ["anna"]     # no temporary folders left


@pytest.mark.parametrize("name", ["Anna", "-anna", "an na", "../anna", "a" * 41, ""])
def test_bad_names_are_refused(name, consent, tmp_path):
    with pytest.raises(AvatarError, match="not allowed"):
        create_pack(ASTRONAUT, name=name, consent=consent, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [None, b"", b"  \n"])
def test_a_pack_needs_a_consent_file_with_text(content, tmp_path):
    consent = tmp_path / "consent.txt"
    if content is not None:
        consent.write_bytes(content)
    with pytest.raises(AvatarError, match="consent"):
        create_pack(ASTRONAUT, name="anna", consent=consent, root=tmp_path / "avatars")
    assert not (tmp_path / "avatars").exists()


def test_a_failed_write_leaves_no_half_written_pack(consent, tmp_path, monkeypatch):
    import avatars.pack

    def broken(path, rgb):
        raise OSError("disk full")

    monkeypatch.setattr(avatars.pack, "_write_png", broken)
    with pytest.raises(OSError, match="disk full"):
        create_pack(ASTRONAUT, name="anna", consent=consent, root=tmp_path)
    assert list(tmp_path.iterdir()) == [] and list_packs(tmp_path) == []


def test_avatar_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ANCHOR_AVATARS", str(tmp_path / "mine"))
    assert avatar_dir() == tmp_path / "mine"
    monkeypatch.delenv("ANCHOR_AVATARS")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert avatar_dir() == tmp_path / "data" / "anchor" / "avatars"


# ---- portraits that cannot become a presenter -------------------------------------------------

def test_a_picture_without_a_face_is_refused(consent, tmp_path):
    with pytest.raises(AvatarError, match=r"coffee\.png: no face found"):
        create_pack(DATA / "coffee.png", name="cup", consent=consent, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_two_people_are_refused(consent, tmp_path):
    face = read_image(ASTRONAUT)[0:300, 100:350]
    path = save(tmp_path, "pair.png", np.concatenate([face, face], axis=1))
    with pytest.raises(AvatarError, match="2 faces found, the portrait must show one person"):
        create_pack(path, name="pair", consent=consent, root=tmp_path / "avatars")


def test_a_small_face_is_refused_with_its_size(consent, tmp_path):
    small = np.asarray(Image.fromarray(read_image(ASTRONAUT)).resize((256, 256), Image.LANCZOS))
    canvas = np.full((300, 300, 3), 128, np.uint8)
    canvas[22:278, 22:278] = small
    path = save(tmp_path, "far.png", canvas)
    with pytest.raises(AvatarError, match=rf"far\.png: the face is too small \((\d+) px.*"
                                          rf"at least {MIN_FACE_HEIGHT} px") as err:
        create_pack(path, name="far", consent=consent, root=tmp_path / "avatars")
    measured = int(err.value.args[0].split("(")[1].split(" px")[0])
    assert 40 < measured < MIN_FACE_HEIGHT


def test_a_text_file_named_jpg_is_refused(consent, tmp_path):
    fake = tmp_path / "portrait.jpg"
    fake.write_text("this is not a picture\n")
    with pytest.raises(AvatarError, match=r"portrait\.jpg: not an image"):
        create_pack(fake, name="fake", consent=consent, root=tmp_path / "avatars")


# ---- animation ------------------------------------------------------------------------------

def test_layers_base_is_the_portrait_and_patch_covers_the_face(pack):
    animator = PhotoAnimator(pack, height=360, fps=25)
    frames = list(animator.frames([FaceDrive(MouthShape(open=i / 10)) for i in range(10)]))
    assert len(frames) == 10
    assert all(f.base is frames[0].base for f in frames)
    base = frames[0].base.image
    assert base.shape == (360, animator.width, 4) and (base[:, :, 3] == 255).all()
    for f in frames:
        p = f.patch
        assert (p.image[:, :, 3] == 255).all()
        assert 0 <= p.x and p.x + p.width <= animator.width
        assert 0 <= p.y and p.y + p.height <= animator.height
        x0, y0, x1, y1 = animator.mouth_region(f)
        assert p.x <= x0 < x1 <= p.x + p.width and p.y <= y0 < y1 <= p.y + p.height


def test_silence_shows_the_original_lips(pack):
    animator = PhotoAnimator(pack, height=720, fps=25)
    frame = animator.render(FaceDrive(), STILL)
    p = frame.patch
    original = frame.base.image[p.y:p.y + p.height, p.x:p.x + p.width, :3].astype(int)
    assert np.abs(p.image[:, :, :3].astype(int) - original).max() <= 1
    # and the border of any patch matches the base, so no seam shows
    busy = animator.render(FaceDrive(MouthShape(open=1, wide=0.5), expression="smile"),
                           Pose(blink=1.0, yaw=4.0, pitch=3.0, roll=3.0, breath=1.0))
    q = busy.patch
    ring = np.ones((q.height, q.width), bool)
    ring[2:-2, 2:-2] = False
    under = busy.base.image[q.y:q.y + q.height, q.x:q.x + q.width, :3].astype(int)
    assert np.abs(q.image[:, :, :3].astype(int) - under)[ring].max() <= 2


def test_an_open_mouth_is_seen_open_by_facemesh(pack, detector):
    animator = PhotoAnimator(pack, height=720, fps=25)
    scale = animator.height / pack.image.shape[0]
    original = lip_gap(pack.landmarks) * scale
    closed = lip_gap(landmarks(detector, picture(animator.render(FaceDrive(), STILL))))
    half = lip_gap(landmarks(detector, picture(
        animator.render(FaceDrive(MouthShape(open=0.5)), STILL))))
    frame = animator.render(FaceDrive(MouthShape(open=1.0)), STILL)
    lm = landmarks(detector, picture(frame))
    wide_open = lip_gap(lm)
    mouth_w = float(np.linalg.norm(lm[291] - lm[61]))
    assert abs(closed - original) < 0.04 * mouth_w, (closed, original)
    assert half > closed + 0.1 * mouth_w, (half, closed)
    assert wide_open > half + 0.05 * mouth_w and wide_open > closed + 0.2 * mouth_w
    x0, y0, x1, y1 = animator.mouth_region(frame)
    lips = lm[[0, 13, 14, 17, 61, 291]]
    assert (lips[:, 0] > x0).all() and (lips[:, 0] < x1).all()
    assert (lips[:, 1] > y0).all() and (lips[:, 1] < y1).all()


def test_idle_blinks_close_the_eyes(pack, detector):
    fps = 12.5
    animator = PhotoAnimator(pack, height=512, fps=fps, seed=3)
    frames = list(animator.frames([FaceDrive()] * int(6 * fps)))
    ratios = [eye_ratio(landmarks(detector, picture(f))) for f in frames]
    open_eyes = float(np.median(ratios))
    assert min(ratios) < 0.5 * open_eyes, (min(ratios), open_eyes)
    assert ratios.index(min(ratios)) > 0 and max(ratios[-3:]) > 0.8 * open_eyes
