"""Route dependencies: the runtime, the service's clock and its settings."""

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request

from palermo_review.settings import ReviewSettings
from palermo_shared.service import ServiceRuntime, runtime_of

Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


def now_of(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


def settings_of(request: Request) -> ReviewSettings:
    settings: ReviewSettings = request.app.state.runtime.settings
    return settings


Now = Annotated[dt.datetime, Depends(now_of)]
Settings = Annotated[ReviewSettings, Depends(settings_of)]
