"""The artwork of the illustrated presenter: every part drawn by code in design units
(see `presenter_rig`), onto a `Sketch`. Nothing here knows about frames or caching."""
from __future__ import annotations

from dataclasses import dataclass

from avatars.drawing import Color, Sketch, bezier, intersect, mirror, spline, subtract
from avatars.presenter_rig import MIDLINE as CX, ArmJoints

EYE_Y = 262.0
EYE_DX = 46.0
MOUTH = (CX, 346.0)
NOSE_TIP = (CX, 310.0)
CHIN = (CX, 391.0)
NECK_BASE = (CX, 470.0)


@dataclass(frozen=True, slots=True)
class PresenterStyle:
    """Colours of the illustrated presenter (RGB)."""
    skin: Color = (241, 199, 168)
    skin_shade: Color = (214, 155, 128)
    skin_line: Color = (178, 112, 92)
    blush: Color = (240, 140, 130)
    hair: Color = (66, 42, 33)
    hair_dark: Color = (42, 26, 21)
    hair_light: Color = (128, 86, 62)
    brow: Color = (74, 49, 38)
    eye_white: Color = (251, 249, 246)
    iris: Color = (104, 72, 46)
    iris_dark: Color = (52, 34, 24)
    lash: Color = (38, 26, 24)
    lips: Color = (204, 112, 110)
    lip_line: Color = (128, 58, 60)
    mouth_inside: Color = (82, 26, 34)
    teeth: Color = (252, 250, 244)
    tongue: Color = (214, 98, 102)
    jacket: Color = (40, 62, 104)
    jacket_shade: Color = (27, 41, 72)
    jacket_light: Color = (54, 80, 128)
    shirt: Color = (246, 247, 251)
    shirt_shade: Color = (204, 210, 224)
    button: Color = (24, 30, 46)


# ---------------------------------------------------------------- head

def face_outline() -> list:
    right = [(CX, 126), (428, 133), (466, 166), (480, 222), (478, 276), (466, 322), (444, 358),
             (410, 383), (CX, 392)]
    left = mirror(right[1:-1], CX)[::-1]
    return spline(right + left, steps=8)


def _hair_back() -> list:
    return spline([(CX, 80), (452, 90), (506, 136), (530, 210), (534, 290), (526, 360),
                   (508, 408), (470, 424), (430, 414), (CX, 420), (322, 414), (278, 422),
                   (240, 404), (222, 356), (216, 286), (220, 206), (246, 134), (300, 92)], steps=8)


def _hair_front() -> list:
    outer = [(486, 250), (494, 200), (484, 146), (452, 106), (404, 86), (350, 88), (302, 104),
             (264, 140), (252, 196), (258, 252)]
    hairline = [(270, 236), (282, 188), (306, 156), (338, 140), (354, 150), (380, 168),
                (420, 186), (452, 206), (470, 236)]
    return spline(outer + hairline, steps=8)


