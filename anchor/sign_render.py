"""`anchor sign render`: a .pose file performed by the signer alone, full frame, into an MP4
that carries the visible AI-generated label (the studio's) and the AIGC metadata (the sink's)."""
from __future__ import annotations

import uuid
from fractions import Fraction
from pathlib import Path

import anchor
from anchor.errors import OutputError
from anchor.media import VideoFrame
from anchor.studio import Studio
from anchor.studio.layout import signer_main_layout
from avatars.signer.figure import SignerAnimator
from avatars.signer.poses import PoseFileError, read_pose
from streaming import AIGCLabel, Mp4Sink

BACKGROUND = "#14213d"          # the shows' default studio colour


def render_pose(pose: Path, output: Path, *, width: int = 1280, height: int = 720, fps: int = 25,
                language: str = "en", preset: str = "veryfast") -> int:
    """Render the track in `pose` to `output` (atomically: nothing is left on failure);
    the number of video frames written. PoseFileError names a bad .pose file."""
    pose, output = Path(pose), Path(output)
    if not output.parent.is_dir():
        raise OutputError(f"{output}: directory {output.parent} does not exist")
    track = read_pose(pose)
    if track.frames == 0:
        raise PoseFileError(f"{pose}: a .pose file without frames")
    layout = signer_main_layout(width, height, "center")
    studio = Studio(width=width, height=height, background=BACKGROUND, language=language,
                    layout=layout, title=pose.stem)
    box = layout.box("signer")
    animator = SignerAnimator(height=box.h, width=box.w, fps=fps)
    label = AIGCLabel(producer=f"Anchor {anchor.__version__}", produce_id=uuid.uuid4().hex)
    sink = Mp4Sink(output, width=width, height=height, fps=fps, label=label, preset=preset,
                   title=pose.stem)
    time_base, frames = Fraction(1, fps), 0
    try:
        for n, figure in enumerate(animator.frames(track)):
            sink.write(VideoFrame(studio.compose(None, signer=figure), n, time_base))
            frames += 1
        sink.close()
    except BaseException:
        sink.abort()
        raise
    return frames
