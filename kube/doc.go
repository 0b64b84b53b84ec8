// Package kube reads and changes the size of the worker Deployment through
// client-go and implements engine.Scaler.
//
// Reads and writes go through the deployments/scale subresource with
// optimistic concurrency: the resourceVersion read by GetScale travels in
// engine.Scale.Version and SetScale sends it back, so a change made by
// somebody else in between fails with an error wrapping engine.ErrConflict
// instead of being overwritten.
//
// Every applied change is recorded as a SuccessfulRescale Event on the
// Deployment (as the HorizontalPodAutoscaler does) and as the
// yeetscale.yeeter.io/last-scale annotation; failed updates get a
// FailedRescale warning Event, and repeated failures of the same kind add
// to that Event's count (as Kubernetes' event series do) rather than
// creating one Event each. These records are written on a bounded context
// of their own, so a poll's expired context does not lose them. The
// Scaler is also the engine's MemoryStore: what successive --once runs
// must remember lives in the yeetscale.yeeter.io/memory annotation. While an HPA or a KEDA ScaledObject targets
// the same Deployment, SetScale refuses (engine.ErrRefused) unless Force is
// set.
//
// The package also provides kubectl-style options (Options, built on
// genericclioptions.ConfigFlags), leader election on a Lease
// (RunWithLeaderElection) and the manifests for running headless inside the
// cluster (Manifests).
//
// Its errors are engine.Error values: the engine sentinel (errors.Is) and
// the client-go cause (apierrors.IsXxx) both stay reachable. A TLS or
// certificate failure is a configuration error (engine.ErrUnauthorized),
// not an outage: retrying does not fix it.
package kube
