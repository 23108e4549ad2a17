"""Avatar kinds behind one registry (`avatars.kinds.Avatars`), and a pack's consent record: on
a real photo (scikit-image's astronaut, Eileen Collins, NASA, public domain) rigged by real
MediaPipe."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

skimage_data = pytest.importorskip("skimage.data")

from anchor.consent import consent_record, file_sha256
from anchor.errors import AvatarError
from avatars.kinds import KINDS, AvatarKind, Avatars
from avatars.pack import create_pack, load_pack
from avatars.presenter import IllustratedPresenter
from avatars.warp import PhotoAnimator

DATA = Path(skimage_data.__file__).parent
ASTRONAUT = DATA / "astronaut.png"
STATEMENT = "I agree that my portrait may animate an AI presenter."


def record(folder: Path, covers: Path, **dates) -> Path:
    path = folder / "eileen-consent.toml"
    path.write_text(consent_record(covers=covers, who="Eileen Collins", statement=STATEMENT,
                                   date=dates.pop("date", dt.date(2025, 5, 1)), **dates))
    return path


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """An avatar folder with one pack made from a consent record."""
    folder = tmp_path_factory.mktemp("avatars")
    warnings: list[str] = []
    create_pack(ASTRONAUT, name="eileen", consent=record(folder.parent, ASTRONAUT),
                root=folder, warn=warnings.append)
    assert warnings == []
    return folder


def test_the_built_in_presenter_is_an_entry_of_the_illustrated_kind(tmp_path):
    avatars = Avatars(root=tmp_path / "none")
    assert [(e.name, e.kind, e.path) for e in avatars.entries()] == [("presenter", "illustrated", None)]
    animator = avatars.animator("presenter", height=240, fps=25, seed=0)
    assert isinstance(animator, IllustratedPresenter) and animator.height == 240
    with pytest.raises(AvatarError, match=r"unknown avatar 'ghost' \(known: presenter; packs "
                                          rf"live in {tmp_path / 'none'}\)"):
        avatars.check("ghost")


def test_a_pack_is_animated_by_the_kind_its_manifest_names(root):
    avatars = Avatars(root=root)
    assert [(e.name, e.kind) for e in avatars.entries()] == [("presenter", "illustrated"),
                                                             ("eileen", "photo")]
    assert 'kind = "photo"' in (root / "eileen" / "pack.toml").read_text()
    assert avatars.check("eileen").path == root / "eileen"
    animator = avatars.animator("eileen", height=240, fps=25, seed=0)
    assert isinstance(animator, PhotoAnimator) and animator.height == 240


def test_a_new_kind_is_one_more_entry_in_the_table(root, tmp_path):
    """What a third kind needs: an AvatarKind in the table and packs that name it."""
    folder = tmp_path / "avatars" / "holly"
    folder.mkdir(parents=True)
    (folder / "pack.toml").write_text('kind = "hologram"\nname = "holly"\n')
    made = []

    def animate(entry, *, height, fps, seed):
        made.append((entry.name, height, fps, seed))
        return IllustratedPresenter(height=height, fps=fps, seed=seed)

    unknown = Avatars(root=tmp_path / "avatars")
    assert [(e.name, e.kind) for e in unknown.entries()][1:] == [("holly", "hologram")]
    with pytest.raises(AvatarError, match="avatar 'holly' is of kind 'hologram', which this "
                                          "Anchor does not know .kinds: illustrated, photo."):
        unknown.check("holly")
    hologram = AvatarKind("hologram", "a test kind", animate, lambda entry, warn: None)
    avatars = Avatars(root=tmp_path / "avatars", kinds={**KINDS, "hologram": hologram})
    avatars.check("holly")
    assert avatars.animator("holly", height=120, fps=30, seed=7).height == 120
    assert made == [("holly", 120, 30, 7)]


def test_a_pack_keeps_its_consent_record_and_is_refused_if_it_no_longer_matches(root, tmp_path):
    folder = root / "eileen"
    assert sorted(p.name for p in folder.iterdir()) == ["consent.toml", "image.png",
                                                        "landmarks.npy", "pack.toml"]
    given = root.parent / "eileen-consent.toml"
    assert (folder / "consent.toml").read_bytes() == given.read_bytes()     # kept as given
    meta = (folder / "pack.toml").read_text()
    assert f'source_sha256 = "{file_sha256(ASTRONAUT)}"' in meta
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy / "eileen")
    avatars = Avatars(root=copy)
    pack = load_pack("eileen", root=copy)
    assert pack.consent.who == "Eileen Collins" and pack.consent.statement == STATEMENT
    (copy / "eileen" / "pack.toml").write_text(meta.replace(file_sha256(ASTRONAUT), "0" * 64))
    with pytest.raises(AvatarError, match=r"consent\.toml: the consent was given for another "
                                          r"portrait .*astronaut\.png"):
        avatars.check("eileen")


def test_a_record_for_another_photo_or_an_expired_one_makes_no_pack(tmp_path):
    other = record(tmp_path, DATA / "coffee.png")
    with pytest.raises(AvatarError, match=r"eileen-consent\.toml: the consent was given for "
                                          r"another portrait .*astronaut\.png"):
        create_pack(ASTRONAUT, name="eileen", consent=other, root=tmp_path / "avatars")
    expired = record(tmp_path, ASTRONAUT, date=dt.date(2019, 1, 1), valid_until=dt.date(2020, 1, 1))
    with pytest.raises(AvatarError, match="the consent expired on 2020-01-01"):
        create_pack(ASTRONAUT, name="eileen", consent=expired, root=tmp_path / "avatars")
    assert not (tmp_path / "avatars").exists()


def test_an_older_pack_with_a_plain_consent_text_and_no_kind_still_works_with_a_warning(tmp_path):
    text = tmp_path / "consent.txt"
    text.write_text(STATEMENT + "\n")
    warnings: list[str] = []
    pack = create_pack(ASTRONAUT, name="old", consent=text, root=tmp_path / "avatars",
                       warn=warnings.append)
    assert pack.consent is None and len(warnings) == 1
    assert "consent.txt: a plain consent text, not a consent record" in warnings[0]
    toml = pack.path / "pack.toml"                      # as packs were written before kinds
    toml.write_text("".join(line for line in toml.read_text().splitlines(keepends=True)
                            if not line.startswith(("kind", "source_sha256"))))
    heard: list[str] = []
    avatars = Avatars(root=tmp_path / "avatars", warn=heard.append)
    assert avatars.check("old").kind == "photo"
    assert len(heard) == 1 and f"{pack.path / 'consent.txt'}: a plain consent text" in heard[0]
    assert isinstance(avatars.animator("old", height=240, fps=25, seed=0), PhotoAnimator)
