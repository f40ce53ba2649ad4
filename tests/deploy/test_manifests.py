"""The deployment files: the compose file and the rendered kustomize overlays.

The compose file is checked against the Compose Specification schema (the
copy vendored by check-jsonschema); every rendered Kubernetes manifest
against the Kubernetes OpenAPI schemas (kubernetes-validate, strict). The
Strimzi resources have no schema in kubernetes-validate, so their required
fields are checked here. Then the rules ops teams rely on: probes, limits,
non-root, and only the gateway reachable from outside.
"""

import importlib
import json
import re
import shutil
import subprocess
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from palermo_shared.auth import load_or_create_signing_key
from palermo_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
PALERMO_SERVICES = ("draw", "gateway", "notify", "questionnaire", "review")
KUBERNETES_VERSION = "1.31.0"
SERVICES = ("draw", "questionnaire", "review", "notify")
STRIMZI_REQUIRED = {
    "Kafka": ("kafka",),
    "KafkaNodePool": ("replicas", "roles", "storage"),
    "KafkaTopic": ("partitions", "replicas"),
}


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) is needed to render overlays"
    output = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(output) if doc)


def by_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered(overlay) if d["kind"] == kind}


def test_compose_file_matches_specification() -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(schema_file.joinpath("compose-spec.json").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    jsonschema.validate(compose, schema)


def test_compose_runs_every_service_on_kafka_and_postgres() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    databases = (ROOT / "deploy" / "compose" / "postgres-init.sql").read_text()

    for name in PALERMO_SERVICES:
        environment = compose[name]["environment"]
        assert environment["BUS_TRANSPORT"] == "kafka"
        assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["DATABASE_URL"].endswith(f"/{name}")
        assert f"CREATE DATABASE {name};" in databases
    assert set(compose) >= {"kafka", "postgres", "otel-collector", "jaeger", "gateway"}
    assert compose["kafka"]["image"].startswith("apache/kafka:")


def test_compose_services_share_one_signing_key() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    maker = compose["signing-key"]
    [maker_volume] = maker["volumes"]
    volume, maker_folder = maker_volume.split(":")

    for name in PALERMO_SERVICES:
        key_file = Path(compose[name]["environment"]["AUTH_SIGNING_KEY_FILE"])
        assert f"{volume}:{key_file.parent}:ro" in compose[name]["volumes"], name
        assert compose[name]["depends_on"][volume] == {
            "condition": "service_completed_successfully"
        }
        assert f'Path("{maker_folder}/{key_file.name}")' in maker["command"][-1]


def test_compose_signing_key_command_creates_key(tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    maker = compose["signing-key"]
    folder = maker["volumes"][0].split(":")[1]
    *interpreter, script = maker["command"]

    assert interpreter == ["python", "-c"]
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", script.replace(folder, str(tmp_path))],
            check=True,
            capture_output=True,
            timeout=60,
        )

    key = load_or_create_signing_key(tmp_path / "signing-key.pem")
    assert isinstance(key, Ed25519PrivateKey)
    assert [p.name for p in tmp_path.iterdir()] == ["signing-key.pem"]


def test_compose_builds_each_service_from_root_dockerfile() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    recipe = (ROOT / "Dockerfile").read_text()
    accepted = re.search(r"^ +([a-z|]+)\) ;; \\$", recipe, re.MULTILINE)

    assert accepted is not None, "the Dockerfile no longer checks SERVICE"
    assert sorted(accepted.group(1).split("|")) == sorted(PALERMO_SERVICES)
    for name in PALERMO_SERVICES:
        assert compose[name]["build"] == {"context": ".", "args": {"SERVICE": name}}
        package = ROOT / "services" / name / "src" / f"palermo_{name}"
        assert (package / "__main__.py").is_file()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_match_kubernetes_schemas(overlay: str) -> None:
    for doc in rendered(overlay):
        if doc["apiVersion"].startswith("kafka.strimzi.io/"):
            missing = [k for k in STRIMZI_REQUIRED[doc["kind"]] if k not in doc["spec"]]
            assert not missing, f"{doc['kind']} {doc['metadata']['name']}: {missing}"
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_have_probes_limits_and_no_root(overlay: str) -> None:
    for name, deployment in by_kind(overlay, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["resources"]["limits"]["memory"], name
        assert container["resources"]["requests"]["cpu"], name
        readiness = container["readinessProbe"]
        liveness = container["livenessProbe"]
        assert readiness != liveness, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_startup_probe_outlasts_database_wait(overlay: str) -> None:
    database_wait = ServiceSettings.model_fields[
        "database_startup_timeout_seconds"
    ].default
    services = {
        name: deployment["spec"]["template"]["spec"]["containers"][0]
        for name, deployment in by_kind(overlay, "Deployment").items()
        if name in PALERMO_SERVICES
    }

    assert sorted(services) == list(PALERMO_SERVICES)
    for name, container in services.items():
        startup = container["startupProbe"]
        window = startup["periodSeconds"] * startup["failureThreshold"]
        assert window >= 2 * database_wait, name
        assert "initialDelaySeconds" not in container["livenessProbe"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_consumers_scale_up_to_partition_count(overlay: str) -> None:
    autoscalers = by_kind(overlay, "HorizontalPodAutoscaler")
    topics = by_kind(overlay, "KafkaTopic")
    partitions = min(
        topics[f"palermo.{name}"]["spec"]["partitions"] for name in SERVICES
    )

    for name in SERVICES:
        assert autoscalers[name]["spec"]["maxReplicas"] <= partitions, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_gateway_reachable_from_outside(overlay: str) -> None:
    policies = by_kind(overlay, "NetworkPolicy")
    ingresses = by_kind(overlay, "Ingress")
    services = by_kind(overlay, "Service")

    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    outside = [
        p
        for p in policies.values()
        for rule in p["spec"].get("ingress", [])
        for peer in rule.get("from", [])
        if "namespaceSelector" in peer
    ]
    assert [p["metadata"]["name"] for p in outside] == ["gateway-from-ingress"]
    backends = {
        path["backend"]["service"]["name"]
        for ingress in ingresses.values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}
    assert all(
        s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in services.values()
    )


def test_dev_overlay_generates_the_secrets_the_base_references() -> None:
    secrets = by_kind("dev", "Secret")

    assert set(secrets) == {"palermo-database", "palermo-postgres"}
    assert set(secrets["palermo-database"]["data"]) == set(PALERMO_SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_read_one_signing_key(overlay: str) -> None:
    settings = by_kind(overlay, "ConfigMap")["palermo-common"]["data"]
    key_folder = str(Path(settings["AUTH_SIGNING_KEY_FILE"]).parent)

    for name in PALERMO_SERVICES:
        pod = by_kind(overlay, "Deployment")[name]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
        mount = mounts[key_folder]
        assert mount["readOnly"] is True, name
        secret = volumes[mount["name"]]["secret"]
        assert secret["secretName"] == "palermo-signing-key", name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_its_database(overlay: str) -> None:
    databases = by_kind(overlay, "ConfigMap")["postgres-init"]["data"]
    policy = by_kind(overlay, "NetworkPolicy")["postgres-from-services"]
    allowed = [
        peer["podSelector"]["matchLabels"]
        for peer in policy["spec"]["ingress"][0]["from"]
    ]

    for name in PALERMO_SERVICES:
        deployment = by_kind(overlay, "Deployment")[name]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        environment = {e["name"]: e for e in container["env"]}
        source = environment["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert source == {"name": "palermo-database", "key": name}
        assert f"CREATE DATABASE {name};" in "".join(databases.values())
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(selector.items() <= labels.items() for selector in allowed), name


def test_prod_overlay_keeps_secrets_out_of_git() -> None:
    assert by_kind("prod", "Secret") == {}


def settings_names(service: str) -> set[str]:
    """Return the environment variables that `service`'s settings read."""
    module = importlib.import_module(f"palermo_{service}.settings")
    [settings_class] = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.__module__ == module.__name__
    ]
    names = set()
    for name, field in settings_class.model_fields.items():
        names.add(name.upper())
        if isinstance(field.validation_alias, str):
            names.add(field.validation_alias.upper())
    return names


def test_compose_sets_only_known_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    for name in PALERMO_SERVICES:
        unknown = set(compose[name]["environment"]) - settings_names(name)
        assert unknown == set(), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_manifests_set_only_known_settings(overlay: str) -> None:
    config_maps = by_kind(overlay, "ConfigMap")

    for name in PALERMO_SERVICES:
        pod = by_kind(overlay, "Deployment")[name]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        variables = {e["name"] for e in container.get("env", [])}
        for source in container.get("envFrom", []):
            variables |= set(config_maps[source["configMapRef"]["name"]]["data"])
        unknown = variables - settings_names(name)
        assert unknown == set(), name