def draw_head(sk: Sketch, st: PresenterStyle) -> None:
    """Everything of the head that never changes: hair, ears, neck, face and nose."""
    back = sk.polygon(_hair_back())
    sk.paint(back, st.hair_dark)
    sk.tint(subtract(back, sk.shift(sk.blur(back, 14), -6, -10)), (28, 16, 13), 0.6)
    # neck, drawn in the patch so it follows the head; faded into the base's neck below
    neck = sk.polygon([(338, 330), (412, 330), (415, 470), (335, 470)])
    sk.paint(neck, st.skin)
    face = sk.polygon(face_outline())
    sk.tint(intersect(neck, sk.blur(sk.shift(face, 0, 16), 9)), st.skin_shade, 0.9)
    for side in (-1, 1):                                          # ears
        ex = CX + side * 103
        ear = sk.ellipse(ex, 282, 15, 29)
        sk.paint(ear, st.skin)
        sk.tint(subtract(ear, sk.shift(ear, -side * 4, -3)), st.skin_shade, 0.8)
        sk.paint(sk.stroke(bezier((ex + side * 2, 266), (ex + side * 8, 280), (ex + side * 1, 298)),
                           2.6), st.skin_line, 0.55)
    sk.paint(face, st.skin)
    # soft light from the upper left: the far cheek and the jaw turn a little darker
    sk.tint(subtract(face, sk.blur(sk.shift(face, -14, -12), 12)), st.skin_shade, 0.75)
    front = sk.polygon(_hair_front())
    sk.tint(intersect(face, sk.blur(sk.shift(front, 3, 9), 6)), st.skin_shade, 0.7)
    # nose: a soft side shadow and the underside
    sk.paint(sk.blur(sk.stroke(bezier((366, 268), (362, 292), (365, 305)), 3.0), 2.5),
             st.skin_shade, 0.55)
    sk.paint(sk.blur(sk.ellipse(CX + 2, 314, 12, 4.5), 2.0), st.skin_shade, 0.8)
    sk.paint(sk.stroke(bezier((362, 309), (370, 316), (CX, 315)), 2.0), st.skin_line, 0.55)
    sk.paint(sk.stroke(bezier((CX, 315), (380, 316), (388, 309)), 2.0), st.skin_line, 0.55)
    sk.paint(sk.blur(sk.ellipse(380, 300, 6, 5), 2.5), (255, 236, 222), 0.5)
    # front hair, with a sheen and a few strands
    sk.paint(front, st.hair)
    sk.tint(subtract(front, sk.shift(sk.blur(front, 10), -4, -8)), st.hair_dark, 0.55)
    sheen = sk.stroke(spline([(284, 170), (312, 122), (362, 104), (420, 116), (462, 150)],
                             closed=False), 9)
    sk.tint(intersect(sk.blur(sheen, 4), front), st.hair_light, 0.55)
    for pts in ([(350, 96), (346, 120), (352, 148)],
                [(362, 100), (392, 130), (432, 168), (466, 220)],
                [(380, 96), (420, 118), (458, 158), (480, 210)],
                [(330, 104), (300, 130), (282, 170), (270, 226)],
                [(318, 112), (292, 150), (276, 200)]):
        sk.paint(intersect(sk.stroke(spline(pts, closed=False), 1.8), front), st.hair_dark, 0.6)
    for pts in ([(240, 180), (232, 260), (244, 340), (262, 396)],
                [(510, 180), (520, 260), (512, 340), (494, 398)],
                [(252, 200), (246, 280), (256, 350), (286, 404)],
                [(498, 200), (506, 280), (498, 350), (470, 406)]):
        sk.paint(intersect(sk.stroke(spline(pts, closed=False), 2.0), back), st.hair, 0.7)
    for pts in ([(236, 230), (236, 300), (250, 370)], [(514, 230), (516, 300), (502, 370)]):
        sk.tint(intersect(sk.blur(sk.stroke(spline(pts, closed=False), 8), 4), back), st.hair_light, 0.45)


def draw_cheeks(sk: Sketch, st: PresenterStyle, expression: str) -> None:
    smile = expression == "smile"
    for side in (-1, 1):
        cx, cy = CX + side * 64, 312 - (6 if smile else 0)
        sk.paint(sk.blur(sk.ellipse(cx, cy, 19, 11), 7), st.blush, 0.42 if smile else 0.28)
        if smile:
            sk.paint(sk.blur(sk.ellipse(cx - side * 4, cy - 8, 9, 5), 4), (255, 230, 214), 0.45)


# ---------------------------------------------------------------- eyes and brows

