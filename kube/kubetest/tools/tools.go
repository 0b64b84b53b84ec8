//go:build tools

// Package tools pins the real Kubernetes control-plane binaries that the
// kubetest harness builds from the Go module proxy: etcd, kube-apiserver,
// kube-controller-manager, kubectl and kwok. It is a module of its own so
// that none of this reaches yeetscale's go.mod.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
