"""Settings read from the environment, one class per service on this base.

Settings are built once by each entry point, never at import time.
"""

import logging
import os
import re
import socket
import tempfile
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from palermo_shared.auth import (
    JwksKeySource,
    KeySource,
    LocalKeySource,
    TokenVerifier,
    load_or_create_signing_key,
)
from palermo_shared.bus import Bus
from palermo_shared.bus.kafka import KafkaBus
from palermo_shared.bus.memory import MemoryBus
from palermo_shared.events import ALL_TOPICS

DATABASE_URL_PREFIXES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")

# The local signing key's file in the data folder, unless AUTH_SIGNING_KEY_FILE
# names another.
SIGNING_KEY_FILE = "signing-key.pem"


def _web_address(url: str) -> str:
    """Return `url` if it is an http or https URL that names a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "invalid URL; expected http:// or https:// and a host, such as "
            "http://draw:8000"
        )
    return url


# The address of a server that a service sends requests to, or of a page that
# its messages link to. Checked at start, because a service cannot reach
# `notaurl` or `draw:8000`, and would only fail once a request needs it.
WebAddress = Annotated[str, AfterValidator(_web_address)]


def broker_address_problem(address: str) -> str | None:
    """Return why `address` is not a broker's `host:port`, or None if it is.

    An IPv6 host goes in brackets, as in `[::1]:9092`.
    """
    if not address:
        return "missing broker address"

    host, separator, port = address.rpartition(":")
    if not separator:
        return f"broker address {address!r} has no port"
    if not host.strip("[]"):
        return f"broker address {address!r} has no host"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return f"broker address {address!r} has no port number from 1 to 65535"
    return None


class InvalidSettings(ValueError):
    """Raised when settings are invalid; the message names each variable."""


def folder_problem(path: Path) -> str | None:
    """Return the reason `path` cannot be a data folder, or None if it can.

    The folder need not exist, because the services create it. Neither it
    nor a parent may be a file, or the services would fail at their first
    write with an operating system error.
    """
    for ancestor in (path, *path.parents):
        if ancestor.exists():
            if ancestor.is_dir():
                return None
            return f"{ancestor} is a file, not a folder"
    return None


def writable_folder_problem(path: Path) -> str | None:
    """Create `path` if missing, and return why no file can be written there or None."""
    problem = folder_problem(path)
    if problem is not None:
        return problem

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot create folder {path}: {error.strerror}"

    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        return f"cannot write to folder {path}: {error.strerror}"
    return None


def sqlite_file(url: str) -> Path | None:
    """Return the file of a SQLite database URL, or None for another database."""
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix) or ":memory:" in url:
        return None
    return Path(url.removeprefix(prefix))


def database_url_problem(url: str) -> str | None:
    """Return the reason `url` is not a supported database URL, or None if it is."""
    # Consumers write rows through these two drivers' own interfaces
    # (sqlite3's executemany, asyncpg's COPY), so no other driver works.
    if url.startswith(DATABASE_URL_PREFIXES):
        return None

    # Only the scheme is shown, because the rest may contain a password.
    scheme = repr(url.split("://", 1)[0]) if "://" in url else "missing"
    expected = " or ".join(DATABASE_URL_PREFIXES)
    return (
        f"invalid DATABASE_URL: scheme {scheme}; "
        f"expected a URL starting with {expected}"
    )


class ServiceSettings(BaseSettings):
    """Settings every service reads; environment variables use the field names."""

    # Errors leave out the rejected values, which may contain passwords.
    # No setting accepts NaN or an infinity.
    model_config = SettingsConfigDict(
        extra="ignore", hide_input_in_errors=True, allow_inf_nan=False
    )

    service_name: ClassVar[str] = "service"
    # Settings whose values an error report leaves out.
    secret_fields: ClassVar[frozenset[str]] = frozenset({"database_url"})

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("var")
    database_url: str = ""
    # How long a starting service retries a PostgreSQL server that cannot be
    # reached yet (0: one attempt). A server that rejects the connection, as
    # for a wrong password, fails the start at once.
    database_startup_timeout_seconds: float = Field(default=30.0, ge=0, le=3600)
    bus_transport: Literal["memory", "kafka"] = "memory"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_partitions: int = Field(default=6, ge=1)
    publish_timeout_seconds: float = Field(default=10.0, gt=0)
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: WebAddress | None = None
    auth_jwks_url: WebAddress | None = None
    auth_signing_key_file: Path | None = None
    auth_issuer: str = "palermo"
    auth_audience: str = "palermo"

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise InvalidSettings(_describe_invalid(type(self), error)) from None
        except SettingsError as error:
            # Raised before validation when a list or mapping is not JSON.
            raise InvalidSettings(_describe_unparsed(type(self), error)) from None

    @field_validator("log_level")
    @classmethod
    def known_log_level(cls, level: str) -> str:
        levels = logging.getLevelNamesMapping()
        if level.upper() not in levels:
            names = ", ".join(sorted(set(levels) - {"NOTSET", "WARN", "FATAL"}))
            raise ValueError(f"unknown log level; use one of {names}")
        return level.upper()

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def broker_addresses(cls, servers: str) -> str:
        # aiokafka reads a missing host or port as port 9092 on no host or on
        # that host, and a port that is not a number fails every connection.
        # A service would retry such an address forever.
        for address in servers.split(","):
            problem = broker_address_problem(address.strip())
            if problem is not None:
                raise ValueError(
                    f"{problem}; expected host:port, several separated by commas"
                )
        return servers

    @field_validator("data_dir")
    @classmethod
    def usable_folder(cls, path: Path) -> Path:
        problem = folder_problem(path)
        if problem is not None:
            raise ValueError(problem)
        return path

    @field_validator("database_url")
    @classmethod
    def supported_database(cls, url: str) -> str:
        problem = database_url_problem(url) if url else None
        if problem is not None:
            raise ValueError(problem)
        return url

    @model_validator(mode="after")
    def default_database(self) -> "ServiceSettings":
        if not self.database_url:
            self.database_url = self._default_database_url()
        return self

    def prepare_folders(self) -> None:
        """Create the folders the service writes to, or raise `InvalidSettings`.

        These are the SQLite file's folder and, unless a JWKS URL is set and
        while the local key does not exist yet, the key's folder. Checked
        before the start, a folder that cannot be written ends it with one
        line naming its variable, where the first write would fail with a
        traceback.
        """
        folders: dict[str, Path] = {}
        database = sqlite_file(self.database_url)
        if database is not None:
            folders[self._database_variable()] = database.parent
        if not self.auth_jwks_url and not self.signing_key_path().is_file():
            folders[self._signing_key_variable()] = self.signing_key_path().parent

        lines = []
        for variable, folder in folders.items():
            problem = writable_folder_problem(folder)
            if problem is not None:
                lines.append(f"  {variable}: {problem}")
        if lines:
            raise InvalidSettings("\n".join([_heading(type(self)), *lines]))

    def check_http_host(self) -> None:
        """Raise `InvalidSettings` if `HTTP_HOST` names no address to listen on.

        uvicorn would find out only after the database upgrade, and would end
        the start with the resolver's message alone, without the host.
        """
        try:
            socket.getaddrinfo(
                self.http_host,
                self.http_port,
                type=socket.SOCK_STREAM,
                flags=socket.AI_PASSIVE,
            )
        except socket.gaierror as error:
            raise InvalidSettings(
                f"{_heading(type(self))}\n  HTTP_HOST={self.http_host!r}: no "
                f"address found for it ({error.strerror}); expected an address "
                "of this machine, such as 127.0.0.1, or 0.0.0.0 for every interface"
            ) from None

    def _default_database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.data_dir / self.service_name}.db"

    def _data_dir_variable(self) -> str:
        return f"DATA_DIR={str(self.data_dir)!r}"

    def _database_variable(self) -> str:
        if self.database_url == self._default_database_url():
            return self._data_dir_variable()
        # The URL is left out, because it may contain a password.
        return "DATABASE_URL"

    def _signing_key_variable(self) -> str:
        if self.auth_signing_key_file is None:
            return self._data_dir_variable()
        return f"AUTH_SIGNING_KEY_FILE={str(self.auth_signing_key_file)!r}"

    def signing_key_path(self) -> Path:
        """Return the local key file, which every service of one embedded run shares."""
        return self.auth_signing_key_file or self.data_dir / SIGNING_KEY_FILE

    def build_token_verifier(self) -> TokenVerifier:
        """Verify with the provider's JWKS when one is set, else the local key."""
        keys: KeySource
        if self.auth_jwks_url:
            keys = JwksKeySource(self.auth_jwks_url)
        else:
            keys = LocalKeySource(load_or_create_signing_key(self.signing_key_path()))
        return TokenVerifier(keys, issuer=self.auth_issuer, audience=self.auth_audience)

    def build_bus(self) -> Bus:
        if self.bus_transport == "memory":
            return MemoryBus()
        return KafkaBus(
            self.kafka_bootstrap_servers,
            client_id=f"palermo-{self.service_name}",
            topics=ALL_TOPICS,
            partitions=self.kafka_topic_partitions,
        )