def draw_eyes(sk: Sketch, st: PresenterStyle, blink: float, expression: str) -> None:
    """Both eyes (lids closed by `blink` 0..1) and brows."""
    smile, serious = expression == "smile", expression == "serious"
    for side in (-1, 1):
        cx = CX + side * EYE_DX
        xi, xo = cx - side * 22, cx + side * 24            # inner and outer corners
        yi, yo = EYE_Y + 1, EYE_Y - 2
        upper = bezier((xi, yi), (xi + (xo - xi) * 0.26, EYE_Y - 18), (xi + (xo - xi) * 0.8, EYE_Y - 15.5),
                       (xo, yo), steps=20)
        low = EYE_Y + (8 if smile else 11)
        lower = bezier((xi, yi), (xi + (xo - xi) * 0.3, low), (xi + (xo - xi) * 0.75, low - 1),
                       (xo, yo), steps=20)
        lid = [(ux, uy + (ly - uy) * blink) for (ux, uy), (_, ly) in zip(upper, lower)]
        # lid crease
        crease = [(x, y - 6.5 + 3 * abs(i - 10) / 10) for i, (x, y) in enumerate(upper[3:18], 3)]
        sk.paint(sk.stroke(crease, 1.6), st.skin_line, 0.45)
        if blink < 0.98:
            white = sk.polygon(lid + lower[::-1])
            sk.paint(white, st.eye_white)
            ix, iy = cx + side * 0.5, EYE_Y - 2
            iris = intersect(sk.circle(ix, iy, 11.5), white)
            sk.paint(iris, st.iris)
            sk.paint(intersect(subtract(sk.circle(ix, iy, 11.5), sk.circle(ix, iy, 9.5)), white),
                     st.iris_dark, 0.6)
            sk.paint(intersect(sk.blur(sk.circle(ix, iy + 6, 6), 2.5), iris), (176, 130, 88), 0.6)
            sk.paint(intersect(sk.circle(ix, iy, 5.2), white), (22, 14, 12))
            sk.paint(intersect(sk.circle(ix + 4, iy - 4.5, 2.8), white), (255, 255, 255), 0.95)
            sk.paint(intersect(sk.circle(ix - 3.5, iy + 4, 1.2), white), (255, 255, 255), 0.7)
            sk.paint(intersect(sk.blur(sk.stroke(lid, 5), 2), white), (90, 60, 50), 0.3)
            sk.paint(sk.stroke(lower[2:-2], 1.2), st.skin_line, 0.45)
        widths = [2.0 + 2.6 * (i / (len(lid) - 1)) ** 1.5 for i in range(len(lid))]
        sk.paint(sk.stroke(lid, widths), st.lash)
        sk.paint(sk.stroke([lid[-2], (xo + side * 3.5, yo - 2.0 + blink)], [3.6, 1.2]), st.lash)
        # brow
        lift = 3 if smile else (-1 if serious else 0)
        inner_drop = 5 if serious else 0
        brow = spline([(cx - side * 22, 227 + inner_drop - lift), (cx - side * 4, 219 + inner_drop * 0.5 - lift),
                       (cx + side * 12, 217 - lift), (cx + side * 27, 225 - lift * 0.5)], closed=False, steps=8)
        n = len(brow)
        sk.paint(sk.stroke(brow, [5.6 - 3.6 * (i / (n - 1)) ** 1.4 for i in range(n)]), st.brow)


# ---------------------------------------------------------------- mouth

def draw_mouth(sk: Sketch, st: PresenterStyle, open_: float, wide: float, round_: float,
               bite: float, expression: str) -> None:
    smile, serious = expression == "smile", expression == "serious"
    cx, cy = MOUTH
    hw = 24.0 * (1 + 0.28 * wide - 0.36 * round_ + (0.14 if smile else 0) - (0.06 if serious else 0))
    lift = (5.0 if smile else 0.0) + 2.0 * wide * 0.5 - (1.0 if serious else 0)
    h = 26.0 * open_ * (1 - 0.3 * wide) * (1 + 0.25 * round_)
    if bite > 0.5:
        h = max(h, 5.5)
    h_top, h_bot = 0.2 * h, 0.8 * h
    ho = hw * (1 - 0.35 * round_ * min(1, open_ * 3))           # corners of the opening
    ends = cy - lift

    def curve(x_half, mid_y, steps=18):
        c = (mid_y - 0.25 * ends) / 0.75
        return bezier((cx - x_half, ends), (cx - x_half * 0.45, c), (cx + x_half * 0.45, c),
                      (cx + x_half, ends), steps=steps)

    top_open = curve(ho, cy - h_top)
    bot_open = curve(ho, cy + h_bot)
    lip_low = 7.5 - 2.5 * bite
    upper_outer = spline([(cx - hw - 1.5, ends), (cx - hw * 0.55, cy - h_top - 4.6 - lift * 0.4),
                          (cx - 6, cy - h_top - 7.0), (cx, cy - h_top - 5.2), (cx + 6, cy - h_top - 7.0),
                          (cx + hw * 0.55, cy - h_top - 4.6 - lift * 0.4), (cx + hw + 1.5, ends)],
                         closed=False, steps=6)
    lower_outer = curve(hw + 1.5, cy + h_bot + lip_low + 1.5)[::-1]
    lips = sk.polygon(upper_outer + lower_outer)
    # a soft shadow under the lower lip and at the corners
    sk.paint(sk.blur(sk.ellipse(cx, cy + h_bot + lip_low + 5, hw * 0.5, 3.5), 2.5), st.skin_shade, 0.6)
    sk.paint(lips, st.lips)
    sk.tint(intersect(lips, sk.blur(sk.polygon(upper_outer + top_open[::-1]), 1.5)), st.lip_line, 0.25)
    sk.paint(intersect(sk.blur(sk.ellipse(cx + 3, cy + h_bot + lip_low * 0.45, hw * 0.32, 1.8), 1.5),
                       lips), (255, 255, 255), 0.28)
    if h > 1.2:
        hole = sk.polygon(top_open + bot_open[::-1])
        sk.paint(hole, st.mouth_inside)
        teeth_h = h if bite > 0.5 else min(6.0, 0.22 * h + 2.2) * (1 - 0.4 * round_)
        teeth = sk.polygon(top_open + [(x, y + teeth_h) for x, y in top_open[::-1]])
        sk.paint(intersect(teeth, hole), st.teeth)
        sk.paint(intersect(sk.blur(sk.stroke(top_open, 2.5), 1.2), hole), (150, 120, 120), 0.35)
        if open_ > 0.45 and bite <= 0.5:
            depth = h_bot * min(1.0, (open_ - 0.45) / 0.4)
            tongue = sk.ellipse(cx, cy + h_bot + depth * 0.05, ho * 0.5, depth * 0.32)
            sk.paint(intersect(tongue, hole), st.tongue)
        sk.paint(sk.stroke(top_open, 1.3), st.lip_line, 0.6)
    else:
        sk.paint(sk.stroke(top_open, 2.3), st.lip_line, 0.95)
    if smile:
        for side in (-1, 1):
            x = cx + side * (hw + 2)
            sk.paint(sk.blur(sk.stroke(bezier((x, ends - 2), (x + side * 2.5, ends), (x + side * 1, ends + 3)),
                                       1.4), 0.8), st.skin_line, 0.3)


