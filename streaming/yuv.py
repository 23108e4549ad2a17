"""RGB program pictures to the encoders' YUV 4:2:0 (BT.709 matrix, limited range).

PyAV's reformat (libswscale) holds the GIL for its whole 1-3 ms at 720p; OpenCV's transform and
resize release it, so while a frame converts on an encoder thread, the render thread and the
event loop (which sends to every viewer) keep running.
"""
from __future__ import annotations

import av
import cv2
import numpy as np

# Y, Cb, Cr from R, G, B (0..255), limited range: Y 16..235, Cb and Cr 16..240.
_BT709 = np.array([[0.1826, 0.6142, 0.0620, 16.0],
                   [-0.1006, -0.3386, 0.4392, 128.0],
                   [0.4392, -0.3989, -0.0403, 128.0]], np.float32)


def yuv420(image: np.ndarray) -> av.VideoFrame:
    """An HxWx3 uint8 RGB picture (W and H even) as a yuv420p VideoFrame."""
    h, w = image.shape[:2]
    y, cb, cr = cv2.split(cv2.transform(image, _BT709))
    half = (w // 2, h // 2)
    planes = np.empty(h * w * 3 // 2, np.uint8)
    planes[:h * w] = y.ravel()
    planes[h * w:h * w * 5 // 4] = cv2.resize(cb, half, interpolation=cv2.INTER_AREA).ravel()
    planes[h * w * 5 // 4:] = cv2.resize(cr, half, interpolation=cv2.INTER_AREA).ravel()
    return av.VideoFrame.from_ndarray(planes.reshape(h * 3 // 2, w), format="yuv420p")
