"""Face landmarks from MediaPipe FaceMesh: the only module that imports mediapipe.

MediaPipe 0.10.21 ships the FaceMesh models inside its wheel, so nothing downloads at run time.
The import happens inside the functions, so `import avatars` stays light. Moving to the
MediaPipe Tasks API later means rewriting this file only.
"""
from __future__ import annotations

import numpy as np

LANDMARKS = 478   # FaceMesh with refined eyes and lips (468 face points + 10 iris points)


class FaceMeshDetector:
    """A reusable FaceMesh in static image mode; use it to run many images without reloading the
    model. Close it (or use it as a context manager) when done."""

    def __init__(self, *, max_faces: int = 2):
        from mediapipe.python.solutions import face_mesh   # heavy: imported on first use only

        self._mesh = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=max_faces,
                                        refine_landmarks=True, min_detection_confidence=0.5)

    def detect(self, rgb: np.ndarray) -> list[np.ndarray]:
        """Landmarks of each face found in an HxWx3 uint8 RGB image: (478, 2) float32 arrays of
        pixel coordinates (x, y)."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 RGB image, got {rgb.dtype} {rgb.shape}")
        h, w = rgb.shape[:2]
        result = self._mesh.process(np.ascontiguousarray(rgb))
        faces = []
        for face in result.multi_face_landmarks or ():
            pts = np.array([(p.x * w, p.y * h) for p in face.landmark], dtype=np.float32)
            faces.append(pts)
        return faces

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "FaceMeshDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def detect_faces(rgb: np.ndarray, *, max_faces: int = 2) -> list[np.ndarray]:
    """Landmarks of up to `max_faces` faces in one RGB image, each a (478, 2) float32 array of
    pixel coordinates. Loads the model for this call; use FaceMeshDetector for many images."""
    with FaceMeshDetector(max_faces=max_faces) as detector:
        return detector.detect(rgb)