# ---------------------------------------------------------------- body

def _torso() -> list:
    right = [(414, 438), (470, 454), (528, 474), (560, 500), (574, 540), (570, 640), (552, 800),
             (554, 1010)]
    return spline(right + mirror(right, CX)[::-1], steps=6)


def _lapel(side: int) -> tuple[list, list]:
    pts = [(336, 446), (CX, 772), (312, 612), (292, 552), (306, 544), (302, 482), (320, 452)]
    if side > 0:
        pts = mirror(pts, CX)
    return pts, pts[1:6]


def draw_body(sk: Sketch, st: PresenterStyle, arms: tuple[ArmJoints, ArmJoints]) -> None:
    """Neck, shirt, jacket, arms and hands; `arms` = (right arm, left arm)."""
    torso = sk.polygon(_torso())
    for arm in arms:                                      # upper arms, behind the torso's edge
        _upper_arm(sk, st, arm)
    sk.paint(torso, st.jacket)
    sk.tint(subtract(torso, sk.blur(sk.shift(torso, -16, -6), 16)), st.jacket_shade, 0.8)
    for arm in arms:
        _arm_crease(sk, st, arm)
    shirt = sk.polygon([(330, 440), (420, 440), (CX, 780)])
    sk.paint(shirt, st.shirt)
    neck = sk.polygon([(337, 330), (413, 330), (416, 444), (CX, 506), (334, 444)])
    sk.paint(neck, st.skin)
    sk.tint(subtract(neck, sk.blur(sk.shift(neck, -8, 0), 6)), st.skin_shade, 0.7)
    sk.tint(intersect(neck, sk.blur(sk.ellipse(CX, 440, 40, 14), 10)), st.skin_shade, 0.35)
    for side in (-1, 1):                                  # shirt collar flaps
        flap = [(338, 432), (352, 468), (CX - 1, 508), (322, 520), (310, 470)]
        if side > 0:
            flap = mirror(flap, CX)
        m = sk.polygon(flap)
        sk.paint(sk.blur(sk.shift(m, 2, 5), 3), (0, 0, 0), 0.25)
        sk.paint(m, st.shirt)
        sk.tint(subtract(m, sk.shift(m, -side * 5, -5)), st.shirt_shade, 0.8)
    for side in (-1, 1):                                  # lapels
        pts, edge = _lapel(side)
        m = sk.polygon(pts)
        sk.paint(sk.blur(sk.shift(m, side * 3, 5), 4), (0, 0, 0), 0.3)
        sk.paint(m, st.jacket_light if side < 0 else st.jacket)
        sk.paint(sk.stroke(edge, 1.8), st.jacket_shade, 0.9)
    sk.paint(sk.stroke([(CX, 772), (CX, 1010)], 2.2), st.jacket_shade)
    sk.paint(sk.circle(CX + 6, 808, 7.5), st.button)
    sk.paint(sk.circle(CX + 4, 806, 2.5), (90, 100, 130), 0.8)
    for arm in sorted(arms, key=lambda a: -a.wrist[0]):   # forearms and hands, right one on top
        _forearm(sk, st, arm)
        _hand(sk, st, arm)


