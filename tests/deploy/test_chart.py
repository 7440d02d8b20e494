"""The Helm chart: rendered by Helm's own Go SDK (helm-python-sdk bundles it), linted, and every
manifest checked against the Kubernetes schemas (kubernetes-validate's offline copies)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from helpers import REPO_ROOT

CHART = REPO_ROOT / "helm" / "autoproces"
KUBE_VERSION = "1.30.0"  # the oldest Kubernetes the chart is checked against
REQUIRED = ("databaseUrl", "migrationDatabaseUrl", "secretKey", "encryptionKey")
# The least an install needs: the required secrets and a shared rate-limit store.
MINIMAL = {
    "secrets": {
        **{name: {"value": f"{name}-value"} for name in REQUIRED},
        "rateLimitStorageUri": {"value": "redis://redis:6379"},
    }
}


def production_values() -> dict:
    return yaml.safe_load((CHART / "values-production.yaml").read_text())


def render(values: dict | None, *, upgrade: bool = False) -> list[dict]:
    with helm.Chart.load(CHART) as chart:
        rendered = chart.render(
            values,
            name="ap",
            namespace="autoproces",
            is_install=not upgrade,
            is_upgrade=upgrade,
        )
    docs = []
    for path, text in rendered.items():
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    """Every pod template, by its workload's name."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.fixture(scope="module")
def minimal() -> list[dict]:
    return render(MINIMAL)


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return render(production_values())


def test_default_values_alone_name_every_missing_setting():
    """Helm's defaults leave the database URLs and keys out; the install stops naming them."""
    with pytest.raises(helm.HelmError, match=r"secrets\.\w+: give a value or an existingSecret"):
        render(None)
    values = copy.deepcopy(MINIMAL)
    del values["secrets"]["rateLimitStorageUri"]
    with pytest.raises(helm.HelmError, match="rateLimitStorageUri"):
        render(values)
    values["config"] = {"allowPerWorkerRateLimits": True}
    cm = by_kind(render(values), "ConfigMap")["ap-autoproces"]
    assert cm["data"]["AUTOPROCES_ALLOW_PER_WORKER_RATE_LIMITS"] == "1"


@pytest.mark.parametrize("name", ["minimal", "production"])
def test_every_manifest_is_valid_kubernetes(name, request):
    docs = request.getfixturevalue(name)
    kinds = {d["kind"] for d in docs}
    assert {
        "Deployment",
        "Job",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ConfigMap",
        "ServiceAccount",
    } <= kinds
    for doc in docs:
        # strict: an unknown field (a typo in a template) fails too
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


@pytest.mark.parametrize("values", [MINIMAL, "production"])
def test_lint_is_clean(values):
    values = production_values() if values == "production" else values
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBE_VERSION}")
    assert report["errors"] == []
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == []


def test_the_schema_refuses_mistakes():
    for bad in (
        {"web": {"replicas": 0}},
        {"secrets": {"databaseUrl": {"valeu": "x"}}},  # a misspelt key is not ignored
        {"networkPolicy": {"egress": {"postgresql": {"cidrs": ["db.example"], "ports": [5432]}}}},
        {"config": {"baseUrl": "autoproces.example.org"}},
        {"unknown": True},
    ):
        with pytest.raises(helm.HelmError, match="schema"):
            render({**MINIMAL, **bad})


