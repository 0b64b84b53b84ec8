// Command yeetscale scales a Kubernetes Deployment of queue workers from the
// depth of a RabbitMQ queue: an operations console on a terminal, a headless
// controller for cron, systemd or a pod, and a kubectl plugin. See README.md.
package main

import (
	"os"

	"github.com/yeeter/yeetscale/cmd/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
