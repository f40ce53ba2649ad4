"""Tables of the gateway's database: the account registry and the audit log."""

from palermo_gateway.accounts.tables import Account, Invitation
from palermo_gateway.audit.tables import AuditEntry

MODELS = (Account, Invitation, AuditEntry)
