package kube

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/yeeter/yeetscale/engine"
)

// validateText refuses control characters (a newline included) and the
// Unicode line and paragraph separators in every text that goes into the
// manifests: in a comment, YAML 1.1 readers end the line there, and the
// rest would be read as YAML. The value is not repeated (it may be a
// secret); the field is named.
func (o ManifestOptions) validateText() error {
	fields := []struct{ flag, v string }{
		{"--namespace", o.Namespace}, {"--deployment", o.Deployment}, {"--queue", o.Queue}, {"--vhost", o.VHost},
		{"--image", o.Image}, {"--mgmt-url", o.RabbitURL}, {"--secret", o.Secret}, {"--lease-name", o.LeaseName},
		{"name", o.Name}, {"--selector", o.Selector},
	}
	for _, a := range o.ExtraArgs {
		fields = append(fields, struct{ flag, v string }{"--arg", a})
	}
	for _, f := range fields {
		if engine.Printable(f.v) != f.v || strings.ContainsAny(f.v, "\u2028\u2029") {
			return fmt.Errorf("manifests: %s holds a control character or line break (shown escaped: %s); remove it",
				f.flag, redactedPrintable(f.flag, f.v))
		}
	}
	return nil
}

// validateFleet checks the fleet mode's label selector.
func (o ManifestOptions) validateFleet() error {
	if _, err := labels.Parse(o.Selector); err != nil {
		return fmt.Errorf("manifests: invalid --selector %s: %v (like app=worker,tier!=batch)", redactedPrintable("--selector", o.Selector), err)
	}
	return nil
}

// redactedPrintable shows a refused value escaped, at most its first 40
// characters, and an --arg or --mgmt-url value only up to its first '=' or
// '@' (what follows may be a secret).
func redactedPrintable(flag, v string) string {
	if flag == "--arg" || flag == "--mgmt-url" {
		if i := strings.IndexAny(v, "=@"); i >= 0 {
			v = v[:i+1] + "..."
		}
	}
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "..."
	}
	v = strings.NewReplacer("\u2028", `\u2028`, "\u2029", `\u2029`).Replace(engine.Printable(v))
	return `"` + v + `"`
}

// credentialFlags are yeetscale's flags whose value is a secret or half of
// a credential: in the Deployment's arguments anyone who can read
// Deployments (or the pod's command line) sees them.
var credentialFlags = map[string]string{
	"--password": "the RabbitMQ password comes from the Secret (--secret, key password)",
	"--username": "the RabbitMQ user comes from the Secret (--secret, key username)",
	"--token":    "the pod authenticates to Kubernetes as its ServiceAccount",
}

// errCredentialArg is the wording of a refused --arg.
var errCredentialArg = errors.New("manifests: refused")

// refuseCredentialArgs refuses extra arguments that put credentials in the
// Deployment: --password, --username and --token in both their --flag=value
// and their --flag value forms, and a --mgmt-url with user info. The error
// names the flag, never its value. --password-file is allowed: a path
// (of a file mounted from a Secret) is not a secret.
func refuseCredentialArgs(args []string) error {
	for i, a := range args {
		name, value, hasValue := strings.Cut(a, "=")
		if why, ok := credentialFlags[name]; ok {
			return fmt.Errorf("%w --arg=%s: it would put a credential in the Deployment's arguments, where anyone who can read Deployments sees it; %s",
				errCredentialArg, name, why)
		}
		if name != "--mgmt-url" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if strings.Contains(value, "@") { // user info, even in a URL that does not parse
			return fmt.Errorf("%w --arg=--mgmt-url with credentials: they belong in the Secret (--secret, keys username and password), not in the Deployment's arguments, where anyone who can read Deployments sees them",
				errCredentialArg)
		}
	}
	return nil
}

// ReleaseImage returns the image of a release version (ImageRepository
// tagged vX.Y.Z, as `make dist` builds it); ok is false for a development
// build ("dev", a git describe with commits or -dirty), which has no
// published image.
func ReleaseImage(version string) (image string, ok bool) {
	if !releaseVersion.MatchString(version) || gitDescribeSuffix.MatchString(version) {
		return "", false
	}
	return ImageRepository + ":" + version, true
}

// releaseVersion is the version form `make dist` accepts; gitDescribeSuffix
// is what `git describe --dirty` adds to a tag for a commit after it or
// for uncommitted changes (no image is published for those).
var (
	releaseVersion    = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
	gitDescribeSuffix = regexp.MustCompile(`-[0-9]+-g[0-9a-f]{4,}(-dirty)?$|-dirty$`)
)
