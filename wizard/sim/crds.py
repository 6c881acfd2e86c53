"""The CRDs each known chart carries (a small catalog, enough for the CRD pipeline and ``flux check``).

``in_crds_dir``: the chart ships them in ``crds/`` (rendered by ``helm template`` only with
``--include-crds``); otherwise they are templates (cert-manager ``crds.enabled``, flux2...).
Cilium's CRDs are not in its chart: cilium-operator registers them after start-up.
"""

from __future__ import annotations

# (group, version(s) oldest..storage, kind, plural, scope)
_FLUX = [
    ("source.toolkit.fluxcd.io", ["v1"], "GitRepository", "gitrepositories", "Namespaced"),
    ("source.toolkit.fluxcd.io", ["v1beta2", "v1"], "OCIRepository", "ocirepositories", "Namespaced"),
    ("source.toolkit.fluxcd.io", ["v1"], "HelmRepository", "helmrepositories", "Namespaced"),
    ("source.toolkit.fluxcd.io", ["v1"], "HelmChart", "helmcharts", "Namespaced"),
    ("source.toolkit.fluxcd.io", ["v1"], "Bucket", "buckets", "Namespaced"),
    ("kustomize.toolkit.fluxcd.io", ["v1"], "Kustomization", "kustomizations", "Namespaced"),
    ("helm.toolkit.fluxcd.io", ["v2"], "HelmRelease", "helmreleases", "Namespaced"),
    ("notification.toolkit.fluxcd.io", ["v1beta3"], "Alert", "alerts", "Namespaced"),
    ("notification.toolkit.fluxcd.io", ["v1beta3"], "Provider", "providers", "Namespaced"),
    ("notification.toolkit.fluxcd.io", ["v1"], "Receiver", "receivers", "Namespaced"),
]
CATALOG: dict[str, tuple[bool, list]] = {
    "cert-manager": (False, [
        ("cert-manager.io", ["v1"], "Certificate", "certificates", "Namespaced"),
        ("cert-manager.io", ["v1"], "CertificateRequest", "certificaterequests", "Namespaced"),
        ("cert-manager.io", ["v1"], "Issuer", "issuers", "Namespaced"),
        ("cert-manager.io", ["v1"], "ClusterIssuer", "clusterissuers", "Cluster"),
        ("acme.cert-manager.io", ["v1"], "Order", "orders", "Namespaced"),
        ("acme.cert-manager.io", ["v1"], "Challenge", "challenges", "Namespaced")]),
    "gateway": (True, [
        ("gateway.networking.k8s.io", ["v1"], "GatewayClass", "gatewayclasses", "Cluster"),
        ("gateway.networking.k8s.io", ["v1"], "Gateway", "gateways", "Namespaced"),
        ("gateway.networking.k8s.io", ["v1"], "HTTPRoute", "httproutes", "Namespaced"),
        ("gateway.networking.k8s.io", ["v1"], "GRPCRoute", "grpcroutes", "Namespaced"),
        ("gateway.networking.k8s.io", ["v1beta1"], "ReferenceGrant", "referencegrants", "Namespaced"),
        ("gateway.envoyproxy.io", ["v1alpha1"], "EnvoyProxy", "envoyproxies", "Namespaced")]),
    "prometheus": (False, [
        ("monitoring.coreos.com", ["v1"], "ServiceMonitor", "servicemonitors", "Namespaced"),
        ("monitoring.coreos.com", ["v1"], "PodMonitor", "podmonitors", "Namespaced"),
        ("monitoring.coreos.com", ["v1"], "PrometheusRule", "prometheusrules", "Namespaced"),
        ("monitoring.coreos.com", ["v1"], "Probe", "probes", "Namespaced"),
        ("monitoring.coreos.com", ["v1alpha1"], "ScrapeConfig", "scrapeconfigs", "Namespaced")]),
    "external-dns": (False, [("externaldns.k8s.io", ["v1alpha1"], "DNSEndpoint", "dnsendpoints", "Namespaced")]),
    "external-secrets": (False, [
        ("external-secrets.io", ["v1"], "ExternalSecret", "externalsecrets", "Namespaced"),
        ("external-secrets.io", ["v1"], "SecretStore", "secretstores", "Namespaced"),
        ("external-secrets.io", ["v1"], "ClusterSecretStore", "clustersecretstores", "Cluster")]),
    "keda": (False, [("keda.sh", ["v1alpha1"], "ScaledObject", "scaledobjects", "Namespaced"),
                     ("keda.sh", ["v1alpha1"], "ScaledJob", "scaledjobs", "Namespaced")]),
    "victoria-metrics": (False, [
        ("operator.victoriametrics.com", ["v1beta1"], "VMAgent", "vmagents", "Namespaced"),
        ("operator.victoriametrics.com", ["v1beta1"], "VMSingle", "vmsingles", "Namespaced"),
        ("operator.victoriametrics.com", ["v1beta1"], "VMServiceScrape", "vmservicescrapes", "Namespaced")]),
    "grafana-operator": (True, [
        ("grafana.integreatly.org", ["v1beta1"], "Grafana", "grafanas", "Namespaced"),
        ("grafana.integreatly.org", ["v1beta1"], "GrafanaDashboard", "grafanadashboards", "Namespaced")]),
    "flux": (False, _FLUX),
    "flux-operator": (False, [
        ("fluxcd.controlplane.io", ["v1"], "FluxInstance", "fluxinstances", "Namespaced"),
        ("fluxcd.controlplane.io", ["v1"], "FluxReport", "fluxreports", "Namespaced"),
        ("fluxcd.controlplane.io", ["v1"], "ResourceSet", "resourcesets", "Namespaced")]),
}
CILIUM = [
    ("cilium.io", ["v2"], "CiliumNetworkPolicy", "ciliumnetworkpolicies", "Namespaced"),
    ("cilium.io", ["v2"], "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", "Cluster"),
    ("cilium.io", ["v2"], "CiliumEndpoint", "ciliumendpoints", "Namespaced"),
    ("cilium.io", ["v2"], "CiliumIdentity", "ciliumidentities", "Cluster"),
    ("cilium.io", ["v2"], "CiliumNode", "ciliumnodes", "Cluster"),
    ("cilium.io", ["v2alpha1", "v2"], "CiliumLoadBalancerIPPool", "ciliumloadbalancerippools", "Cluster"),
    ("cilium.io", ["v2alpha1", "v2"], "CiliumL2AnnouncementPolicy", "ciliuml2announcementpolicies", "Cluster"),
    ("cilium.io", ["v2alpha1", "v2"], "CiliumBGPClusterConfig", "ciliumbgpclusterconfigs", "Cluster"),
    ("cilium.io", ["v2alpha1", "v2"], "CiliumBGPPeerConfig", "ciliumbgppeerconfigs", "Cluster"),
    ("cilium.io", ["v2alpha1", "v2"], "CiliumBGPAdvertisement", "ciliumbgpadvertisements", "Cluster"),
    ("cilium.io", ["v2alpha1", "v2"], "CiliumBGPNodeConfig", "ciliumbgpnodeconfigs", "Cluster"),
]


