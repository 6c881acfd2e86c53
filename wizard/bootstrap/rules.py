"""The error-classification table (runner.md §1.14, pattern.md §4): which tool output is transient
(retry with backoff), means "already done", needs a fix first, or is fatal (stop with a remedy).
docs/bootstrap.md reproduces this table; keep them in step."""

from __future__ import annotations

from wizard.bootstrap.model import Action, Rule

A = Action

#: Network / API-server hiccups while nodes install, reboot and elect the VIP.
TRANSIENT = (
    Rule(r"connection refused|The connection to the server .* was refused|connect: no route to host|i/o timeout|code = Unavailable|\bEOF\b|"
         r"server is currently unable to handle the request|TLS handshake timeout|context deadline exceeded|"
         r"Kubernetes cluster unreachable|connection reset by peer",
         A.RETRY, "endpoint not reachable yet (node installing/rebooting or API starting)"),
)

APPLY_CONFIG = (
    Rule(r"code = InvalidArgument|configuration validation failed", A.STOP,
         "the node rejected the machine config",
         "fix talconfig.yaml / patches (installDisk, NIC names), re-render with `k8s-wizard new-cluster`, then `--resume`"),
    Rule(r"certificate required|authentication handshake failed|x509|tls: ", A.CONFIRM,
         "node no longer in maintenance mode: already configured if its secure API answers"),
    *TRANSIENT,
)

BOOTSTRAP = (
    Rule(r"AlreadyExists|etcd data directory is not empty", A.DONE, "etcd was already bootstrapped"),
    Rule(r"can only be performed on a control plane node", A.STOP, "bootstrap sent to a worker",
         "the first node with role controlplane in cluster-answers.yaml must be a control plane"),
    Rule(r"bootstrap is not available yet|time is not in sync yet|Unimplemented|method Bootstrap not implemented|"
         r"x509: certificate signed by unknown authority|authentication handshake failed",
         A.RETRY, "node still installing or rebooting"),
    *TRANSIENT,
)

#: Any gRPC error in the first minutes after bootstrap (runner.md: kubeconfig row).
TALOS_ANY = (Rule(r".", A.RETRY, "Talos API not ready yet"),)

KUBE_WAIT = (
    Rule(r"no matching resources found|NotFound|not found|timed out waiting for the condition|"
         r"condition not met|the server doesn't have a resource type", A.RETRY, "not ready yet"),
    *TRANSIENT,
    Rule(r"x509|Unauthorized|certificate", A.RETRY, "API certificates settling after bootstrap"),
)

KUBE_APPLY = (
    Rule(r"failed calling webhook", A.RETRY, "admission webhook not ready yet"),
    Rule(r"no matches for kind|ensure CRDs are installed first", A.RETRY, "CRD not established yet"),
    *TRANSIENT,
)

HELMFILE_SYNC = (
    Rule(r"no releases found that matches specified selector", A.STOP, "release missing from 01-apps.yaml",
         "re-render the cluster (`k8s-wizard new-cluster`) so 01-apps.yaml lists every release", rc=3),
    Rule(r"another operation \(install/upgrade/rollback\) is in progress", A.FIX,
         "a killed run left the Helm release pending"),
    Rule(r"failed calling webhook|timed out waiting for the condition|context deadline exceeded|"
         r"Kubernetes cluster unreachable|connection refused|failed to do request|no such host|"
         r"i/o timeout|TLS handshake timeout", A.RETRY, "cluster or registry not ready yet"),
    Rule(r"depend\(s\) on an undefined release|parse error|error during .*\.gotmpl|template: ", A.STOP,
         "helmfile cannot render 01-apps.yaml", "fix the helmfile (values template, needs) and re-render"),
)

SOPS = (
    Rule(r"no identity matched|no key could decrypt|failed to get the data key|could not decrypt|"
         r"Error getting data key", A.STOP, "the age key cannot decrypt the cluster's secrets",
         "point SOPS_AGE_KEY_FILE at the age key whose public key is in .sops.yaml"),
)

OP = (
    Rule(r"not currently signed in|not signed in|no accounts configured|session expired|authorization",
         A.STOP, "1Password CLI is not signed in",
         "run `eval $(op signin)` (or set OP_SERVICE_ACCOUNT_TOKEN), then `k8s-wizard bootstrap <name> --resume`"),
    Rule(r"isn't an item|could not find item|isn't a field|invalid secret reference", A.STOP,
         "an op:// reference in secrets.yaml.tpl does not exist", "create the item/field in 1Password or fix the template"),
)

GIT_REMOTE = (
    Rule(r"Permission denied|Could not read from remote|Repository not found|Authentication failed", A.STOP,
         "the Git remote refused access", "check git.url and your SSH key / token (`git ls-remote <url>`)"),
    Rule(r"Could not resolve host|Connection timed out|connection refused", A.RETRY, "network error"),
)

#: A version probe must never fail a run: the tool is present, its version is informative only.
INFORMATIVE = (Rule(r"[\s\S]*", A.DONE, "version not reported"),)
