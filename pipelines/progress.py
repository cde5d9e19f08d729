"""Progress of long work: a live line on a terminal, plain lines otherwise, and a line in the run log every
LOG_EVERY items (what the Dagster UI shows)."""

import sys
import time
from collections.abc import Callable
from typing import TextIO

LOG_EVERY = 10
CLEAR_LINE = "\r\033[K"


class Progress:
    """Counts items done out of `total` and tells the reader: `charts: 12/57, 8 s, drew headline_kor_2022`
    (`verb` names what was done to each item; every `every` items the line is also logged)."""

    def __init__(
        self,
        what: str,
        total: int,
        log: Callable[[str], None],
        stream: TextIO | None = None,
        verb: str = "drew",
        every: int = LOG_EVERY,
    ) -> None:
        self.what, self.total, self.log, self.verb, self.every = what, total, log, verb, every
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self.done = 0
        self.started = time.monotonic()

    def line(self, name: str) -> str:
        """What has been done so far, how long it took, and the last item."""
        return f"{self.what}: {self.done}/{self.total}, {time.monotonic() - self.started:.0f} s, {self.verb} {name}"

    def advance(self, name: str) -> None:
        """One more item (`name`) is done."""
        self.done += 1
        line = self.line(name)
        milestone = self.done % self.every == 0 or self.done == self.total
        if self.live:
            self.stream.write(CLEAR_LINE + line + ("\n" if self.done == self.total else ""))
            self.stream.flush()
        elif milestone:
            # One write: print() writes the newline apart, and with output unbuffered, a log line written to
            # stderr in between landed on the same line of a file holding both streams.
            self.stream.write(line + "\n")
            self.stream.flush()
        if milestone:
            if self.live and self.done < self.total:
                self.stream.write(CLEAR_LINE)
            self.log(line)
