"""Command line: `palermo demo`, `serve`, `token`, `asyncapi` and `audit verify`."""

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import signal
import socket
import sys
from collections.abc import Coroutine
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from palermo_shared.auth import Role, issue_token, load_or_create_signing_key
from palermo_shared.errors import Unauthorized
from palermo_shared.reference.states import load_states
from palermo_shared.settings import (
    SIGNING_KEY_FILE,
    InvalidSettings,
    ServiceSettings,
    database_url_problem,
    folder_problem,
    writable_folder_problem,
)

if TYPE_CHECKING:
    from palermo_gateway.audit.chain import ChainReport

# The statuses a shell gives a command ended by SIGINT and by SIGTERM: 128 +
# the signal's number.
INTERRUPTED_STATUS = 128 + signal.SIGINT
TERMINATED_STATUS = 128 + signal.SIGTERM

T = TypeVar("T")


def _whole_number(text: str, noun: str, low: int, high: int | None = None) -> int:
    """Return `text` as a whole number from `low` to `high` (no upper bound if None)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
    if number < low or (high is not None and number > high):
        bounds = f"of at least {low}" if high is None else f"from {low} to {high}"
        raise argparse.ArgumentTypeError(f"{number} is not {noun} {bounds}")
    return number


def _free_port(text: str) -> int:
    """Return `text` as a port that the gateway can listen on at 127.0.0.1.

    The port is checked before the services start, because uvicorn finds a
    taken port only after every service has started, and then ends with
    status 3.
    """
    port = _whole_number(text, "a port number", 1, 65535)
    with socket.socket() as probe:
        # asyncio's servers, which uvicorn runs, set it too, so a port that
        # a server just stopped left in TIME_WAIT is not reported as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise argparse.ArgumentTypeError(
                f"port {port} on 127.0.0.1 cannot be used ({error.strerror}); "
                "stop what listens there or choose another port"
            ) from None
    return port


def _hours(text: str) -> float:
    # A token lasts from a minute to a year. Lifetimes far longer overflow
    # Python's dates when the expiry is computed.
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not 1 / 60 <= hours <= 24 * 366:
        raise argparse.ArgumentTypeError(
            f"{text} hours is outside 1/60 to 8784 (one minute to a year)"
        )
    return hours


def _folder(text: str) -> Path:
    path = Path(text)
    problem = folder_problem(path)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return path


def _writable_folder(text: str) -> Path:
    """Return `text` as a folder that exists and accepts new files, creating it.

    The command writes there anyway, and checking now ends it with one line
    before anything starts, instead of an operating system error later.
    """
    path = Path(text)
    problem = writable_folder_problem(path)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return path


def _key_folder(text: str) -> Path:
    # A folder that contains the signing key already is only read, so it may
    # be read-only, as a mounted secret is.
    path = _folder(text)
    if (path / SIGNING_KEY_FILE).is_file():
        return path
    return _writable_folder(text)


def _database_url(text: str) -> str:
    problem = database_url_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _output_file(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("missing file name (the path is empty)")

    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder, not a file")

    problem = folder_problem(path.parent)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    if not path.parent.exists():
        raise argparse.ArgumentTypeError(
            f"cannot write {path}: folder {path.parent} does not exist"
        )
    return path


def _concurrency(text: str) -> int:
    # With no request in flight, the phase would wait forever.
    return _whole_number(text, "a request count", 1)


def _state(text: str) -> str:
    code = text.upper()
    if code not in load_states():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not the ISO 3166-1 alpha-3 code of a State in the registry"
        )
    return code


class _OneLineErrors(argparse.ArgumentParser):
    """An argument parser that reports an unusable argument in one line.

    argparse prints the whole usage first, which buries the error under
    several lines of options.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(prog="palermo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo",
        help="run a whole review phase on the embedded default and print a summary",
    )
    demo.add_argument(
        "--output",
        type=_writable_folder,
        default="demo-output",
        help="folder for draw.csv and not_drawn.csv (default: demo-output)",
    )
    demo.add_argument(
        "--seed",
        default="palermo-demo",
        help="public seed of the drawing of lots (default: palermo-demo)",
    )
    demo.add_argument(
        "--years",
        default="III-VI",
        choices=["III-VI", "VII-X"],
        help="workplan period to review (default: III-VI)",
    )
    demo.add_argument(
        "--concurrency",
        type=_concurrency,
        default=16,
        help="requests in flight at once (default: 16)",
    )

    asyncapi = commands.add_parser(
        "asyncapi", help="write the AsyncAPI document of every event as JSON"
    )
    asyncapi.add_argument(
        "--output",
        type=_output_file,
        help="file to write, in an existing folder (default: standard output)",
    )

    serve = commands.add_parser(
        "serve", help="serve the embedded default until interrupted"
    )
    serve.add_argument(
        "--data-dir",
        type=_writable_folder,
        default="var",
        help="folder for the services' SQLite files (default: var)",
    )
    serve.add_argument(
        "--port",
        type=_free_port,
        default=8000,
        help="loopback port of the gateway (default: 8000)",
    )
    token = commands.add_parser(
        "token",
        help="print a bearer token signed with the local key (embedded default)",
    )
    token.add_argument("--subject", required=True, help="who the token is for")
    token.add_argument(
        "--role", required=True, choices=[r.value for r in Role], help="their role"
    )
    token.add_argument(
        "--state",
        type=_state,
        help="ISO 3166-1 alpha-3 code; for focal points and experts",
    )
    token.add_argument(
        "--hours", type=_hours, default=8.0, help="lifetime in hours (default: 8)"
    )
    token.add_argument(
        "--data-dir",
        type=_key_folder,
        default="var",
        help="folder holding signing-key.pem, as given to serve (default: var)",
    )
    _add_audit_parser(commands)
    return parser


