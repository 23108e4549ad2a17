"""The `anchor` command line."""
from __future__ import annotations

import argparse
import os
import re
import sys
from contextlib import contextmanager
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


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be a number from 1 to 65535, not {text!r}")
    return int(text)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line with exit code 2, like every other bad input."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="anchor", description="An engine for AI presenters: a written "
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
                   help="the depicted person's consent: a record (.toml: who, statement, date, "
                        "sha256 of the portrait), or a plain text (warned)")
    c.add_argument("--force", action="store_true", help="replace an existing pack of that name")

    lv = sub.add_parser("live", help="run a live channel: a player page, WebRTC (WHEP) viewers, "
                        "comments, a control API and optional RTMP/WHIP pushes")
    lv.add_argument("show", nargs="?", default="demo-shop",
                    help="show file or demo show name (default: demo-shop)")
    lv.add_argument("--port", type=_port, default=8080, help="HTTP port (default: 8080)")
    lv.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)")
    lv.add_argument("--ice-host", action="append", dest="ice_hosts", metavar="ADDR",
                    help="an address WebRTC viewers reach this machine at (repeatable; "
                         "default: every local interface address)")
    lv.add_argument("--token", help="bearer token of the control API (default: $ANCHOR_TOKEN; "
                    "without one the control API is disabled)")
    lv.add_argument("--push", action="append", default=[], metavar="URL",
                    help="push the program to rtmp://... or a WHIP http(s):// URL (repeatable)")
    lv.add_argument("--avatar", help="avatar pack name, or 'presenter' (default: the show's)")
    lv.add_argument("--size", type=_size, help="program size, e.g. 1280x720 (default: the show's)")
    lv.add_argument("--fps", type=_fps, help="frames per second (default: the show's, 25)")
    lv.add_argument("--log-format", choices=("json", "text"), default="json",
                    help="logs on stderr: JSON lines (default) or plain text")

    vo = sub.add_parser("voices", help="list the voices and their languages")
    vo.add_argument("show", nargs="?", help="a show file: also list the voices it defines (voices:)")
    sub.add_parser("avatars", help="list the avatars (built-in and packs) and their kinds")
    sub.add_parser("shows", help="list the built-in demo shows")
    sg = sub.add_parser("sign", help="sign language: the lexicon, and pose tracks (.pose)")
    ssub = sg.add_subparsers(dest="sign_command", metavar="ACTION", required=True)
    sl = ssub.add_parser("lexicon", help="list a language's entries with origin, licence, status")
    sl.add_argument("--lang", required=True, help="sign language: ase (ASL) or csl (Chinese)")
    sp = ssub.add_parser("pose", help="write the pose track of a text as a .pose file")
    sp.add_argument("text", help="what to sign")
    sp.add_argument("--lang", required=True, help="sign language: ase (ASL) or csl (Chinese)")
    sp.add_argument("--fingerspell", action="store_true", help="spell it letter by letter "
                    "(default: the text's glosses: signs, numbers, fingerspelled words)")
    sp.add_argument("-o", "--output", required=True, type=Path, help="the .pose file to write")
    sc = ssub.add_parser("coverage", help="share of a show's spoken words signed, fingerspelled "
                         "and dropped, per segment and in total")
    sc.add_argument("show", help="show file or demo show name")
    sc.add_argument("--lang", required=True, help="sign language: ase (ASL) or csl (Chinese)")
    sc.add_argument("--force", action="store_true",
                    help="gloss the show even when its language does not fit the sign language")
    sr = ssub.add_parser("render", help="render a .pose file by the signer alone into an MP4")
    sr.add_argument("pose", type=Path, help="the .pose file")
    sr.add_argument("-o", "--output", required=True, type=Path, help="the MP4 to write")
    sr.add_argument("--size", type=_size, default=(1280, 720), help="video size (default 1280x720)")
    sr.add_argument("--fps", type=_fps, default=25, help="frames per second (default 25)")
    sr.set_defaults(command="sign-render")
    d = sub.add_parser("doctor", help="check what works on this machine (voices, FaceMesh, fonts, "
                       "codecs, neural backends, test servers) and why not; exit 1 if the "
                       "default path is broken")
    d.add_argument("--json", action="store_true", help="print the report as JSON")
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
    from anchor.render import ProgressLine, clock, estimate_seconds, render
    from anchor.program import program_format
    from anchor.show import load_show

    if args.loop and not args.duration:
        raise AnchorError("--loop needs --duration (how long the looped video should be)")
    show = load_show(_show_path(args.show))
    width, height = args.size or (None, None)
    fmt = program_format(show, width=width, height=height, fps=args.fps)
    total = args.duration if args.loop else estimate_seconds(show)
    progress = ProgressLine(min(total, args.duration or total))
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


