package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// Fast fakes of the two servers, for what the real ones cannot be made to
// do on demand: answer with hostile text, or never answer.

// fakeNamespace and fakeDeployment are what fakeAPIServer serves.
const fakeNamespace, fakeDeployment = "yeeter", "yeeter-worker"

// fakeAPIServer is a kube-apiserver that knows one Deployment at 2
// replicas, all ready: enough for a --dry-run poll.
func fakeAPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	base := fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", fakeNamespace, fakeDeployment)
	meta := fmt.Sprintf(`"metadata":{"name":%q,"namespace":%q,"resourceVersion":"7"}`, fakeDeployment, fakeNamespace)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case base + "/scale":
			fmt.Fprintf(w, `{"kind":"Scale","apiVersion":"autoscaling/v1",%s,"spec":{"replicas":2},"status":{"replicas":2}}`, meta)
		case base:
			fmt.Fprintf(w, `{"kind":"Deployment","apiVersion":"apps/v1",%s,"spec":{"replicas":2},"status":{"replicas":2,"readyReplicas":2}}`, meta)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeQueueJSON is a queue of 120 messages with one consumer.
const fakeQueueJSON = `{"messages":120,"messages_ready":100,"messages_unacknowledged":20,"consumers":1}`

// fakeBroker is a management API that answers every request with body.
func fakeBroker(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// hangingBroker is a management API that accepts every request and never
// answers it (until the test ends). Each request's arrival is sent on the
// returned channel.
func hangingBroker(t *testing.T) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	arrived, release := make(chan struct{}, 16), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for the handlers
	return srv, arrived
}

// fakeArgs are the command line reaching the fake servers (credentials in
// the environment), followed by extra.
func fakeArgs(t *testing.T, api, broker *httptest.Server, extra ...string) []string {
	t.Helper()
	t.Setenv("RABBITMQ_USERNAME", "u")
	t.Setenv("RABBITMQ_PASSWORD", "p")
	a := []string{"yeetscale", "--kubeconfig", os.DevNull, "--server", api.URL, "--insecure-skip-tls-verify",
		"-n", fakeNamespace, "--deployment", fakeDeployment, "--mgmt-url", broker.URL}
	return append(a, extra...)
}
