"""The review service's notion of now, injectable so tests can move time."""

import datetime as dt
from collections.abc import Callable

from palermo_shared.clock import utcnow

Clock = Callable[[], dt.datetime]

system_clock: Clock = utcnow
