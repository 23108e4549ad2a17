"""Regenerate the signer's two measured data files (not a test; run it by hand):

    python tests/make_sign_data.py

- avatars/signer/data/holistic.json: the MediaPipe Holistic header of a .pose file (component
  names, point names, limbs, colours) exactly as pose-format 0.15 writes it
  (`pose_format.utils.holistic.holistic_components("XYZC")`, without POSE_WORLD_LANDMARKS), so
  that writing a .pose needs neither mediapipe nor its 3-second import.
  tests/test_sign_poses.py checks that it still equals pose-format's.
- avatars/signer/data/face.json: a neutral 468-point face for the signer: MediaPipe FaceMesh
  (0.10.21, refine_landmarks=False) on scikit-image's astronaut photo (Eileen Collins, NASA,
  public domain), turned frontal, made left-right symmetric with pose-format's
  FLIPPED_FACE_POINTS, in centimetres (x to the viewer's right, y down, z toward the camera,
  origin between the cheeks, face 14 cm wide at the cheeks). Landmarks only, never the picture.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "avatars" / "signer" / "data"


def holistic_layout() -> list[dict]:
    from pose_format.utils.holistic import holistic_components
    return [{"name": c.name, "format": c.format, "points": list(c.points),
             "limbs": [list(map(int, limb)) for limb in c.limbs],
             "colors": [list(map(int, color)) for color in c.colors]}
            for c in holistic_components("XYZC") if c.name != "POSE_WORLD_LANDMARKS"]


def face_template() -> np.ndarray:
    import skimage.data
    from mediapipe.python.solutions import face_mesh
    from pose_format.utils.holistic import FLIPPED_FACE_POINTS

    rgb = skimage.data.astronaut()
    h, w = rgb.shape[:2]
    with face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=False) as mesh:
        face = mesh.process(rgb).multi_face_landmarks[0]
    p = np.array([(q.x * w, q.y * h, -q.z * w) for q in face.landmark], dtype=np.float64)
    left, right, top, chin = p[234], p[454], p[10], p[152]
    x = right - left
    x /= np.linalg.norm(x)
    y = chin - top
    y -= x * (y @ x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)                       # x right, y down: z toward the camera
    centre = (left + right) / 2
    q = (p - centre) @ np.stack([x, y, z]).T
    flip = np.asarray(FLIPPED_FACE_POINTS[:468])
    mirrored = q[flip] * np.array([-1.0, 1.0, 1.0])
    q = (q + mirrored) / 2
    q *= 14.0 / np.linalg.norm(q[454] - q[234])
    return q


if __name__ == "__main__":
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "holistic.json").write_text(json.dumps({"components": holistic_layout()}) + "\n")
    face = face_template()
    (DATA / "face.json").write_text(json.dumps({
        "source": "MediaPipe FaceMesh 0.10.21 on scikit-image's astronaut.png (NASA, public domain), "
                  "frontal, symmetric, centimetres; see tests/make_sign_data.py",
        "unit": "cm", "points": [[round(float(v), 3) for v in pt] for pt in face]}) + "\n")
    print("wrote", DATA / "holistic.json", "and", DATA / "face.json")
