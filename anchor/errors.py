"""Errors a user can act on. The CLI prints them as one line and exits with code 2."""


class AnchorError(Exception):
    """Bad input or configuration; the message names the file, line or field."""


class ShowError(AnchorError):
    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        where = path or "<show>"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {message}")
        self.path, self.line = path, line


class VoiceError(AnchorError):
    pass


class AvatarError(AnchorError):
    pass


class OutputError(AnchorError):
    pass
