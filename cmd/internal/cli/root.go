// Package cli is yeetscale's command line: the cobra command tree shared by
// the yeetscale and kubectl-yeetscale binaries. It turns flags into engine,
// rabbit and kube configuration, wires them, and maps errors to exit codes;
// the work itself lives in those packages and in tui.
package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/yeeter/yeetscale/cmd/internal/version"
	"github.com/yeeter/yeetscale/engine"
)

// streams are the process's standard streams, injected for tests.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// app is the state shared by the command tree.
type app struct {
	streams
	// name is how the user invoked us: "yeetscale" or "kubectl yeetscale".
	name string
	cfg  engine.Config
}

// subcommands are added to the root by each command's file.
var subcommands []func(*app) *cobra.Command

// Main runs the command line and returns the process exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	a := &app{streams: streams{In: in, Out: out, Err: errOut}, name: invokedAs(args), cfg: engine.DefaultConfig()}
	root := a.rootCommand()
	root.SetArgs(args[1:])
	err := root.Execute()
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", a.name, err)
	}
	return exitCode(err)
}

// invokedAs returns "kubectl yeetscale" when run as a kubectl plugin
// (argv[0] named kubectl-yeetscale), else "yeetscale".
func invokedAs(args []string) string {
	if len(args) > 0 && strings.HasPrefix(filepath.Base(args[0]), "kubectl-") {
		return "kubectl " + strings.TrimPrefix(filepath.Base(args[0]), "kubectl-")
	}
	return "yeetscale"
}

func (a *app) rootCommand() *cobra.Command {
	// cobra takes the command's name from the first word of Use; as a
	// kubectl plugin the name is the binary's (kubectl-yeetscale, so that
	// 'completion' scripts complete the binary that exists and never
	// claim kubectl's own completion) and usage lines read
	// "kubectl yeetscale ..." through the display-name annotation.
	use := a.name
	var annotations map[string]string
	if plugin, ok := strings.CutPrefix(a.name, "kubectl "); ok {
		use = "kubectl-" + plugin
		annotations = map[string]string{cobra.CommandDisplayNameAnnotation: a.name}
	}
	root := &cobra.Command{
		Use:           use,
		Annotations:   annotations,
		Short:         "Scale RabbitMQ queue workers on Kubernetes, from a console or headless",
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(a.Out)
	root.SetErr(a.Err)
	root.SetIn(a.In)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usage(fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	for _, sub := range subcommands {
		root.AddCommand(sub(a))
	}
	a.setupRoot(root)
	return root
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
