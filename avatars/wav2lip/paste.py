"""Putting a generated face back: a feathered mask over the mouth and jaw, a colour match inside
it, and a blend into the frame's patch, so that no box shows around the mouth.

Pixels where the mask is zero are not touched at all; the mask rises smoothly (a blurred
ellipse), so the generated face fades into the original picture without a step.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from anchor.media import Layer, PresenterFrame

Box = tuple[int, int, int, int]      # x0, y0, x1, y1 in presenter canvas pixels
MASK_FLOOR = 1.0 / 512               # below this the mask is exactly zero


def feathered_mask(crop: Box, mouth: Box) -> np.ndarray:
    """(h, w) float32 weights in [0, 1] over the crop: an ellipse around the mouth reaching down
    towards the chin, blurred at its edge, zero at and outside the crop's border."""
    x0, y0, x1, y1 = crop
    w, h = x1 - x0, y1 - y0
    mx0, my0, mx1, my1 = mouth
    half_w, half_h = max(2.0, 0.5 * (mx1 - mx0)), max(2.0, 0.5 * (my1 - my0))
    cx, cy = 0.5 * (mx0 + mx1) - x0, 0.5 * (my0 + my1) - y0 + 0.25 * half_h
    sigma = max(1.5, 0.18 * min(half_w, half_h * 1.6))
    ax, ay = 1.25 * half_w, 1.6 * half_h
    hard = np.zeros((h, w), np.float32)
    cv2.ellipse(hard, (round(cx * 16), round(cy * 16)),
                (max(1, round((ax - 1.5 * sigma) * 16)), max(1, round((ay - 1.5 * sigma) * 16))),
                0, 0, 360, 1.0, thickness=-1, lineType=cv2.LINE_AA, shift=4)
    mask = cv2.GaussianBlur(hard, (0, 0), sigma)
    # fade to zero before the crop's edge, where the generated face ends
    edge = max(2.0, 2.0 * sigma)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    inside = np.minimum(np.minimum(xx, w - 1 - xx), np.minimum(yy, h - 1 - yy)) / edge
    mask *= np.clip(inside, 0.0, 1.0)
    mask[mask < MASK_FLOOR] = 0.0
    return mask


def match_colour(generated: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`generated` (h, w, 3) uint8 RGB shifted in LAB so that, weighted by `mask`, its mean and
    spread equal the reference's; float32 RGB in [0, 255]."""
    weight = mask[..., None].astype(np.float64)
    total = float(weight.sum())
    gen = cv2.cvtColor(generated.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    if total < 1e-6:
        return generated.astype(np.float32)
    ref = cv2.cvtColor(reference.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)

    def stats(lab):
        mean = (lab * weight).sum(axis=(0, 1)) / total
        std = np.sqrt(((lab - mean) ** 2 * weight).sum(axis=(0, 1)) / total)
        return mean, std

    gm, gs = stats(gen)
    rm, rs = stats(ref)
    gain = np.clip(rs / np.maximum(gs, 1e-3), 0.25, 4.0)
    out = ((gen - gm) * gain + rm).astype(np.float32)
    rgb = cv2.cvtColor(out, cv2.COLOR_LAB2RGB)
    return np.clip(rgb * 255.0, 0.0, 255.0)


def paste(frame: PresenterFrame, face: np.ndarray, crop: Box, mask: np.ndarray) -> PresenterFrame:
    """A new frame: `frame`'s base, and its patch with `face` (h, w, 3 float RGB, covering `crop`)
    blended in where `mask` is above zero. A frame without a patch gets one cut from its base."""
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return frame
    x0, y0 = crop[0], crop[1]
    bx0, bx1 = x0 + int(cols.min()), x0 + int(cols.max()) + 1
    by0, by1 = y0 + int(rows.min()), y0 + int(rows.max()) + 1
    layer = frame.patch
    if layer is None:
        layer = _cut(frame.base, (bx0, by0, bx1, by1))
    # the part of the mask's box that the patch covers, in patch and in crop coordinates
    px0, py0 = max(bx0, layer.x), max(by0, layer.y)
    px1, py1 = min(bx1, layer.x + layer.width), min(by1, layer.y + layer.height)
    if px1 <= px0 or py1 <= py0:
        return frame
    image = layer.image.copy()
    target = image[py0 - layer.y:py1 - layer.y, px0 - layer.x:px1 - layer.x]
    m = mask[py0 - y0:py1 - y0, px0 - x0:px1 - x0]
    if image.shape[2] == 4:
        m = m * (target[..., 3].astype(np.float32) / 255.0)
    m = m[..., None]
    src = face[py0 - y0:py1 - y0, px0 - x0:px1 - x0]
    rgb = target[..., :3].astype(np.float32)
    target[..., :3] = np.clip(rgb + (src - rgb) * m + 0.5, 0, 255).astype(np.uint8)
    return PresenterFrame(frame.base, Layer(image, layer.x, layer.y))


def _cut(base: Layer, box: Box) -> Layer:
    x0, y0, x1, y1 = box
    x0, y0 = max(x0, base.x), max(y0, base.y)
    x1, y1 = min(x1, base.x + base.width), min(y1, base.y + base.height)
    return Layer(base.image[y0 - base.y:y1 - base.y, x0 - base.x:x1 - base.x].copy(), x0, y0)


def canvas_region(frame: PresenterFrame, box: Box) -> np.ndarray:
    """The frame as seen on the canvas inside `box`: (h, w, 3) uint8 RGB, the patch over the base
    (the base's own transparency ignored: the face is opaque)."""
    x0, y0, x1, y1 = box
    out = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
    for layer in (frame.base, frame.patch):
        if layer is None:
            continue
        lx0, ly0 = max(x0, layer.x), max(y0, layer.y)
        lx1, ly1 = min(x1, layer.x + layer.width), min(y1, layer.y + layer.height)
        if lx1 <= lx0 or ly1 <= ly0:
            continue
        src = layer.image[ly0 - layer.y:ly1 - layer.y, lx0 - layer.x:lx1 - layer.x]
        dst = out[ly0 - y0:ly1 - y0, lx0 - x0:lx1 - x0]
        if src.shape[2] == 4 and layer is frame.patch:
            a = src[..., 3:4].astype(np.float32) / 255.0
            dst += (src[..., :3].astype(np.float32) - dst) * a
        else:
            dst[...] = src[..., :3]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def clamp_box(box: tuple[float, float, float, float], width: int, height: int) -> Box:
    x0, y0, x1, y1 = box
    return (max(0, math.floor(x0)), max(0, math.floor(y0)),
            min(width, math.ceil(x1)), min(height, math.ceil(y1)))