def test_web_runs_gunicorn_with_probes_and_worker_runs_the_worker(minimal):
    pods = pod_specs(minimal)
    web = pods["ap-autoproces-web"]["containers"][0]
    assert web["args"][0] == "serve" and web["args"][web["args"].index("--workers") + 1] == "2"
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert pods["ap-autoproces-worker"]["containers"][0]["args"] == ["worker"]
    deployments = by_kind(minimal, "Deployment")
    # the autoscaler owns the web replica count
    assert "replicas" not in deployments["ap-autoproces-web"]["spec"]
    hpa = by_kind(minimal, "HorizontalPodAutoscaler")["ap-autoproces-web"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "ap-autoproces-web"
    pdb = by_kind(minimal, "PodDisruptionBudget")["ap-autoproces-web"]
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
    service = by_kind(minimal, "Service")["ap-autoproces"]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"


def test_migrations_run_as_a_hook_with_the_owner_url_alone(minimal):
    job = by_kind(minimal, "Job")["ap-autoproces-migrations"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["db", "upgrade"]
    ref = env_of(container)["MIGRATION_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    # hooks run before the release's own resources exist: the Secret it reads is a hook too
    secret = by_kind(minimal, "Secret")[ref["name"]]
    assert secret["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    assert ref["key"] in secret["data"]
    for name, spec in pod_specs(minimal).items():
        if name != "ap-autoproces-migrations":
            assert "MIGRATION_DATABASE_URL" not in env_of(spec["containers"][0]), name
    # the owner's URL is in no Secret the app's pods read
    assert "MIGRATION_DATABASE_URL" not in by_kind(minimal, "Secret")["ap-autoproces"]["data"]


def referenced(spec: dict) -> set[tuple[str, str]]:
    """The (kind, name) of every ServiceAccount, Secret and ConfigMap a pod spec needs."""
    refs = (
        {("ServiceAccount", spec["serviceAccountName"])} if "serviceAccountName" in spec else set()
    )
    for container in spec["containers"]:
        for env in container.get("env", []):
            source = env.get("valueFrom", {})
            if "secretKeyRef" in source:
                refs.add(("Secret", source["secretKeyRef"]["name"]))
            if "configMapKeyRef" in source:
                refs.add(("ConfigMap", source["configMapKeyRef"]["name"]))
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                refs.add(("ConfigMap", source["configMapRef"]["name"]))
            if "secretRef" in source:
                refs.add(("Secret", source["secretRef"]["name"]))
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            refs.add(("Secret", volume["secret"]["secretName"]))
        if "configMap" in volume:
            refs.add(("ConfigMap", volume["configMap"]["name"]))
    return refs


@pytest.mark.parametrize("name", ["minimal", "production"])
def test_the_hook_needs_nothing_the_release_makes_after_it(name, request):
    """pre-install hooks run before the release's own resources exist: the Job may need only
    what exists beforehand or is itself a hook of lower weight (else its pod never starts)."""
    docs = request.getfixturevalue(name)
    made = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    job = by_kind(docs, "Job")["ap-autoproces-migrations"]
    weight = int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
    for ref in referenced(job["spec"]["template"]["spec"]):
        if ref in made:
            annotations = made[ref]["metadata"].get("annotations", {})
            assert "pre-install" in annotations.get("helm.sh/hook", ""), ref
            assert int(annotations["helm.sh/hook-weight"]) < weight, ref
    # and the Deployments find what they need made by the chart or named as existing
    for workload, spec in pod_specs(docs).items():
        if workload.endswith("-web") or workload.endswith("-worker"):
            for kind, ref_name in referenced(spec):
                if ref_name.startswith("ap-"):
                    assert (kind, ref_name) in made, (workload, kind, ref_name)


@pytest.mark.parametrize("name", ["minimal", "production"])
def test_every_pod_is_locked_down(name, request):
    docs = request.getfixturevalue(name)
    for workload, spec in pod_specs(docs).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, workload
        assert spec["automountServiceAccountToken"] is False, workload
        mounts = {}
        for container in spec["containers"]:
            ctx = container["securityContext"]
            assert ctx["runAsNonRoot"] is True
            assert ctx["allowPrivilegeEscalation"] is False
            assert ctx["readOnlyRootFilesystem"] is True
            assert ctx["capabilities"]["drop"] == ["ALL"]
            assert container["resources"]["requests"] and container["resources"]["limits"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        # the only writable places: emptyDirs for /tmp, the instance folder and the metrics
        assert "emptyDir" in volumes[mounts["/tmp"]], workload
        assert "emptyDir" in volumes[mounts["/var/lib/autoproces"]], workload
        if workload != "ap-autoproces-migrations":
            assert "emptyDir" in volumes[mounts["/run/autoproces/metrics"]], workload


def test_production_reads_every_secret_from_existing_secrets(production):
    assert "ap-autoproces" not in by_kind(production, "Secret")  # no chart-made Secret at all
    assert "ap-autoproces-migrations" not in by_kind(production, "Secret")
    web = pod_specs(production)["ap-autoproces-web"]
    env = env_of(web["containers"][0])
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "AUTOPROCES_ENCRYPTION_KEY",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "AUTOPROCES_S3_ACCESS_KEY_ID",
        "AUTOPROCES_S3_SECRET_ACCESS_KEY",
        "OPERATOR_OIDC_CLIENT_SECRET",
        "RATELIMIT_STORAGE_URI",
        "AUTOPROCES_METRICS_TOKEN",
    ):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "autoproces-env", "key": name}
    job = pod_specs(production)["ap-autoproces-migrations"]
    assert env_of(job["containers"][0])["MIGRATION_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "autoproces-migrations",
        "key": "MIGRATION_DATABASE_URL",
    }
    # the SAML key pair is mounted from its secret where the two settings point
    mounts = {m["name"]: m["mountPath"] for m in web["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in web["volumes"]}
    assert volumes["saml"]["secret"]["secretName"] == "autoproces-saml"
    assert env["AUTOPROCES_SAML_KEY_FILE"]["value"] == mounts["saml"] + "/tls.key"
    assert env["AUTOPROCES_SAML_CERT_FILE"]["value"] == mounts["saml"] + "/tls.crt"
    assert volumes["kombit"]["configMap"]["name"] == "autoproces-kombit"
    assert env["AUTOPROCES_KOMBIT_METADATA_FILE"]["value"] == mounts["kombit"] + "/metadata.xml"


def test_inline_saml_pair_and_kombit_metadata_become_a_secret_and_a_configmap():
    values = {
        **MINIMAL,
        "saml": {
            "enabled": True,
            "keyPem": "-----BEGIN PRIVATE KEY-----\n…",
            "certPem": "-----BEGIN CERTIFICATE-----\n…",
            "kombitMetadata": {"xml": "<EntityDescriptor/>"},
        },
    }
    docs = render(values)
    assert set(by_kind(docs, "Secret")["ap-autoproces-saml"]["data"]) == {"tls.key", "tls.crt"}
    assert by_kind(docs, "ConfigMap")["ap-autoproces-kombit"]["data"]["metadata.xml"].startswith(
        "<EntityDescriptor/>"
    )
    values["saml"] = {"enabled": True, "keyPem": "only the key"}
    with pytest.raises(helm.HelmError, match="saml"):
        render(values)


def settings_read_by_the_app() -> set[str]:
    source = (REPO_ROOT / "platform" / "config.py").read_text()
    # env.get("X"), env["X"], _flag(env, "X"), _path(env, "X")
    names = set(re.findall(r"""(?:env\.get\(|env\[|\(env, )["']([A-Z0-9_]+)["']""", source))
    # and the commands' options that also come from the environment (click's envvar=)
    for path in (REPO_ROOT / "platform").rglob("*.py"):
        names |= set(re.findall(r"""envvar=["']([A-Z0-9_]+)["']""", path.read_text()))
    return names


def set_variables(docs: list[dict]) -> set[str]:
    names = set(by_kind(docs, "ConfigMap")["ap-autoproces"]["data"])
    for spec in pod_specs(docs).values():
        names |= set(env_of(spec["containers"][0]))
    return names


def test_every_variable_the_chart_sets_is_one_the_app_reads(production):
    read = settings_read_by_the_app() | {"PORT", "AUTOPROCES_METRICS_TOKEN"}
    assert set_variables(production) - read == set()
    # and every setting the app reads has its place in the values (the demo's aside)
    values = production_values()
    values["config"].update(
        allowPerWorkerRateLimits=True,
        kombitRolePrefix="http://autoproces.os2.eu/roles/usersystemrole/",
        operatorOidc={
            **values["config"]["operatorOidc"],
            "roleClaim": "groups",
            "role": "os2-operator",
            "scopes": "openid groups",
        },
    )
    values["config"]["s3"]["prefix"] = "prod/"
    values["files"] = {"existingClaim": "autoproces-files"}
    # per-worker counting is placed only where no shared store is
    values["secrets"]["rateLimitStorageUri"]["existingSecret"] = ""
    unplaced = read - set_variables(render(values)) - set_variables(production)
    # the image fixes the instance folder, the metrics folder and the port
    assert unplaced - set(dockerfile_runtime()["env"]) == {"AUTOPROCES_DEMO"}


def test_the_ingress_serves_tls_and_never_routes_metrics(production):
    ingress = by_kind(production, "Ingress")["ap-autoproces"]
    hosts = ["autoproces.os2.eu", "saml.autoproces.os2.eu"]
    assert ingress["spec"]["tls"] == [{"hosts": hosts, "secretName": "autoproces-os2-eu-tls"}]
    services = by_kind(production, "Service")
    for rule in ingress["spec"]["rules"]:
        paths = {p["path"]: p for p in rule["http"]["paths"]}
        metrics = paths["/metrics"]["backend"]["service"]["name"]
        # a Service that selects no pods: the controller has nowhere to send /metrics
        assert "selector" not in services[metrics]["spec"]
        assert paths["/"]["backend"]["service"]["name"] == "ap-autoproces"
    cm = by_kind(production, "ConfigMap")["ap-autoproces"]
    assert cm["data"]["AUTOPROCES_BASE_URL"] == "https://autoproces.os2.eu"


def test_network_policy_lets_in_only_the_ingress_controller_and_monitoring(production):
    policies = by_kind(production, "NetworkPolicy")
    web = policies["ap-autoproces-web"]
    assert web["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
    [rule] = web["spec"]["ingress"]
    namespaces = [p["namespaceSelector"]["matchLabels"] for p in rule["from"]]
    assert namespaces == [
        {"kubernetes.io/metadata.name": "ingress-nginx"},
        {"kubernetes.io/metadata.name": "monitoring"},
    ]
    # both namespace and pods: each peer is the AND of the two selectors
    assert rule["from"][1]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "prometheus"}
    }
    release = policies["ap-autoproces"]
    assert "app.kubernetes.io/component" not in release["spec"]["podSelector"]["matchLabels"]
    assert release["spec"]["ingress"] == []  # the worker and the Job: nothing comes in
    # but the worker's own /metrics, from the monitoring namespace's pods only
    worker = policies["ap-autoproces-worker"]
    assert worker["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"
    [rule] = worker["spec"]["ingress"]
    assert [p["namespaceSelector"]["matchLabels"] for p in rule["from"]] == [
        {"kubernetes.io/metadata.name": "monitoring"}
    ]
    assert rule["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    [container] = pod_specs(production)["ap-autoproces-worker"]["containers"]
    assert env_of(container)["AUTOPROCES_WORKER_METRICS_PORT"]["value"] == "9100"


def test_network_policy_egress_is_dns_and_the_configured_servers(production):
    egress = by_kind(production, "NetworkPolicy")["ap-autoproces"]["spec"]["egress"]
    dns, *rules = egress
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {p["port"] for p in dns["ports"]} == {53}
    allowed = {
        (block["ipBlock"]["cidr"], port["port"])
        for rule in rules
        for block in rule["to"]
        for port in rule["ports"]
    }
    assert allowed == {
        ("10.20.0.10/32", 5432),
        ("10.20.0.11/32", 5432),
        ("10.20.1.25/32", 587),
        ("10.20.2.0/28", 443),
        ("10.20.3.6/32", 6379),
        ("0.0.0.0/0", 443),
    }
    internet = next(r for r in rules if r["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0")
    # the identity providers are on the internet: never the private ranges or the metadata
    assert "169.254.0.0/16" in internet["to"][0]["ipBlock"]["except"]
    assert "10.0.0.0/8" in internet["to"][0]["ipBlock"]["except"]


def test_an_upgrade_renders_the_same_hook(production):
    upgraded = render(production_values(), upgrade=True)
    assert by_kind(upgraded, "Job") == by_kind(production, "Job")


def test_values_files_are_documented_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "helm install" in readme and "values-production.yaml" in readme
    assert Path(CHART / "values.schema.json").is_file()


def dockerfile_runtime() -> dict:
    """The runtime stage's USER, VOLUME and ENV lines of the Dockerfile."""
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stage = text[text.index("AS runtime") :]
    user = re.search(r"^USER (\d+):(\d+)", stage, re.M)
    volumes = re.search(r"^VOLUME (\[.*\])", stage, re.M)
    env = dict(re.findall(r"(\w+)=(\S+)", re.search(r"^ENV (.*)$", stage, re.M).group(1)))
    return {"user": user.groups(), "volumes": set(yaml.safe_load(volumes.group(1))), "env": env}


def test_the_chart_and_the_image_agree_on_user_and_writable_folders(minimal):
    image = dockerfile_runtime()
    for workload, spec in pod_specs(minimal).items():
        ctx = spec["securityContext"]
        assert (str(ctx["runAsUser"]), str(ctx["runAsGroup"])) == image["user"]
        mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        expected = image["volumes"]
        if workload.endswith("-migrations"):
            expected = expected - {image["env"]["PROMETHEUS_MULTIPROC_DIR"]}
        assert expected <= mounts, workload
    assert image["env"]["AUTOPROCES_INSTANCE_PATH"] in image["volumes"]
    assert image["env"]["PROMETHEUS_MULTIPROC_DIR"] in image["volumes"]
    web = pod_specs(minimal)["ap-autoproces-web"]["containers"][0]
    assert web["ports"][0]["containerPort"] == int(image["env"]["PORT"])
