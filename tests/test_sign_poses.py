"""Pose tracks as .pose files: what we write, pose-format reads as MediaPipe Holistic data; bad
files are one-line errors naming the file."""
from __future__ import annotations

import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

from anchor.errors import AnchorError
from anchor.media import HOLISTIC_COMPONENTS, HOLISTIC_POINTS, SIGN_FRAME, PoseTrack
from avatars.signer.poses import PoseFileError, holistic_header, read_pose, write_pose


def a_track(frames: int = 6) -> PoseTrack:
    rng = np.random.default_rng(7)
    landmarks = rng.uniform(0, SIGN_FRAME, (frames, HOLISTIC_POINTS, 3)).astype(np.float32)
    landmarks[..., 2] -= SIGN_FRAME / 2
    confidence = rng.uniform(0, 1, (frames, HOLISTIC_POINTS)).astype(np.float32)
    confidence[:, :5] = 0.0
    return PoseTrack(fps=25.0, landmarks=landmarks, confidence=confidence)


def test_the_header_is_pose_formats_own_mediapipe_holistic():
    holistic = pytest.importorskip("pose_format.utils.holistic")   # imports mediapipe
    theirs = [c for c in holistic.holistic_components("XYZC") if c.name != "POSE_WORLD_LANDMARKS"]
    ours = holistic_header().components
    assert [(c.name, len(c.points)) for c in ours] == list(HOLISTIC_COMPONENTS)
    for a, b in zip(ours, theirs):
        assert (a.name, a.format, list(a.points)) == (b.name, b.format, list(b.points))
        assert [tuple(map(int, x)) for x in a.limbs] == [tuple(map(int, x)) for x in b.limbs]
        assert [tuple(map(int, x)) for x in a.colors] == [tuple(map(int, x)) for x in b.colors]


def test_what_we_write_pose_format_reads(tmp_path):
    track = a_track()
    path = tmp_path / "t.pose"
    write_pose(track, path)
    pose = Pose.read(path.read_bytes())                    # pose-format's own reader
    assert [c.name for c in pose.header.components] == [n for n, _ in HOLISTIC_COMPONENTS]
    assert pose.body.fps == 25.0
    data = np.asarray(pose.body.data.data)
    assert data.shape == (6, 1, HOLISTIC_POINTS, 3)
    np.testing.assert_array_equal(data[:, 0, :, :2], track.landmarks[..., :2])
    # z as MediaPipe stores it: away from the camera, in frame widths
    np.testing.assert_allclose(data[:, 0, :, 2], -track.landmarks[..., 2] / SIGN_FRAME, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(pose.body.confidence)[:, 0], track.confidence)
    back = read_pose(path)
    np.testing.assert_array_equal(back.landmarks, track.landmarks)
    np.testing.assert_array_equal(back.confidence, track.confidence)
    assert back.fps == track.fps
    assert [p.name for p in tmp_path.iterdir()] == ["t.pose"]      # no temporary left


def _pose_file(path, components, points_of_data: int, frames: int = 2):
    header = PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(512, 512, 0),
                        components=components)
    body = NumPyPoseBody(fps=25, data=np.zeros((frames, 1, points_of_data, 3), np.float32),
                         confidence=np.ones((frames, 1, points_of_data), np.float32))
    with open(path, "wb") as f:
        Pose(header, body).write(f)


def test_a_recording_with_world_landmarks_and_iris_points_reads(tmp_path):
    holistic = pytest.importorskip("pose_format.utils.holistic")
    components = holistic.holistic_components("XYZC", additional_face_points=10)
    total = sum(len(c.points) for c in components)
    path = tmp_path / "rec.pose"
    _pose_file(path, components, total)
    track = read_pose(path)
    assert track.landmarks.shape == (2, HOLISTIC_POINTS, 3)


@pytest.mark.parametrize("cut", [0, 9, 300, 0.5, -1])
def test_a_truncated_or_corrupt_pose_file_is_one_line_naming_it(tmp_path, cut):
    path = tmp_path / "sign.pose"
    write_pose(a_track(), path)
    raw = path.read_bytes()
    n = int(len(raw) * cut) if isinstance(cut, float) else (len(raw) + cut if cut < 0 else cut)
    path.write_bytes(raw[:n])
    with pytest.raises(PoseFileError) as info:
        read_pose(path)
    message = str(info.value)
    assert isinstance(info.value, AnchorError)
    assert message.startswith(str(path)) and "\n" not in message


def test_garbage_is_not_a_pose_file(tmp_path):
    path = tmp_path / "noise.pose"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(PoseFileError, match=r"noise\.pose: "):
        read_pose(path)


def test_an_openpose_file_is_another_layout(tmp_path):
    from pose_format.utils.openpose import OpenPose_Components
    path = tmp_path / "openpose.pose"
    total = sum(len(c.points) for c in OpenPose_Components)
    header = PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(512, 512, 0),
                        components=OpenPose_Components)
    body = NumPyPoseBody(fps=25, data=np.zeros((2, 1, total, 2), np.float32),
                         confidence=np.ones((2, 1, total), np.float32))
    with open(path, "wb") as f:
        Pose(header, body).write(f)
    with pytest.raises(PoseFileError, match=r"openpose\.pose: not the MediaPipe Holistic layout: "
                                            r"components pose_keypoints_2d"):
        read_pose(path)


def test_other_point_counts_are_another_layout(tmp_path):
    components = []
    for c in holistic_header().components:
        points = c.points[:20] if c.name == "RIGHT_HAND_LANDMARKS" else c.points
        components.append(PoseHeaderComponent(c.name, points, [], [(0, 0, 0)], c.format))
    path = tmp_path / "short-hand.pose"
    _pose_file(path, components, HOLISTIC_POINTS - 1)
    with pytest.raises(PoseFileError, match=r"short-hand\.pose: not the MediaPipe Holistic layout: "
                                            r"RIGHT_HAND_LANDMARKS has 20 points"):
        read_pose(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(PoseFileError, match=r"nothing\.pose: cannot read"):
        read_pose(tmp_path / "nothing.pose")


def test_a_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "missing-folder" / "out.pose"
    with pytest.raises(PoseFileError, match=r"out\.pose: cannot write"):
        write_pose(a_track(), target)
    assert not target.parent.exists()


def test_a_pose_track_checks_its_shape():
    with pytest.raises(ValueError, match="543"):
        PoseTrack(fps=25.0, landmarks=np.zeros((2, 542, 3), np.float32),
                  confidence=np.zeros((2, 542), np.float32))