def _describe_invalid(
    settings_class: type[ServiceSettings], error: ValidationError
) -> str:
    """Return the report of invalid settings: one line per variable, with its value.

    The values of secret fields are left out. So is the input of a missing
    field or of an error that concerns no single field, which is every value
    read.
    """
    lines = [_heading(settings_class)]
    secret_fields = settings_class.secret_fields
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        variable = field.upper() or "settings"
        show_value = problem["type"] != "missing" and field not in secret_fields
        if field and show_value:
            variable += f"={problem['input']!r}"
        # A validator's own message, without pydantic's "Value error, " prefix.
        cause = problem.get("ctx", {}).get("error")
        lines.append(f"  {variable}: {cause or problem['msg']}")
    return "\n".join(lines)


def _describe_unparsed(
    settings_class: type[ServiceSettings], error: SettingsError
) -> str:
    """Return the report of a list setting that is not JSON, naming its variable.

    pydantic-settings names only the field, in its message's quotes.
    """
    found = re.search(r'field "(\w+)"', str(error))
    field = found.group(1) if found else ""
    variable = field.upper() or "settings"
    if field and field not in settings_class.secret_fields:
        variable += f"={os.environ.get(variable, '')!r}"
    return (
        f"{_heading(settings_class)}\n  {variable}: invalid list; write lists "
        'as JSON, for example ["a@example.org", "b@example.org"]'
    )


def _heading(settings_class: type[ServiceSettings]) -> str:
    if settings_class is ServiceSettings:
        return "invalid settings:"
    return f"invalid settings of the {settings_class.service_name} service:"
