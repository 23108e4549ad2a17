"""Rigging a portrait: read and check one photo, frame it as a presenter, and name the landmark
groups the animators move (lips, mouth corners, jaw, eyes and lids, brows, face oval).

All coordinates are (x, y) pixels of the framed portrait. Landmark numbers follow MediaPipe
FaceMesh with refined landmarks (478 points); "left"/"right" mean the image's left and right.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anchor.errors import AvatarError

RIG_VERSION = 1
MIN_FACE_HEIGHT = 96      # pixels from the top of the forehead to the chin in the source photo
MAX_SIDE = 1024           # the framed portrait is at most this many pixels on its longer side
FACE_SHARE = 1 / 5        # framing: the face is at least this share of the portrait's height

# Lip contours run from the image-left mouth corner to the image-right one.
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNERS = (61, 291)
# The jaw line from the image-left cheek over the chin (152) to the image-right cheek.
JAW = (234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152,
       377, 400, 378, 379, 365, 397, 288, 361, 323, 454)
# Eyes: each lid runs from one eye corner to the other, left to right in the image.
LEFT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
LEFT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
RIGHT_EYE_UPPER = (362, 398, 384, 385, 386, 387, 388, 466, 263)
RIGHT_EYE_LOWER = (362, 382, 381, 380, 374, 373, 390, 249, 263)
LEFT_BROW = (70, 63, 105, 66, 107)
RIGHT_BROW = (336, 296, 334, 293, 300)
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109)
FOREHEAD, CHIN, NOSE_BASE = 10, 152, 2


@dataclass(frozen=True, slots=True, eq=False)
class Eye:
    upper: np.ndarray    # (9, 2) upper lid, corner to corner
    lower: np.ndarray    # (9, 2) lower lid, same corners

    @property
    def width(self) -> float:
        return float(np.linalg.norm(self.upper[-1] - self.upper[0]))

    @property
    def opening(self) -> float:
        """Lid gap at the middle of the eye, in pixels."""
        return float(self.lower[4, 1] - self.upper[4, 1])


@dataclass(frozen=True, slots=True, eq=False)
class Rig:
    """The named landmark groups of one face, in portrait pixels."""
    landmarks: np.ndarray        # (478, 2) float32
    lips_outer_upper: np.ndarray
    lips_outer_lower: np.ndarray
    lips_inner_upper: np.ndarray
    lips_inner_lower: np.ndarray
    mouth_corners: np.ndarray    # (2, 2): image-left corner, image-right corner
    jaw: np.ndarray
    left_eye: Eye
    right_eye: Eye
    left_brow: np.ndarray
    right_brow: np.ndarray
    face_oval: np.ndarray

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray) -> "Rig":
        lm = np.asarray(landmarks, dtype=np.float32)
        if lm.shape != (478, 2) or not np.isfinite(lm).all():
            raise AvatarError(f"landmarks must be 478 finite (x, y) points, got shape {lm.shape}")

        def pick(idx: tuple[int, ...]) -> np.ndarray:
            return lm[list(idx)]

        return cls(landmarks=lm,
                   lips_outer_upper=pick(LIPS_OUTER_UPPER), lips_outer_lower=pick(LIPS_OUTER_LOWER),
                   lips_inner_upper=pick(LIPS_INNER_UPPER), lips_inner_lower=pick(LIPS_INNER_LOWER),
                   mouth_corners=pick(MOUTH_CORNERS), jaw=pick(JAW),
                   left_eye=Eye(pick(LEFT_EYE_UPPER), pick(LEFT_EYE_LOWER)),
                   right_eye=Eye(pick(RIGHT_EYE_UPPER), pick(RIGHT_EYE_LOWER)),
                   left_brow=pick(LEFT_BROW), right_brow=pick(RIGHT_BROW),
                   face_oval=pick(FACE_OVAL))

    def scaled(self, sx: float, sy: float | None = None) -> "Rig":
        """The same rig on an image scaled by sx horizontally and sy (default sx) vertically."""
        factor = np.array([sx, sx if sy is None else sy], dtype=np.float32)
        return Rig.from_landmarks(self.landmarks * factor)

    @property
    def face_box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the face oval."""
        x0, y0 = self.face_oval.min(axis=0)
        x1, y1 = self.face_oval.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    @property
    def face_height(self) -> float:
        return float(self.landmarks[CHIN, 1] - self.landmarks[FOREHEAD, 1])

    @property
    def face_width(self) -> float:
        x0, _, x1, _ = self.face_box
        return x1 - x0

    @property
    def mouth_width(self) -> float:
        return float(np.linalg.norm(self.mouth_corners[1] - self.mouth_corners[0]))

    @property
    def mouth_center(self) -> np.ndarray:
        """Middle of the lip seam (between the inner lips), (x, y)."""
        return (self.landmarks[13] + self.landmarks[14]) / 2

    @property
    def chin(self) -> np.ndarray:
        return self.landmarks[CHIN]

    @property
    def nose_base(self) -> np.ndarray:
        return self.landmarks[NOSE_BASE]