def catalog_key(name: str, chart: str) -> str | None:
    c = f"{name} {chart.rsplit('/', 1)[-1]}".lower()
    for key, needles in (("flux-operator", ("flux-operator",)), ("cert-manager", ("cert-manager",)),
                         ("gateway", ("gateway",)), ("prometheus", ("prometheus",)),
                         ("external-dns", ("external-dns",)), ("external-secrets", ("external-secrets",)),
                         ("keda", ("keda",)), ("victoria-metrics", ("victoria-metrics", "vm-operator")),
                         ("grafana-operator", ("grafana-operator",)), ("flux", ("flux2", "flux "))):
        if any(n in c + " " for n in needles):
            return key
    return None


def record(entry: tuple, created_at: float, source: str, established_after: float) -> dict:
    group, versions, kind, plural, scope = entry
    return {"group": group, "versions": versions, "kind": kind, "plural": plural, "singular": kind.lower(),
            "scope": scope, "created_at": created_at, "established_at": created_at + established_after,
            "source": source}


def crd_yaml(entry: tuple, release: str, chart: str, flux_version: str) -> str:
    group, versions, kind, plural, scope = entry
    labels = f"    app.kubernetes.io/instance: {release}\n    app.kubernetes.io/name: {chart}\n"
    if group.endswith("toolkit.fluxcd.io"):
        labels += f"    app.kubernetes.io/part-of: flux\n    app.kubernetes.io/version: v{flux_version.lstrip('v')}\n"
    vers = "".join(f"  - name: {v}\n    served: true\n    storage: {'true' if i == len(versions) - 1 else 'false'}\n"
                   "    schema:\n      openAPIV3Schema:\n        type: object\n"
                   "        x-kubernetes-preserve-unknown-fields: true\n" for i, v in enumerate(versions))
    return (f"---\n# Source: {chart}/crds/{plural}.yaml\napiVersion: apiextensions.k8s.io/v1\n"
            f"kind: CustomResourceDefinition\nmetadata:\n  name: {plural}.{group}\n  labels:\n{labels}"
            f"spec:\n  group: {group}\n  names:\n    kind: {kind}\n    listKind: {kind}List\n    plural: {plural}\n"
            f"    singular: {kind.lower()}\n  scope: {scope}\n  versions:\n{vers}")
