"""Path parameters shared by the questionnaire routes."""

from typing import Annotated

from fastapi import Depends, Path

from palermo_questionnaire.responses import ResponseKey
from palermo_shared.errors import NotFound
from palermo_shared.reference.instruments import Cluster, Instrument
from palermo_shared.reference.states import load_states
from palermo_shared.service import ServiceRuntime, runtime_of

Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]
STATE_CODE = "^[A-Za-z]{3}$"
RESPONSE_PATH = "/phases/{phase_id}/responses/{state}/{instrument}/{cluster}"


def response_key(
    phase_id: str,
    state: Annotated[
        str, Path(pattern=STATE_CODE, description="ISO 3166-1 alpha-3 code")
    ],
    instrument: Instrument,
    cluster: Cluster,
) -> ResponseKey:
    code = state.upper()
    if code not in load_states():
        raise NotFound(f"State {code} not found in the States-parties registry")
    return ResponseKey(phase_id, code, instrument, cluster)


Key = Annotated[ResponseKey, Depends(response_key)]
