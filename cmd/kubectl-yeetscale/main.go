// Command kubectl-yeetscale is yeetscale installed as a kubectl plugin:
// kubectl runs it for 'kubectl yeetscale ...' (krew installs it under this
// name). It is the same command line as cmd/yeetscale; only its name
// differs, so that usage, examples and completion read "kubectl yeetscale".
package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/yeeter/yeetscale/cmd/internal/cli"
)

func main() {
	os.Exit(cli.Main(pluginArgs(os.Args), os.Stdin, os.Stdout, os.Stderr))
}

// pluginArgs makes argv[0] name a kubectl plugin even when the binary was
// renamed or symlinked to a name without the kubectl- prefix; a name that
// has the prefix (kubectl-yeetscale, or kubectl-ys after a rename) is kept.
func pluginArgs(args []string) []string {
	if len(args) == 0 {
		return []string{"kubectl-yeetscale"}
	}
	if strings.HasPrefix(filepath.Base(args[0]), "kubectl-") {
		return args
	}
	out := append([]string{"kubectl-yeetscale"}, args[1:]...)
	return out
}
