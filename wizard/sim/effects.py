"""The real tools' error texts (runner.md [src] strings), used both by the simulated cluster's own
failures and by the named effects of injected faults."""

from __future__ import annotations

WEBHOOK = ('failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post '
           '"https://cert-manager-webhook.cert-manager.svc:443/validate?timeout=30s": '
           'dial tcp {svc}:443: connect: connection refused')
HELM_PENDING = "another operation (install/upgrade/rollback) is in progress"

# --- talosctl -------------------------------------------------------------------------------------
TALOS_PREFIX = {
    "apply-config": "error applying new configuration: ",
    "bootstrap": "error executing bootstrap: ",
    "kubeconfig": "error copying: ",
    "etcd": "error getting members: ",
}


def talos(kind: str, ip: str) -> str:
    """A gRPC error as talosctl prints it (without the per-command prefix)."""
    dial = 'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp {ip}:50000: connect: {why}"'
    texts = {
        "connection_refused": dial.format(ip=ip, why="connection refused"),
        "unavailable": dial.format(ip=ip, why="connection refused"),
        "no_route": dial.format(ip=ip, why="no route to host"),
        "certificate_required": 'rpc error: code = Unavailable desc = connection error: desc = "error reading server '
                                'preface: remote error: tls: certificate required"',
        "x509_unknown_authority": 'rpc error: code = Unavailable desc = connection error: desc = "transport: '
                                  'authentication handshake failed: tls: failed to verify certificate: x509: '
                                  'certificate signed by unknown authority"',
        "not_available_yet": "rpc error: code = FailedPrecondition desc = bootstrap is not available yet",
        "time_not_in_sync": "rpc error: code = FailedPrecondition desc = time is not in sync yet",
        "already_exists": "rpc error: code = AlreadyExists desc = etcd data directory is not empty",
        "not_control_plane": "rpc error: code = FailedPrecondition desc = bootstrap can only be performed on a "
                             "control plane node",
        "invalid_config": "rpc error: code = InvalidArgument desc = configuration validation failed: 1 error "
                          "occurred:\n\t* specified install disk does not exist: \"/dev/nvme0n1\"\n",
        "timeout": "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
        "deadline_exceeded": "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
    }
    return texts.get(kind, f"rpc error: code = Unknown desc = simulated fault {kind}")


def talos_error(sub: str, kind: str, ip: str) -> str:
    return TALOS_PREFIX.get(sub, "") + talos(kind, ip)


# --- Kubernetes API clients -------------------------------------------------------------------------
NO_CONFIG = "localhost:8080"  # kubectl's default server without any kubeconfig (kubeaccess.NO_CONFIG)


def kubectl_unreachable(host: str, why: str) -> str:
    addr = host if host == NO_CONFIG else f"{host}:6443"
    if why == "connection refused":
        return f"The connection to the server {addr} was refused - did you specify the right host or port?"
    return f"Unable to connect to the server: dial tcp {addr}: connect: {why}"


def go_get_error(host: str, why: str) -> str:
    if host == NO_CONFIG:
        return f'Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: {why}'
    return f'Get "https://{host}:6443/version": dial tcp {host}:6443: connect: {why}'


def helm_unreachable(host: str, why: str) -> str:
    return f"Error: Kubernetes cluster unreachable: {go_get_error(host, why)}"


def helm_failed(verb: str, msg: str) -> str:
    """``verb``: INSTALLATION (release did not exist) or UPGRADE."""
    return f"Error: {verb} FAILED: {msg}"


def render(tool: str, sub: str, name: str, *, node: str | None, host: str, target: str = "",
           release_new: bool = True) -> tuple[str, str, int]:
    """(stdout, stderr, exit code) of a terminal named effect for this tool."""
    if name == "crash":
        return "", "", 137
    verb = "INSTALLATION" if release_new else "UPGRADE"
    refused = name in ("connection_refused", "unavailable", "cluster_unreachable")
    why = "no route to host" if name == "no_route" else "connection refused"
    if tool in ("talosctl", "talhelper"):
        return "", talos_error(sub, name, node or host), 1
    if tool == "kubectl":
        if refused or name == "no_route":
            return "", kubectl_unreachable(host, why), 1
        if name in ("timeout", "deadline_exceeded"):
            return "", f"error: timed out waiting for the condition on {target or 'resources'}", 1
        if name == "no_matching_resources":
            return "", "error: no matching resources found", 1
        if name == "not_found":
            res, _, obj = (target or "resource/unknown").partition("/")
            return "", f'Error from server (NotFound): {res} "{obj}" not found', 1
        if name == "webhook_refused":
            return "", ('Error from server (InternalError): error when creating "STDIN": Internal error occurred: '
                        + WEBHOOK.format(svc="10.43.0.20")), 1
    if tool in ("helm", "helmfile"):
        if refused or name == "no_route":
            return "", helm_unreachable(host, why), 1
        if name == "helm_pending":
            return "", helm_failed("UPGRADE", HELM_PENDING), 1
        if name == "webhook_refused":
            return "", helm_failed(verb, "failed to create resource: Internal error occurred: "
                                   + WEBHOOK.format(svc="10.43.0.20")), 1
        if name in ("timeout", "deadline_exceeded"):
            return "", helm_failed(verb, "context deadline exceeded"), 1
    if tool == "flux":
        if refused or name == "no_route":
            return "", f"► checking prerequisites\n✗ Kubernetes API call failed: {go_get_error(host, why)}", 1
        if name == "version_mismatch":
            return "", "► checking prerequisites\n✗ Kubernetes version 1.30.2 does not match >=1.32.0-0", 1
        if name in ("timeout", "deadline_exceeded"):
            return "", "✗ context deadline exceeded", 1
    if tool == "cilium":
        if refused or name == "no_route":
            return "", f"\nError: Unable to determine status: {go_get_error(host, why)}", 1
        if name in ("timeout", "deadline_exceeded"):
            return "", ("\nError: Unable to determine status:  timeout while waiting for status to become "
                        "successful: context deadline exceeded"), 1
    if tool == "op" and name == "signed_out":
        return "", ("[ERROR] 2026/11/25 22:15:00 You are not currently signed in. Please run `op signin --help` "
                    "for instructions"), 1
    if tool == "git" and (refused or name == "no_route"):
        return "", ("ssh: connect to host github.com port 22: Connection refused\nfatal: Could not read from "
                    "remote repository.\n\nPlease make sure you have the correct access rights\nand the "
                    "repository exists."), 128
    return "", f"{tool}: simulated fault {name!r}", 1