def _live(args) -> int:
    import asyncio
    import os

    from anchor.program import check_avatar, program_format
    from anchor.show import load_show

    path = _show_path(args.show)
    show = load_show(path)                    # a bad show stops here, before the port is bound
    if args.avatar:
        check_avatar(args.avatar)
    width, height = args.size or (None, None)
    fmt = program_format(show, width=width, height=height, fps=args.fps)
    from anchor.logs import configure
    configure(args.log_format)
    token = args.token or os.environ.get("ANCHOR_TOKEN") or None
    if token is None:
        warn("no --token or ANCHOR_TOKEN: the control API is disabled")
    asyncio.run(_serve_live(path, fmt, args, token))
    return 0


async def _serve_live(path: Path, fmt, args, token: str | None) -> None:
    import asyncio
    import signal

    from aiohttp import web

    from anchor.live import Channel, make_app

    channel = Channel(path, fmt=fmt, ice_hosts=args.ice_hosts, push=args.push, avatar=args.avatar)
    await channel.start()
    runner = web.AppRunner(make_app(channel, token=token), access_log=None)
    try:
        await runner.setup()
        try:
            await web.TCPSite(runner, args.host, args.port).start()
        except OSError as e:
            raise AnchorError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Anchor live: open http://{host}:{args.port}/", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        print("anchor: stopping the channel", file=sys.stderr)
    finally:
        await runner.cleanup()
        await channel.stop()


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
    warnings: list[str] = []
    try:
        with _native_logs_hidden():             # which hides our warnings too: say them after
            pack = create_pack(args.portrait, name=args.name, consent=args.consent,
                               overwrite=args.force, warn=warnings.append)
    finally:
        for message in warnings:
            warn(message)
    print(f"created avatar '{pack.name}' in {pack.path}; use it with --avatar {pack.name} "
          f"or 'avatar: {pack.name}' in a show")
    return 0


