package kube_test

import (
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// Credentials of the echo tests: each has characters that base64 and
// percent-escaping change.
var echoCredentials = []struct {
	name string
	cred kubetest.Credential
}{
	{"static token", kubetest.Credential{Token: "yeet/Token+Secret=42~static"}},
	{"basic auth", kubetest.Credential{Username: "yeet", Password: "p@ss/w0rd:Secret+42"}},
	{"exec plugin token", kubetest.Credential{ExecToken: "yeet/Token+Secret=42~from-exec"}},
}

// TestCredentialsNotEchoed: an API server (or a proxy) that echoes the
// request's Authorization header into its Status message gets none of it
// into the errors of GetScale and SetScale, in any form, for each kind of
// credential and each way classify words the error; nor into the errors
// of a client made from Options.RESTConfig by other code.
func TestCredentialsNotEchoed(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", "")
	codes := []int{http.StatusBadRequest, http.StatusForbidden, http.StatusUnprocessableEntity,
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
	for _, c := range echoCredentials {
		for _, code := range codes {
			t.Run(c.name+"/"+http.StatusText(code), func(t *testing.T) {
				srv := kubetest.NewEchoAPIServer(t, code, c.cred)
				o := kube.NewOptions()
				o.ConfigFlags.KubeConfig = &srv.Kubeconfig
				if err := o.Complete(); err != nil {
					t.Fatal(err)
				}
				o.RESTConfig.Timeout = 10 * time.Second
				s, _, err := o.NewScaler(nil)
				if err != nil {
					t.Fatal(err)
				}
				ctx := testCtx(t)
				_, getErr := s.GetScale(ctx)
				setErr := s.SetScale(ctx, engine.ScaleRequest{From: engine.Scale{Desired: 1, Version: "1"}, Replicas: 2, Reason: "echo test", By: "test"})
				// A client built from RESTConfig outside kube, whose errors
				// classify never sees (as the command line's are).
				direct, err := kubernetes.NewForConfig(o.RESTConfig)
				if err != nil {
					t.Fatal(err)
				}
				_, directErr := direct.AppsV1().Deployments("yeeter").Get(ctx, "yeeter-worker", metav1.GetOptions{})
				for what, err := range map[string]error{"GetScale": getErr, "SetScale": setErr, "a direct client": directErr} {
					if err == nil {
						t.Fatalf("%s: no error from a server answering %d", what, code)
					}
					if leaks := kubetest.Leaks(err.Error(), c.cred.Secrets()...); len(leaks) > 0 {
						t.Errorf("%s error shows %q:\n%v", what, leaks, err)
					}
				}
			})
		}
	}
}
