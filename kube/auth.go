package kube

// Register the client-go auth provider plugins that exist in client-go v0.37:
// only oidc is left (azure and gcp are stubs that tell users to switch to
// exec plugins). Exec credential plugins (kubelogin, gke-gcloud-auth-plugin,
// aws eks get-token, ...) need no registration: the kubeconfig names them.
import _ "k8s.io/client-go/plugin/pkg/client/auth/oidc"
