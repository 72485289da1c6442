#!/usr/bin/env bash
# From nothing to Skytrail on a local k3d cluster, managed by Argo CD.
#
# Creates the cluster (pinned k3s >= 1.34, which Knative 1.22+ requires), installs Argo CD
# (pinned, server-side apply) with Skytrail's health checks, applies the root Application, then
# waits while Argo CD installs the rest wave by wave: Knative Serving 1.23 + Kourier, Eventing
# 1.23, the Kafka source and sink (eventing-kafka-broker 1.23), Strimzi 1.2, Image Updater, then
# Kafka and PostgreSQL, topics and migrations, the functions, the dashboard and Kafka UI.
# Everything past Argo CD is pinned in gitops/ and owned by Argo CD, so nothing is applied twice.
# Safe to run again: every step checks or converges.
#
# Settings (environment):
#   SKYTRAIL_REPO_URL   Git repository Argo CD syncs from (default: this checkout's origin)
#   SKYTRAIL_REVISION   branch or tag to sync (default: main)
#   SKYTRAIL_CLUSTER    k3d cluster name (default: skytrail)
#   SKYTRAIL_HTTP_PORT  host port for Knative's ingress (default: 8080)
set -euo pipefail

cd "$(dirname "$0")/../.."

CLUSTER="${SKYTRAIL_CLUSTER:-skytrail}"
HTTP_PORT="${SKYTRAIL_HTTP_PORT:-8080}"
REVISION="${SKYTRAIL_REVISION:-main}"
K3S_IMAGE="rancher/k3s:v1.35.2-k3s1"
DEFAULT_REPO_URL="https://github.com/skytrail/skytrail.git"
ROOT_APP="gitops/root/100-application-skytrail.yaml"
TIMEOUT="${SKYTRAIL_WAIT_TIMEOUT:-20m}"

# Children of the root Application in wave order (gitops/apps).
APPS=(
  knative-serving knative-eventing strimzi-operator argocd-image-updater
  knative-eventing-kafka
  kafka-cluster skytrail-postgres
  kafka-topics skytrail-migrations
  opensky-producer opensky-processor opensky-sweeper
  opensky-dashboard kafka-ui
  image-updater-config
)

step() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

for tool in k3d kubectl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (see docs/cluster.md)"
done

repo_url() {
  local url="${SKYTRAIL_REPO_URL:-}"
  if [[ -z "$url" ]]; then
    url="$(git remote get-url origin 2>/dev/null || true)"
  fi
  # git@github.com:owner/repo.git -> https://github.com/owner/repo.git (Argo CD needs no key then)
  if [[ "$url" =~ ^git@([^:]+):(.+)$ ]]; then
    url="https://${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
  fi
  [[ -n "$url" ]] || fail "no Git remote: set SKYTRAIL_REPO_URL to the repository Argo CD should sync"
  printf '%s' "$url"
}
REPO_URL="$(repo_url)"

step "k3d cluster '$CLUSTER' ($K3S_IMAGE)"
if k3d cluster get "$CLUSTER" >/dev/null 2>&1; then
  echo "exists"
  k3d cluster start "$CLUSTER" >/dev/null
else
  # Traefik is disabled: Kourier is the ingress. Host port $HTTP_PORT -> the load balancer's 80.
  k3d cluster create "$CLUSTER" \
    --image "$K3S_IMAGE" \
    --agents 1 \
    --k3s-arg "--disable=traefik@server:*" \
    --port "${HTTP_PORT}:80@loadbalancer" \
    --wait
fi
kubectl config use-context "k3d-${CLUSTER}" >/dev/null

minor="$(kubectl version -o json | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | tail -1)"
[[ "${minor:-0}" -ge 34 ]] || fail "Kubernetes 1.${minor} is too old: Knative 1.23 needs 1.34 or newer"

step "Argo CD v3.5.1 (server-side apply: the ApplicationSet CRD is too large for client-side)"
kubectl create namespace argocd --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl apply --server-side --force-conflicts -k gitops/argocd >/dev/null
kubectl -n argocd rollout status deployment/argocd-repo-server --timeout=5m
kubectl -n argocd rollout status deployment/argocd-server --timeout=5m
kubectl -n argocd rollout status statefulset/argocd-application-controller --timeout=5m
# The controller reads argocd-cm at start-up; restart it once so the health checks apply.
kubectl -n argocd rollout restart statefulset/argocd-application-controller >/dev/null
kubectl -n argocd rollout status statefulset/argocd-application-controller --timeout=5m

step "root Application: $REPO_URL @ $REVISION"
sed -e "s#${DEFAULT_REPO_URL}#${REPO_URL}#g" \
  -e "s#targetRevision: main#targetRevision: ${REVISION}#" \
  -e "s#value: main#value: ${REVISION}#" \
  "$ROOT_APP" | kubectl apply -f -

step "waiting for Argo CD to sync the children, wave by wave (up to $TIMEOUT each)"
for app in "${APPS[@]}"; do
  printf '%-24s ' "$app"
  until kubectl -n argocd get "application/${app}" >/dev/null 2>&1; do sleep 5; done
  kubectl -n argocd wait "application/${app}" \
    --for=jsonpath='{.status.health.status}'=Healthy --timeout="$TIMEOUT" >/dev/null
  kubectl -n argocd wait "application/${app}" \
    --for=jsonpath='{.status.sync.status}'=Synced --timeout="$TIMEOUT" >/dev/null
  echo "Synced, Healthy"
done

step "ready"
cat <<INFO
Dashboard:   http://dashboard.skytrail.127.0.0.1.sslip.io:${HTTP_PORT}
Functions:   kn service list -n skytrail      Sources: kn source list -n skytrail
Argo CD:     kubectl -n argocd port-forward svc/argocd-server 8443:443   (https://localhost:8443)
             user admin, password:
             kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d
Kafka UI:    kubectl -n kafka port-forward svc/kafka-ui 8081:80          (http://localhost:8081)
INFO
