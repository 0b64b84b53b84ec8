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
// FailedRescale warning Event. While an HPA or a KEDA ScaledObject targets
// the same Deployment, SetScale refuses (engine.ErrRefused) unless Force is
// set.
//
// The package also provides kubectl-style options (Options, built on
// genericclioptions.ConfigFlags), leader election on a Lease
// (RunWithLeaderElection) and the manifests for running headless inside the
// cluster (Manifests).
package kube
