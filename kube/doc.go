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
// In fleet mode a TargetInformer (a client-go informer on the Deployments
// of a namespace or of all namespaces, narrowed by a label selector)
// implements engine.TargetSource: a Deployment annotated with
// yeetscale.yeeter.io/queue or queue-pattern is a target, its other
// annotations override the flags (engine.ApplyAnnotations), and an
// invalid one is that target's error. Each target's Scaler reads its scale
// from the informer's cache (no request per poll) unless the cache may be
// stale: its watch failed since it last delivered, or it still shows the
// version of an update the Scaler sent. `manifests --fleet [-A]` renders
// the RBAC it needs.
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
