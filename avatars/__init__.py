"""Faces and bodies: the Animator interface, avatar kinds behind one registry (`Avatars`: the
illustrated presenter drawn by our own code, photo avatars: a portrait rigged with MediaPipe
FaceMesh into an avatar pack, animated by warping).

    animator = Avatars().animator("presenter", height=720, fps=25, seed=0)

    presenter = IllustratedPresenter(height=720, fps=25)
    for frame in presenter.frames(drives):         # PresenterFrame: base layer + head patch
        ...
    pack = create_pack(Path("me.jpg"), name="me", consent=Path("me-consent.toml"))
    animator = PhotoAnimator(load_pack("me"), height=720, fps=25)
"""
from avatars.base import Animator
from avatars.kinds import AvatarEntry, AvatarKind, Avatars
from avatars.pack import AvatarPack, avatar_dir, create_pack, list_packs, load_pack
from avatars.presenter import IllustratedPresenter
from avatars.warp import PhotoAnimator

__all__ = ["Animator", "AvatarEntry", "AvatarKind", "AvatarPack", "Avatars", "IllustratedPresenter",
           "PhotoAnimator", "avatar_dir", "create_pack", "list_packs", "load_pack"]
