"""The fast RGB -> YUV 4:2:0 conversion agrees with libswscale's BT.709 conversion."""
from __future__ import annotations

import av
import numpy as np

from anchor.media import PresenterFrame, Layer
from anchor.studio import ProgramState, Studio, presenter_box
from streaming.yuv import yuv420


def program_picture() -> np.ndarray:
    studio = Studio(width=640, height=360, presenter_box=presenter_box(640, 360),
                    background="#14213d", language="en", title="Evening Bulletin")
    box = studio.presenter_box
    body = np.zeros((box.h, box.w, 4), np.uint8)
    body[box.h // 3:, :, :] = (40, 70, 140, 255)
    head = np.zeros((120, 100, 4), np.uint8)
    head[...] = (235, 190, 160, 255)
    frame = PresenterFrame(Layer(body), Layer(head, box.w // 2 - 50, 20))
    return studio.compose(frame, ProgramState(subtitle="Good evening.", headline="Rail link opens"))


def test_matches_swscale_bt709_limited_range():
    rgb = program_picture()
    ours = yuv420(rgb).to_ndarray().astype(int)
    reference = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
        format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG").to_ndarray().astype(int)
    h = rgb.shape[0]
    luma, chroma = np.abs(ours[:h] - reference[:h]), np.abs(ours[h:] - reference[h:])
    assert luma.mean() < 0.6 and luma.max() <= 2
    assert chroma.mean() < 1.5                      # chroma siting differs a little at edges


def test_limits_and_round_trip_of_pure_colours():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[:2] = 255                                   # white over black
    planes = yuv420(rgb).to_ndarray()
    assert planes[0, 0] == 235 and planes[3, 0] == 16            # limited-range luma
    back = av.VideoFrame.from_ndarray(planes, format="yuv420p").to_ndarray(format="rgb24")
    assert np.abs(back.astype(int) - rgb.astype(int)).max() <= 3
