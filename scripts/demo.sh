#!/usr/bin/env bash
# The main job on an embedded default: a sample GitOps repo (the k8s-ops seed) in a temp folder,
# new-cluster for it, then the bootstrap on the simulated cluster tools. Extra args go to `k8s-wizard demo`.
source "$(dirname "$0")/_venv.sh"
exec k8s-wizard demo "$@"
