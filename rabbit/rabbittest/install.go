package rabbittest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// InstallCommand is the command that installs RabbitMQ on Debian.
// It waits for the package manager's lock, which another test process
// installing a package may hold.
const InstallCommand = "apt-get -o DPkg::Lock::Timeout=300 update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y rabbitmq-server"

// installed reports whether Debian's rabbitmq-server package is present.
func installed() bool {
	_, err := os.Stat(filepath.Join(rabbitBin, "rabbitmq-server"))
	return err == nil
}

// ensureInstalled installs rabbitmq-server with apt-get when it is missing,
// the process is root and installing is not forbidden; otherwise it returns
// an error that gives the command to run.
func ensureInstalled(ctx context.Context, logf func(string, ...any)) error {
	if installed() {
		return nil
	}
	_, aptErr := exec.LookPath("apt-get")
	switch {
	case os.Getenv(EnvNoInstall) != "":
		return fmt.Errorf("RabbitMQ is not installed (%s is set): run as root: %s", EnvNoInstall, InstallCommand)
	case os.Geteuid() != 0 || aptErr != nil:
		return fmt.Errorf("RabbitMQ is not installed and cannot be installed from here (need root and apt-get): run as root: %s, or set %s and %s to an existing broker", InstallCommand, EnvMgmtURL, EnvAMQPURL)
	}
	logf("rabbittest: RabbitMQ is not installed; running: %s", InstallCommand)
	cmd := exec.CommandContext(ctx, "sh", "-c", InstallCommand)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := strings.TrimSpace(string(out))
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("installing RabbitMQ failed (%w); run as root: %s\n%s", err, InstallCommand, tail)
	}
	if !installed() {
		return fmt.Errorf("apt-get installed rabbitmq-server but %s is missing", filepath.Join(rabbitBin, "rabbitmq-server"))
	}
	return nil
}
