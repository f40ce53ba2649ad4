"""Path parameters shared by the questionnaire routes."""

from typing import Annotated

from fastapi import Depends

from palermo_questionnaire.responses import ResponseKey
from palermo_shared.filters import StatePath
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.service import ServiceRuntime, runtime_of

Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
RESPONSE_PATH = "/phases/{phase_id}/responses/{state}/{instrument}/{cluster}"


def response_key(
    phase_id: str, state: StatePath, instrument: Instrument, cluster: Cluster
) -> ResponseKey:
    return ResponseKey(phase_id, state, instrument, cluster)


Key = Annotated[ResponseKey, Depends(response_key)]
