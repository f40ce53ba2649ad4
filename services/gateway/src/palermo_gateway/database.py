"""The gateway's database: the account registry and the audit log.

It runs on the same plumbing as every service's database (`ServiceRuntime`).
The default is the SQLite file `DATA_DIR/gateway.db`, and `DATABASE_URL`
selects PostgreSQL. Alembic revisions live in `migrations/`. An outbox
publishes the account events, and an idempotent consumer copies every event
on the bus into the audit log.
"""

from pathlib import Path

from palermo_gateway.audit.recorder import audit_consumer_spec
from palermo_gateway.settings import GatewaySettings
from palermo_gateway.tables import MODELS
from palermo_shared.bus import Bus
from palermo_shared.service import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: GatewaySettings, bus: Bus) -> ServiceRuntime:
    return ServiceRuntime(
        settings, bus, MODELS, audit_consumer_spec(), migrations=MIGRATIONS
    )
