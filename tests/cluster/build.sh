#!/usr/bin/env bash
# Builds the test cluster's binaries from the Go module proxy, once per version.
# Output: $KBT_CACHE/<component>-<version>/ (outside the repo, reused across runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
cache=${KBT_CACHE:-$HOME/.cache/kubectl-batch-test-cluster}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$cache"

log() { echo "test-cluster: $*" >&2; }

build_etcd() {
  local out="$cache/etcd-$ETCD_VERSION"
  [ -x "$out/etcd" ] && return
  log "building etcd $ETCD_VERSION"
  (cd "$here/go/etcd" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" .)
  mv "$out.tmp" "$out"
}

build_kube() {
  local out="$cache/kubernetes-$KUBE_VERSION"
  [ -x "$out/kube-scheduler" ] && [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && return
  log "building Kubernetes $KUBE_VERSION (a cold build takes tens of minutes on 2 cores)"
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local v=k8s.io/component-base/version
  local ldflags="-s -w -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
  mkdir -p "$out.tmp"
  (cd "$here/go/kube" && for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    [ -x "$out.tmp/$cmd" ] || go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$out.tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done)
  rm -rf "$out"; mv "$out.tmp" "$out"
}

build_kwok() {
  local out="$cache/kwok-$KWOK_VERSION"
  [ -x "$out/kwok" ] && [ -x "$out/kwokctl" ] && return
  log "building kwok $KWOK_VERSION"
  GOBIN="$out.tmp" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

build_kwok
build_etcd
build_kube
echo "$cache"
