//go:build tools

// Package main pins k8s.io/kubernetes so that `go build k8s.io/kubernetes/cmd/kube-apiserver`
// builds the real kube-apiserver from the Go module proxy (see hack/tools.sh).
package main

import _ "k8s.io/kubernetes/cmd/kube-apiserver/app"
