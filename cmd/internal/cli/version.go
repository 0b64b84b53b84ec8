package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/yeeter/yeetscale/cmd/internal/version"
)

func init() { subcommands = append(subcommands, newVersionCmd) }

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(a.Out, version.String())
			return err
		},
	}
}