def _add_audit_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = commands.add_parser("audit", help="check the gateway's audit log")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser(
        "verify",
        help="walk the hash chain of the audit log; exit 1 at the first broken link",
    )
    where = verify.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url",
        type=_database_url,
        help="the gateway's DATABASE_URL (default: the SQLite file in --data-dir)",
    )
    where.add_argument(
        "--data-dir",
        type=_folder,
        default=Path("var"),
        help="folder holding gateway.db, as given to serve (default: var)",
    )


def _verify_audit(args: argparse.Namespace) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from palermo_gateway.audit.chain import AuditLogMissing
    from palermo_gateway.settings import GatewaySettings
    from palermo_shared.db_wait import DatabaseUnavailable

    database_url = (
        args.database_url
        or GatewaySettings(data_dir=args.data_dir, database_url="").database_url
    )
    try:
        report = asyncio.run(_connect_and_verify(database_url))
    except (AuditLogMissing, DatabaseUnavailable) as error:
        sys.exit(f"palermo audit verify: {error}")
    except SQLAlchemyError as error:
        sys.exit(f"palermo audit verify: cannot read the audit log: {error}")
    if report.broken is not None:
        sys.exit(
            f"palermo audit verify: the chain breaks at entry "
            f"{report.broken.sequence}: {report.broken.reason} "
            f"({report.entries} entries before it are intact)"
        )
    print(f"audit log intact: {report.entries} entries")


async def _connect_and_verify(database_url: str) -> "ChainReport":
    from palermo_gateway.audit.chain import verify_database
    from palermo_shared.db_wait import wait_for_database

    # One attempt, without retries: an operator runs this by hand and
    # wants to know at once that the server cannot be reached.
    await wait_for_database(database_url, timeout=0)
    return await verify_database(database_url)


def _print_token(args: argparse.Namespace) -> None:
    settings = ServiceSettings(data_dir=args.data_dir)
    try:
        token = issue_token(
            load_or_create_signing_key(settings.signing_key_path()),
            subject=args.subject,
            role=Role(args.role),
            state=args.state,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            lifetime=dt.timedelta(hours=args.hours),
        )
    except Unauthorized as error:
        sys.exit(f"palermo token: {error.message}")
    print(token)


def _write_asyncapi(output: Path | None) -> None:
    from palermo_shared.asyncapi import build_document

    document = json.dumps(build_document(version("palermo-shared")), indent=2) + "\n"
    if output is None:
        sys.stdout.write(document)
        return

    try:
        output.write_text(document, encoding="utf-8")
    except OSError as error:
        sys.exit(f"palermo asyncapi: cannot write {output}: {error.strerror}")


def main() -> None:
    args = _parser().parse_args()
    try:
        _run(args)
    except InvalidSettings as error:
        sys.exit(f"palermo {args.command}: {error}")


def _run(args: argparse.Namespace) -> None:
    # Each command imports what it needs when it runs: importing every
    # service takes seconds, and `palermo token` needs none of them.
    if args.command == "asyncapi":
        _write_asyncapi(args.output)
        return
    if args.command == "token":
        _print_token(args)
        return
    if args.command == "audit":
        _verify_audit(args)
        return

    from palermo.embedded import serve_embedded
    from palermo_shared.logs import configure_logging
    from palermo_shared.telemetry import configure_tracing

    configure_tracing("palermo-embedded", otlp_endpoint=None)
    if args.command == "demo":
        configure_logging("text", "WARNING")
        _run_demo(args)
    else:
        log_level = ServiceSettings(data_dir=args.data_dir).log_level
        configure_logging("text", log_level)

        # A SIGINT before the server's handlers are set, as while the services
        # start, raises KeyboardInterrupt. The command then exits with status 0,
        # as after a later SIGINT and as each service's process does.
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_embedded(args.data_dir, args.port))


def _run_demo(args: argparse.Namespace) -> None:
    from palermo.demo import run_demo

    # On the first SIGINT, asyncio.run cancels the demo, which stops the
    # services and deletes their temporary data folder, and then raises
    # KeyboardInterrupt. A second SIGINT raises it at once. SIGTERM cancels
    # the demo in the same way, and asyncio.run then raises CancelledError.
    demo = run_demo(
        args.output, seed=args.seed, years=args.years, concurrency=args.concurrency
    )
    try:
        summary = asyncio.run(_cancelled_by_sigterm(demo))
    except KeyboardInterrupt:
        _exit_stopped(args.output, "interrupted", INTERRUPTED_STATUS)
    except asyncio.CancelledError:
        _exit_stopped(args.output, "terminated", TERMINATED_STATUS)
    print(summary)


async def _cancelled_by_sigterm(work: Coroutine[Any, Any, T]) -> T:
    """Await `work`, cancelling it on SIGTERM."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await work
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _exit_stopped(output: Path, outcome: str, status: int) -> NoReturn:
    print(
        f"palermo demo: {outcome}; files written so far are in {output}, "
        "and the services' temporary data folder is not kept",
        file=sys.stderr,
    )
    sys.exit(status)
