import sys


class Progress:
    """A one-line progress bar on stderr (no dependency for something this small)."""

    def __init__(self, total: int, label: str, stream=None):
        stream = stream or sys.stderr
        self.total, self.label, self.stream, self.done = total, label, stream, 0
        if not total:
            stream.write(f"{label}: nothing to do\n")

    def advance(self, step: int = 1) -> None:
        if not self.total:
            return
        self.done += step
        filled = int(30 * self.done / self.total)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
