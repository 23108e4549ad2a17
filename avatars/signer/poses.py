"""Pose tracks as .pose files (the `pose-format` package): the only module that reads or writes
them, so what we write other tools read, and a MediaPipe recording reads like a sign we author.

A file holds the MediaPipe Holistic layout as pose-format's own holistic utilities write it
(`pose_format.utils.holistic.holistic_components("XYZC")`; the header is kept in
data/holistic.json so writing needs no mediapipe): POSE_LANDMARKS (33), FACE_LANDMARKS (468),
LEFT_HAND_LANDMARKS (21), RIGHT_HAND_LANDMARKS (21), point format XYZC, one person. x and y are
pixels of the frame in the header; z is MediaPipe's: away from the camera, in units of the frame
width. A PoseTrack's z points toward the camera in pixels (anchor.media), hence z_file =
-z / width. On reading, a recording's POSE_WORLD_LANDMARKS are dropped, and a face with the 10
refined iris points (478) keeps its first 468, which are the same mesh.
"""
from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import numpy as np

from anchor.errors import AvatarError
from anchor.media import FACE_LANDMARKS, HOLISTIC_COMPONENTS, SIGN_FRAME, PoseTrack

LAYOUT_FILE = Path(__file__).with_name("data") / "holistic.json"
IGNORED = ("POSE_WORLD_LANDMARKS",)       # MediaPipe's metric world copy of the body
IRIS_POINTS = 10


class PoseFileError(AvatarError):
    """A .pose file that cannot be read, or not in the MediaPipe Holistic layout."""


@cache
def layout() -> tuple[dict, ...]:
    """The four components of the header: name, format, points, limbs, colors."""
    return tuple(json.loads(LAYOUT_FILE.read_text(encoding="utf-8"))["components"])


def holistic_header(width: int = SIGN_FRAME, height: int = SIGN_FRAME):
    """A pose-format PoseHeader of the Holistic layout for a frame of width x height pixels."""
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions
    components = [PoseHeaderComponent(name=c["name"], points=list(c["points"]),
                                      limbs=[tuple(limb) for limb in c["limbs"]],
                                      colors=[tuple(color) for color in c["colors"]],
                                      point_format=c["format"]) for c in layout()]
    return PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(width=width, height=height,
                                                                   depth=0),
                      components=components)


def write_pose(track: PoseTrack, path: Path) -> None:
    """Write a track as a .pose file in the SIGN_FRAME reference frame; atomically (a temporary
    name in the same folder, then a rename), so a failed write leaves nothing half-written."""
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody

    path = Path(path)
    data = track.landmarks.copy()
    data[..., 2] = -data[..., 2] / SIGN_FRAME
    body = NumPyPoseBody(fps=float(track.fps), data=data[:, None], confidence=track.confidence[:, None])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            Pose(holistic_header(), body).write(f)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise PoseFileError(f"{path}: cannot write: {e.strerror or e}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_pose(path: Path) -> PoseTrack:
    """Read a .pose file in the Holistic layout (the first person); PoseFileError naming the
    file when it is missing, corrupt, truncated, or in another layout. Coordinates stay in the
    file's frame (ours, and normalised recordings, are SIGN_FRAME pixels)."""
    from pose_format import Pose

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PoseFileError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        pose = Pose.read(raw)
        data = np.asarray(pose.body.data.data if np.ma.isMaskedArray(pose.body.data)
                          else pose.body.data, dtype=np.float32)
        confidence = np.asarray(pose.body.confidence, dtype=np.float32)
    except Exception as e:      # pose-format raises struct, value, index and unicode errors alike
        raise PoseFileError(f"{path}: not a readable .pose file (corrupt or truncated: "
                            f"{type(e).__name__})") from None
    header = pose.header
    columns = _holistic_columns(path, header)
    frames = data.shape[0]
    if data.ndim != 4 or data.shape[1] < 1 or data.shape[3] < 3 or \
            data.shape[2] != header.total_points() or confidence.shape != data.shape[:3]:
        raise PoseFileError(f"{path}: not a readable .pose file (body of shape {data.shape} "
                            f"for a header of {header.total_points()} points)")
    if frames and not np.isfinite(data[:, 0][:, columns, :3]).all():
        raise PoseFileError(f"{path}: corrupt .pose file (landmarks that are not numbers)")
    landmarks = np.ascontiguousarray(data[:, 0][:, columns, :3])
    landmarks[..., 2] *= -float(header.dimensions.width)
    return PoseTrack(fps=float(pose.body.fps), landmarks=landmarks,
                     confidence=np.ascontiguousarray(confidence[:, 0][:, columns]))


def _holistic_columns(path: Path, header) -> np.ndarray:
    """The file's point indices of our 543 points, in order; PoseFileError if it is in
    another layout."""
    expected = {c["name"]: c["points"] for c in layout()}
    names = [c.name for c in header.components if c.name not in IGNORED]
    if names != [name for name, _ in HOLISTIC_COMPONENTS]:
        shown = ", ".join(f"{c.name} ({len(c.points)})" for c in header.components)
        raise PoseFileError(f"{path}: not the MediaPipe Holistic layout: components {shown}; "
                            f"expected {', '.join(f'{n} ({k})' for n, k in HOLISTIC_COMPONENTS)}")
    columns, start = [], 0
    for component in header.components:
        points = list(component.points)
        want = expected.get(component.name)
        if want is not None:
            if component.name == "FACE_LANDMARKS" and len(points) == FACE_LANDMARKS + IRIS_POINTS:
                points = points[:FACE_LANDMARKS]
            if points != want:
                raise PoseFileError(f"{path}: not the MediaPipe Holistic layout: "
                                    f"{component.name} has {len(component.points)} points "
                                    f"({', '.join(component.points[:3])}, ...), expected {len(want)}")
            if not component.format.upper().startswith("XYZ"):
                raise PoseFileError(f"{path}: {component.name} has points of format "
                                    f"{component.format!r}, expected XYZC")
            columns.extend(range(start, start + len(points)))
        start += len(component.points)
    return np.asarray(columns)
