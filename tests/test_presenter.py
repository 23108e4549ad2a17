"""The built-in illustrated presenter, rendered for real and measured in its pixels."""
from __future__ import annotations

import numpy as np
import pytest

from anchor.errors import AvatarError
from anchor.media import CLOSED, FaceDrive, MouthShape, PresenterFrame
from avatars.presenter import ArmPose, IllustratedPresenter

FPS = 25
AA = MouthShape(open=1.0, wide=0.3)


@pytest.fixture(scope="module")
def presenter() -> IllustratedPresenter:
    return IllustratedPresenter(height=720, fps=FPS, seed=3)


def picture(p: IllustratedPresenter, frame: PresenterFrame) -> np.ndarray:
    """The presenter canvas as the studio would show it, over mid grey (H x W x 3 float)."""
    out = np.full((p.height, p.width, 3), 128.0)
    for layer in (frame.base, frame.patch):
        h, w = layer.image.shape[:2]
        a = layer.image[..., 3:4] / 255.0
        region = out[layer.y:layer.y + h, layer.x:layer.x + w]
        region[:] = region * (1 - a) + layer.image[..., :3] * a
    return out


def dark_pixels(p, frame) -> int:
    """Pixels of the dark inside of the mouth (dark and reddish) in the mouth region."""
    x0, y0, x1, y1 = p.mouth_region(frame)
    rgb = picture(p, frame)[y0:y1, x0:x1]
    return int((((rgb @ [0.299, 0.587, 0.114]) < 60) & (rgb[..., 0] > rgb[..., 1] + 30)).sum())


def test_one_frame_per_drive_and_a_stable_base(presenter):
    drives = [FaceDrive(), FaceDrive(AA, speaking=True), FaceDrive(expression="smile")] * 10
    frames = list(presenter.frames(drives))
    assert len(frames) == len(drives)
    assert all(f.base is frames[0].base for f in frames)
    base = frames[0].base
    assert (base.width, base.height) == (presenter.width, presenter.height) == (540, 720)
    for f in frames:
        assert f.patch.image.shape[2] == 4
        assert 0 <= f.patch.x and f.patch.x + f.patch.width <= presenter.width
        assert 0 <= f.patch.y and f.patch.y + f.patch.height <= presenter.height
    # the head moves a little over a second of frames, but only a few pixels
    xs = [f.patch.x for f in frames]
    ys = [f.patch.y for f in frames]
    assert max(xs) - min(xs) <= 8 and max(ys) - min(ys) <= 8


def test_open_mouth_shows_the_dark_inside_and_closed_does_not(presenter):
    closed, aa, oo = presenter.frames([FaceDrive(CLOSED), FaceDrive(AA, speaking=True),
                                       FaceDrive(MouthShape(open=0.5, round=1.0), speaking=True)])
    shut, wide_open, round_open = (dark_pixels(presenter, f) for f in (closed, aa, oo))
    assert shut < 10, f"a closed mouth shows {shut} dark pixels"
    assert wide_open > shut + 60
    assert round_open > shut + 15
    # the mouth region really is around the mouth: the rig's mouth point lies inside it
    x0, y0, x1, y1 = presenter.mouth_region(closed)
    mx, my = presenter.rig.mouth
    assert x0 < mx < x1 and y0 < my < y1 and (x1 - x0) * (y1 - y0) < 0.02 * 540 * 720


def _lip_width(p, frame) -> int:
    x0, y0, x1, y1 = p.mouth_region(frame)
    rgb = picture(p, frame)[y0:y1, x0:x1]
    red = (rgb[..., 0] - rgb[..., 1] > 70)
    cols = np.nonzero(red.any(axis=0))[0]
    return int(cols[-1] - cols[0] + 1)


def test_spread_lips_are_wider_than_rounded_ones(presenter):
    ee, oo = presenter.frames([FaceDrive(MouthShape(open=0.3, wide=1.0)),
                               FaceDrive(MouthShape(open=0.3, round=1.0))])
    assert _lip_width(presenter, ee) > 1.4 * _lip_width(presenter, oo)


def test_the_presenter_blinks_within_six_seconds_of_idling(presenter):
    whites = []
    for f in presenter.frames([FaceDrive()] * (6 * FPS)):
        # both eyes, read straight from the head patch (they lie inside it)
        x0 = round(presenter.rig.right_eye[0] - 30) - f.patch.x
        x1 = round(presenter.rig.left_eye[0] + 30) - f.patch.x
        y0 = round(presenter.rig.left_eye[1] - 16) - f.patch.y
        y1 = round(presenter.rig.left_eye[1] + 14) - f.patch.y
        eyes = f.patch.image[y0:y1, x0:x1, :3]
        whites.append(int((eyes.min(axis=2) > 225).sum()))
    assert max(whites) > 60
    assert min(whites) < 0.2 * max(whites), "the eyes never closed"


def test_same_seed_same_frames_and_bad_sizes_are_refused():
    a = IllustratedPresenter(height=240, fps=FPS, seed=5)
    b = IllustratedPresenter(height=240, fps=FPS, seed=5)
    drives = [FaceDrive(AA, speaking=True)] * 40
    for fa, fb in zip(a.frames(drives), b.frames(drives)):
        assert (fa.patch.x, fa.patch.y) == (fb.patch.x, fb.patch.y)
        assert np.array_equal(fa.patch.image, fb.patch.image)
    with pytest.raises(AvatarError, match="height"):
        IllustratedPresenter(height=50, fps=FPS)


def test_arms_follow_their_joint_angles():
    p = IllustratedPresenter(height=240, fps=FPS)
    rest_base, rest_wrist = p.base, p.rig.right_arm.wrist
    p.set_arms(right=ArmPose(shoulder=20.0, elbow=150.0, wrist=0.0))    # a raised forearm
    frame = next(p.frames([FaceDrive()]))
    assert frame.base is p.base and p.base is not rest_base
    wx, wy = p.rig.right_arm.wrist
    assert wy < rest_wrist[1] - 30                                       # the hand went up
    # and the drawing followed: there is now skin or cuff where the raised wrist is
    alpha = frame.base.image[round(wy), round(wx), 3]
    assert alpha == 255
    assert not np.array_equal(rest_base.image, frame.base.image)