def _upper_arm(sk: Sketch, st: PresenterStyle, arm: ArmJoints) -> None:
    m = sk.stroke([arm.shoulder, arm.elbow], [84, 70])
    sk.paint(m, st.jacket)
    sk.tint(subtract(m, sk.blur(sk.shift(m, -14, 0), 10)), st.jacket_shade, 0.8)


def _arm_crease(sk: Sketch, st: PresenterStyle, arm: ArmJoints) -> None:
    (sx, sy), (ex, ey) = arm.shoulder, arm.elbow
    side = 1 if sx > CX else -1
    pts = [(sx - side * 30 + (ex - sx) * t, sy + 40 + (ey - sy - 40) * t) for t in (0.1, 0.5, 0.9)]
    sk.paint(sk.blur(sk.stroke(spline(pts, closed=False), 2.2), 1.0), st.jacket_shade, 0.9)


def _forearm(sk: Sketch, st: PresenterStyle, arm: ArmJoints) -> None:
    (ex, ey), (wx, wy) = arm.elbow, arm.wrist
    cuff_end = (wx + (ex - wx) * 0.02, wy + (ey - wy) * 0.02)
    sleeve_end = (wx + (ex - wx) * 0.1, wy + (ey - wy) * 0.1)
    cuff = sk.stroke([(wx + (ex - wx) * 0.15, wy + (ey - wy) * 0.15), cuff_end], 50)
    sleeve = sk.stroke([arm.elbow, sleeve_end], [70, 60])
    shadow = sk.blur(sk.shift(sleeve, 0, 8), 8)
    sk.tint(shadow, (10, 14, 26), 0.45)
    sk.paint(cuff, st.shirt)
    sk.tint(subtract(cuff, sk.shift(cuff, 0, -4)), st.shirt_shade, 0.9)
    sk.paint(sleeve, st.jacket_light)
    sk.tint(subtract(sleeve, sk.blur(sk.shift(sleeve, 0, -10), 6)), st.jacket_shade, 0.9)
    sk.paint(subtract(sk.stroke([arm.elbow, sleeve_end], [72.5, 62.5]), sleeve), st.jacket_shade)


def _hand(sk: Sketch, st: PresenterStyle, arm: ArmJoints) -> None:
    wx, wy = arm.wrist
    base = arm.finger_bases[1:]
    kx0, ky0 = base[0]
    kx1, ky1 = base[-1]
    dx, dy = kx1 - kx0, ky1 - ky0
    n = (dx * 0.18, dy * 0.18)
    mid_k = ((kx0 + kx1) / 2, (ky0 + ky1) / 2)
    ax, ay = (mid_k[0] - wx), (mid_k[1] - wy)
    palm_pts = [(wx - dx * 0.42, wy - dy * 0.42), (kx0 - n[0], ky0 - n[1]), (kx1 + n[0], ky1 + n[1]),
                (wx + dx * 0.42, wy + dy * 0.42), (wx - ax * 0.15, wy - ay * 0.15)]
    palm = sk.polygon(spline(palm_pts, steps=6))
    shadow = sk.blur(sk.shift(palm, 0, 7), 7)
    sk.tint(shadow, (10, 14, 26), 0.35)
    t0, t1, t2 = arm.thumb
    sk.paint(sk.stroke([t0, t1, t2], [21.5, 19.5, 17.0]), st.skin_line)
    sk.paint(sk.stroke([t0, t1, t2], [19, 17, 14.5]), st.skin)
    sk.paint(sk.stroke(palm_pts + palm_pts[:1], 2.4), st.skin_line)
    sk.paint(palm, st.skin)
    widths = (17.0, 17.5, 16.5, 14.5)
    for (k, m, t), w in reversed(list(zip(arm.fingers, widths))):
        sk.paint(sk.stroke([k, m, t], [w + 2.6, w + 2.4, w + 1.8]), st.skin_line)
        sk.paint(sk.stroke([k, m, t], [w, w - 0.2, w - 0.8]), st.skin)
    sk.tint(subtract(palm, sk.blur(sk.shift(palm, -5, -6), 5)), st.skin_shade, 0.6)