@contextmanager
def _native_logs_hidden():
    """MediaPipe's native code (TFLite, absl) logs straight to file descriptor 2; keep those
    lines off the terminal so that the user sees our one-line result or error only."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _voices(args) -> int:
    import voices
    for v in voices.catalog():
        print(f"{v.name:<12} {v.language:<4} {v.backend:<10} {v.description}")
    if args.show:                    # the show's own voices, without loading their models
        from anchor.show import load_show
        show = load_show(_show_path(args.show))
        for name, d in show.voices.items():
            model = d.model or d.model_name
            print(f"{name:<12} {d.show_language:<4} {d.backend:<10} "
                  f"{d.description or model} (defined in {show.path.name})")
    return 0


def _avatars(args) -> int:
    from avatars.kinds import Avatars
    avatars = Avatars()
    for entry in avatars.entries():
        print(f"{entry.name:<20} {entry.kind:<12} {entry.path or entry.description}")
    print(f"(avatar packs live in {avatars.root}; kinds: "
          + "; ".join(f"{k.name}: {k.description}" for k in avatars.kinds.values()) + ")")
    return 0


def _shows(args) -> int:
    from anchor.show import list_demo_shows
    for path in list_demo_shows():
        print(f"{path.stem:<16} {path}")
    return 0


def _sign(args) -> int:
    from avatars.signer import fingerspell, load_lexicon, write_pose
    from avatars.signer.lexicon import check_language

    lexicon = load_lexicon(check_language(args.lang))
    if args.sign_command == "lexicon":
        for e in lexicon:
            status = e.status + (" (approximate)" if e.approximate else "")
            print(f"{e.gloss:<10} {e.kind:<7} {status:<23} {e.licence:<11} "
                  f"{', '.join(e.words)} | {e.origin}")
        return 0
    if args.sign_command == "coverage":
        return _sign_coverage(args, lexicon)
    if args.fingerspell:
        track = fingerspell(lexicon, args.text)
    else:
        track = _signed(args.text, lexicon)
    write_pose(track, args.output)
    print(f"wrote {args.output} ({track.frames} frames, {track.duration:.1f} s at {track.fps:g} fps)")
    return 0


def _vocabulary(lexicon):
    """What the lexicon has, as the data anchor.sign glosses against."""
    from anchor.sign import Vocabulary
    return Vocabulary(
        words={w.casefold(): e.gloss for e in lexicon if e.kind == "sign" for w in e.words},
        numbers={int(w): e.gloss for e in lexicon if e.kind == "number" for w in e.words
                 if w.isdigit()},
        letters=frozenset(e.gloss for e in lexicon if e.kind == "letter"))


def _signed(text: str, lexicon):
    """The pose track of a text: its glosses, each its lexicon sign (a number: its number
    signs; a word without a sign: fingerspelled), joined as fingerspelling joins letters."""
    from anchor.sign import TEXT_LANGUAGE, NumberGloss, SignGloss, SpelledGloss, gloss
    from avatars.signer import fingerspell
    from avatars.signer.fingerspelling import JOIN_FRAMES
    from avatars.signer.signing import join

    tracks = []
    for g in gloss(text, TEXT_LANGUAGE[lexicon.language], _vocabulary(lexicon)):
        if isinstance(g, SignGloss):
            tracks.append(lexicon.track(g.gloss))
        elif isinstance(g, NumberGloss):
            if not g.signs:
                raise AnchorError(f"text: the {lexicon.language} lexicon cannot sign the number "
                                  f"{g.source!r}")
            tracks += [lexicon.track(s) for s in g.signs]
        elif isinstance(g, SpelledGloss):
            tracks.append(fingerspell(lexicon, " ".join(g.letters)))
    if not tracks:
        raise AnchorError("text: nothing to sign (no words)")
    return join(tracks, gap=JOIN_FRAMES)


def _sign_coverage(args, lexicon) -> int:
    """Words signed / fingerspelled / dropped, on the rewriter's spoken text of the show."""
    from anchor.media import Utterance
    from anchor.program.recording import Recording
    from anchor.program.script import segment_scripts
    from anchor.sign import TEXT_LANGUAGE, Coverage, coverage
    from anchor.show import load_show

    show = load_show(_show_path(args.show))
    language = TEXT_LANGUAGE[lexicon.language]
    if show.language != language and not args.force:
        raise AnchorError(f"--lang: {args.lang} is signed from {language!r} text, but "
                          f"{show.path} is in {show.language!r} (add --force to gloss it anyway)")
    vocabulary = _vocabulary(lexicon)

    def line(name: str, c: Coverage) -> str:
        return (f"{name:<14} {c.words:>5} words  signed {c.signed:>4} ({c.share('signed'):6.1%})  "
                f"fingerspelled {c.fingerspelled:>4} ({c.share('fingerspelled'):6.1%})  "
                f"dropped {c.dropped:>4} ({c.share('dropped'):6.1%})")

    total = Coverage()
    print(f"{show.path}: {args.lang} ({language} text), the rules rewriter's spoken text")
    for _, index, items in segment_scripts(show, warn=warn):
        counted = Coverage()
        for item, _state in items:
            for u in (item.utterances if isinstance(item, Recording) else (item,)):
                if isinstance(u, Utterance):
                    counted += coverage(u.text, language, vocabulary)
        total += counted
        print(line(f"segment {index + 1}", counted))
    print(line("total", total))
    return 0


def _sign_render(args) -> int:
    from anchor.sign_render import render_pose

    frames = render_pose(args.pose, args.output, width=args.size[0], height=args.size[1],
                         fps=args.fps)
    print(f"wrote {args.output} ({frames} frames at {args.fps} fps)")
    return 0


def _doctor(args) -> int:
    from anchor.doctor import run

    return run(json_output=args.json)


COMMANDS = {"render": _render, "live": _live, "avatar": _avatar, "voices": _voices, "avatars": _avatars,
            "shows": _shows, "doctor": _doctor, "sign": _sign,
            "sign-render": _sign_render}

if __name__ == "__main__":
    sys.exit(main())