@dataclass(frozen=True, slots=True, eq=False)
class Portrait:
    """A framed portrait and its face landmarks, ready to become an avatar pack."""
    image: np.ndarray        # HxWx3 uint8 RGB, at most MAX_SIDE on the longer side
    landmarks: np.ndarray    # (478, 2) float32, in `image` pixels
    source: str              # file name of the photo it came from

    @property
    def rig(self) -> Rig:
        return Rig.from_landmarks(self.landmarks)


def read_image(path: Path) -> np.ndarray:
    """An image file as HxWx3 uint8 RGB (EXIF rotation applied), or AvatarError naming it."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    except FileNotFoundError:
        raise AvatarError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise AvatarError(f"{path}: not an image (PNG, JPEG or WebP expected)") from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise AvatarError(f"{path}: cannot read the image ({exc})") from None
    if rgb.ndim != 3 or min(rgb.shape[:2]) < 16:
        raise AvatarError(f"{path}: the image is too small ({rgb.shape[1]}x{rgb.shape[0]})")
    return rgb


def frame_portrait(rgb: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crop around the face when it is a small part of a big picture (keeping the picture's
    aspect), then scale down so the longer side is at most MAX_SIDE. Returns the new image and
    the landmarks moved with it."""
    import cv2

    h, w = rgb.shape[:2]
    rig = Rig.from_landmarks(landmarks)
    crop_h = min(h, int(round(rig.face_height / FACE_SHARE)))
    crop_w = min(w, int(round(crop_h * w / h)))
    x0, y0, x1, y1 = rig.face_box
    cx, cy = (x0 + x1) / 2, y0 + 0.45 * (y1 - y0)
    left = int(np.clip(round(cx - crop_w / 2), 0, w - crop_w))
    top = int(np.clip(round(cy - 0.4 * crop_h), 0, h - crop_h))
    image = rgb[top:top + crop_h, left:left + crop_w]
    points = landmarks - np.array([left, top], dtype=np.float32)
    scale = min(1.0, MAX_SIDE / max(crop_h, crop_w))
    if scale < 1.0:
        size = (max(1, round(crop_w * scale)), max(1, round(crop_h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        points = points * np.array([size[0] / crop_w, size[1] / crop_h], dtype=np.float32)
    return np.ascontiguousarray(image), points.astype(np.float32)


def rig_portrait(path: Path) -> Portrait:
    """Read a photo of one person, check it can become a presenter, and frame it."""
    from avatars.facemesh import detect_faces

    path = Path(path)
    rgb = read_image(path)
    faces = detect_faces(rgb, max_faces=2)
    if not faces:
        raise AvatarError(f"{path}: no face found (the portrait must show one face, clearly lit, "
                          f"looking at the camera, filling a good part of the picture)")
    if len(faces) > 1:
        raise AvatarError(f"{path}: {len(faces)} faces found, the portrait must show one person")
    landmarks = faces[0]
    face_h = Rig.from_landmarks(landmarks).face_height
    if face_h < MIN_FACE_HEIGHT:
        raise AvatarError(f"{path}: the face is too small ({face_h:.0f} px from forehead to chin, "
                          f"at least {MIN_FACE_HEIGHT} px needed); use a bigger or closer photo")
    image, points = frame_portrait(rgb, landmarks)
    return Portrait(image=image, landmarks=points, source=path.name)
