package kube

import (
	"context"
	"fmt"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/yeeter/yeetscale/engine"
)

// CheckPodChoice asks the apiserver (SelfSubjectAccessReview) whether this
// identity may list and patch pods in namespace ns ("" for every
// namespace), as pod choice needs. It returns nil when it may, an error
// wrapping engine.ErrPodChoiceOff that says what to grant when it may not,
// and another error when the apiserver could not tell. A fleet checks once
// and turns pod choice off for all its targets, with one warning, rather
// than let each target find out and warn.
func CheckPodChoice(ctx context.Context, client kubernetes.Interface, ns string) error {
	var denied []string
	for _, verb := range []string{"list", "patch"} {
		r, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authv1.SelfSubjectAccessReview{
			Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authv1.ResourceAttributes{
				Namespace: ns, Verb: verb, Resource: "pods",
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("checking the right to %s pods: %w", verb, err)
		}
		if !r.Status.Allowed {
			denied = append(denied, verb)
		}
	}
	if len(denied) == 0 {
		return nil
	}
	where := "namespace " + ns
	if ns == "" {
		where = "all namespaces"
	}
	return fmt.Errorf("%w: may not %s pods in %s (%s)", engine.ErrPodChoiceOff, strings.Join(denied, " or "), engine.Printable(where), ManifestsHint)
}
