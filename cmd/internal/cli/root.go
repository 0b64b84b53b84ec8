// Package cli is yeetscale's command line: the cobra command tree shared by
// the yeetscale and kubectl-yeetscale binaries. It turns flags into engine,
// rabbit and kube configuration, wires them, and maps errors to exit codes;
// the work itself lives in those packages and in tui.
package cli

import (
	"context"
	"errors"
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
	return execute(context.Background(), args, streams{In: in, Out: out, Err: errOut})
}

// execute runs the command tree under ctx and returns the exit code. An
// error is printed as one line, its control characters escaped: it may
// quote a queue name, a broker's or an apiserver's message.
func execute(ctx context.Context, args []string, s streams) int {
	a := &app{streams: s, name: invokedAs(args), cfg: engine.DefaultConfig()}
	root := a.rootCommand()
	if len(args) > 0 {
		args = args[1:]
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "%s: %s\n", a.name, engine.Printable(err.Error()))
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
	// Created now rather than by Execute, so that usageArgs reaches them.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	usageArgs(root)
	return root
}

// usageArgs makes every argument error in the tree under c a usage error
// (exit 2) of one line: an unknown command, an unexpected argument. A
// command without its own check takes cobra's default: one with
// subcommands refuses an unknown one, a leaf takes any arguments.
func usageArgs(c *cobra.Command) {
	check := c.Args
	if check == nil {
		check = unknownCommand
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		var u usageError
		if err == nil || errors.As(err, &u) {
			return err
		}
		return usage(fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath()))
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// unknownCommand is cobra's default check of a command's arguments, with
// its suggestion on the same line.
func unknownCommand(c *cobra.Command, args []string) error {
	if !c.HasSubCommands() || len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's default
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(": did you mean %q?", s[0])
	}
	return errors.New(msg)
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
