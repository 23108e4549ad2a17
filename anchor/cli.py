"""The `anchor` command line."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from anchor.errors import AnchorError

EXIT_BAD_INPUT = 2


def warn(message: str) -> None:
    print(f"anchor: warning: {message}", file=sys.stderr)


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, not {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if w % 2 or h % 2 or not (160 <= w <= 3840 and 160 <= h <= 2160):
        raise argparse.ArgumentTypeError(f"size {text}: width and height must be even, "
                                         "160..3840 by 160..2160")
    return w, h


def _fps(text: str) -> int:
    if not text.isdigit() or not 10 <= int(text) <= 60:
        raise argparse.ArgumentTypeError(f"fps must be a whole number from 10 to 60, not {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise argparse.ArgumentTypeError(f"duration must be a positive number of seconds, not {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="anchor", description="An engine for AI presenters: a written "
                                "show becomes a lip-synced, AI-labelled presenter video.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    r = sub.add_parser("render", help="render a show (YAML, Markdown or plain text) to an MP4 "
                       "with .srt and .vtt subtitles beside it")
    r.add_argument("show", help="show file (.yaml, .md, .txt) or the name of a demo show")
    r.add_argument("-o", "--output", required=True, type=Path, help="the MP4 file to write")
    r.add_argument("--avatar", help="avatar pack name, or 'presenter' for the built-in presenter "
                   "(default: the show's)")
    r.add_argument("--size", type=_size, help="program size, e.g. 1920x1080 (default: the show's, 1280x720)")
    r.add_argument("--fps", type=_fps, help="frames per second (default: the show's, 25)")
    r.add_argument("-t", "--duration", type=_seconds, help="stop after this many seconds of program")
    r.add_argument("--loop", action="store_true", help="repeat the show (with varied wording) "
                   "until --duration is reached")
    r.add_argument("--preset", default="veryfast", help="x264 preset (default: veryfast)")

    a = sub.add_parser("avatar", help="manage avatar packs")
    asub = a.add_subparsers(dest="avatar_command", metavar="ACTION", required=True)
    c = asub.add_parser("create", help="rig a portrait photo into an avatar pack")
    c.add_argument("portrait", type=Path, help="a photo of one person, face clearly visible")
    c.add_argument("--name", required=True, help="pack name: lowercase letters, digits, - and _")
    c.add_argument("--consent", required=True, type=Path,
                   help="a text file recording the depicted person's consent")
    c.add_argument("--force", action="store_true", help="replace an existing pack of that name")

    sub.add_parser("voices", help="list the voices and their languages")
    sub.add_parser("avatars", help="list the avatar packs")
    sub.add_parser("shows", help="list the built-in demo shows")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AnchorError as e:
        print(f"anchor: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("anchor: interrupted", file=sys.stderr)
        return 130


def _render(args) -> int:
    from anchor.render import ProgressLine, clock, render
    from anchor.pipeline import program_format
    from anchor.show import load_show

    if args.loop and not args.duration:
        raise AnchorError("--loop needs --duration (how long the looped video should be)")
    show = load_show(_show_path(args.show))
    width, height = args.size or (None, None)
    fmt = program_format(show, width=width, height=height, fps=args.fps)
    progress = ProgressLine(args.duration)
    report = render(show, args.output, fmt, avatar=args.avatar, limit_s=args.duration,
                    passes=None if args.loop else 1, preset=args.preset, warn=warn,
                    progress=progress)
    progress.done()
    size = args.output.stat().st_size / 1e6
    others = ", ".join(p.name for p in report.outputs[1:])
    print(f"wrote {args.output} ({clock(report.seconds)}, {fmt.width}x{fmt.height} @ {fmt.fps} fps, "
          f"{report.frames} frames, {size:.1f} MB) and {others} in {report.wall:.1f} s "
          f"({report.speed:.1f}x real time)")
    return 0


def _show_path(text: str) -> Path:
    """A show file, or the name of a demo show ("demo-news")."""
    from anchor.show import demo_show_path, list_demo_shows
    path = Path(text)
    if path.exists() or path.suffix:
        return path
    if text in {p.stem for p in list_demo_shows()}:
        return demo_show_path(text)
    return path


def _avatar(args) -> int:
    from avatars.pack import create_pack
    pack = create_pack(args.portrait, name=args.name, consent=args.consent, overwrite=args.force)
    print(f"created avatar '{pack.name}' in {pack.path}; use it with --avatar {pack.name} "
          f"or 'avatar: {pack.name}' in a show")
    return 0


def _voices(args) -> int:
    import voices
    for v in voices.catalog():
        print(f"{v.name:<12} {v.language:<4} {v.backend:<10} {v.description}")
    return 0


def _avatars(args) -> int:
    from avatars.pack import avatar_dir, list_packs
    print(f"{'presenter':<20} built-in illustrated presenter")
    for pack in list_packs():
        print(f"{pack.name:<20} photo, {pack.path}")
    print(f"(avatar packs live in {avatar_dir()})")
    return 0


def _shows(args) -> int:
    from anchor.show import list_demo_shows
    for path in list_demo_shows():
        print(f"{path.stem:<16} {path}")
    return 0


COMMANDS = {"render": _render, "avatar": _avatar, "voices": _voices, "avatars": _avatars,
            "shows": _shows}

if __name__ == "__main__":
    sys.exit(main())
