package rabbittest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Environment variables that configure the harness.
const (
	EnvMgmtURL   = "YEETSCALE_TEST_RABBITMQ_MGMT_URL"
	EnvAMQPURL   = "YEETSCALE_TEST_RABBITMQ_AMQP_URL"
	EnvPortBase  = "YEETSCALE_TEST_RABBITMQ_PORT_BASE"
	EnvDir       = "YEETSCALE_TEST_RABBITMQ_DIR"
	EnvNoInstall = "YEETSCALE_TEST_RABBITMQ_NO_INSTALL"
)

// NodeName is the Erlang node name of the harness-owned broker.
const NodeName = "yeetscale-test@localhost"

// DefaultPortBase is the AMQP port of the harness-owned broker; the
// management API listens on the next port and Erlang distribution on the one
// after. It sits below Linux's ephemeral port range.
const DefaultPortBase = 21672

// StartTimeout bounds how long the harness waits for a node to answer.
const StartTimeout = 3 * time.Minute

// rabbitBin is where Debian's package puts the unwrapped scripts; the
// /usr/sbin wrappers switch to the rabbitmq user when run as root.
const rabbitBin = "/usr/lib/rabbitmq/bin"

// localNode describes the harness-owned node's files and ports.
type localNode struct {
	dir      string
	amqpPort int
	mgmtPort int
	distPort int
}

// newLocalNode reads the environment for the node's directory and ports.
func newLocalNode() (*localNode, error) {
	base := DefaultPortBase
	if v := os.Getenv(EnvPortBase); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 || n > 65533 {
			return nil, fmt.Errorf("%s=%q: want a port number from 1024 to 65533", EnvPortBase, v)
		}
		base = n
	}
	dir := os.Getenv(EnvDir)
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "yeetscale", "rabbittest")
	}
	return &localNode{dir: dir, amqpPort: base, mgmtPort: base + 1, distPort: base + 2}, nil
}

func (n *localNode) path(name string) string { return filepath.Join(n.dir, name) }

// mgmtURL is the management API's base URL (no credentials).
func (n *localNode) mgmtURL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.mgmtPort) }

// amqpURL is the AMQP URL with the guest credentials (allowed on loopback).
func (n *localNode) amqpURL() string {
	return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", n.amqpPort)
}

// config is the node's rabbitmq.conf.
func (n *localNode) config() string {
	return fmt.Sprintf(`# written by yeetscale rabbit/rabbittest; rewritten on each start
listeners.tcp.1 = 127.0.0.1:%d
management.tcp.ip = 127.0.0.1
management.tcp.port = %d
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = info
`, n.amqpPort, n.mgmtPort)
}

// advancedConfig is empty. The node runs with RabbitMQ's default
// statistics interval (5 s), as users run it: with
// collect_statistics_interval = 1000, RabbitMQ 3.10 still keeps its samples
// 5 s apart and reports every message rate as 0.0, which hid that the
// policies saw no rates at all (issue 13).
const advancedConfig = "[].\n"

// configCurrent reports whether the node's files hold the configuration
// this harness writes. A node started by an older harness with another
// configuration (the 1 s statistics interval) is restarted.
func (n *localNode) configCurrent() bool {
	for name, want := range map[string]string{"rabbitmq.conf": n.config(), "advanced.config": advancedConfig} {
		b, err := os.ReadFile(n.path(name))
		if err != nil || string(b) != want {
			return false
		}
	}
	return true
}

// env is the environment the node's scripts run with.
func (n *localNode) env() []string {
	env := []string{
		"HOME=" + n.dir, // Erlang keeps its cookie in $HOME/.erlang.cookie
		"RABBITMQ_NODENAME=" + NodeName,
		"RABBITMQ_CONFIG_FILE=" + n.path("rabbitmq.conf"),
		"RABBITMQ_ADVANCED_CONFIG_FILE=" + n.path("advanced.config"),
		"RABBITMQ_CONF_ENV_FILE=" + n.path("rabbitmq-env.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + n.path("enabled_plugins"),
		"RABBITMQ_MNESIA_BASE=" + n.path("mnesia"),
		"RABBITMQ_LOG_BASE=" + n.path("log"),
		"RABBITMQ_PID_FILE=" + n.path("rabbit.pid"),
		"RABBITMQ_DIST_PORT=" + strconv.Itoa(n.distPort),
		"ERL_EPMD_ADDRESS=127.0.0.1", // an epmd this node starts listens on loopback only
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	}
	for _, k := range []string{"LANG", "LC_ALL", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// writeFiles lays out the node's directory: config, plugins, empty env file
// and a random Erlang cookie (kept if present, so a running node's CLI tools
// keep working).
func (n *localNode) writeFiles() error {
	for _, d := range []string{n.dir, n.path("mnesia"), n.path("log")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create harness directory: %w", err)
		}
	}
	files := map[string]string{
		"rabbitmq.conf":     n.config(),
		"advanced.config":   advancedConfig,
		"rabbitmq-env.conf": "# intentionally empty: keeps /etc/rabbitmq/rabbitmq-env.conf out\n",
		"enabled_plugins":   "[rabbitmq_management].\n",
	}
	for name, body := range files {
		if err := os.WriteFile(n.path(name), []byte(body), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	cookie := n.path(".erlang.cookie")
	if _, err := os.Stat(cookie); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		if err := os.WriteFile(cookie, []byte(strings.ToUpper(hex.EncodeToString(b))), 0o400); err != nil {
			return fmt.Errorf("write Erlang cookie: %w", err)
		}
	}
	return nil
}

// lock takes an exclusive file lock on the node's directory, waiting for
// another process (a parallel test package) that holds it. The returned func
// releases it.
func (n *localNode) lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create harness directory: %w", err)
	}
	f, err := os.OpenFile(n.path("lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", n.path("lock"), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another process starting the broker (lock %s): %w", n.path("lock"), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pid returns the node's OS process id from its pid file and whether that
// process is alive.
func (n *localNode) pid() (int, bool) {
	b, err := os.ReadFile(n.path("rabbit.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, syscall.Kill(pid, 0) == nil
}

// start launches the node in its own session so that it outlives the test
// process. The returned channel is closed when the launched script exits
// (which, for a healthy node, it does not).
func (n *localNode) start() (<-chan struct{}, error) {
	server := filepath.Join(rabbitBin, "rabbitmq-server")
	console, err := os.OpenFile(n.path("log/console.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open console log: %w", err)
	}
	defer console.Close()
	cmd := exec.Command(server)
	cmd.Dir = n.dir
	cmd.Env = n.env()
	cmd.Stdout = console
	cmd.Stderr = console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", server, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	return exited, nil
}

// stop asks the node to shut down (SIGTERM makes Erlang stop cleanly) and
// waits until it is gone, killing it after the context's deadline.
func (n *localNode) stop(ctx context.Context) error {
	pid, alive := n.pid()
	if !alive {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop broker pid %d: %w", pid, err)
	}
	for syscall.Kill(pid, 0) == nil {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("broker pid %d did not stop, killed: %w", pid, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// logTail returns the last lines of the node's logs for an error message.
func (n *localNode) logTail() string {
	var parts []string
	for _, name := range []string{"log/console.log", "log/" + NodeName + ".log"} {
		b, err := os.ReadFile(n.path(name))
		if err != nil || len(b) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		parts = append(parts, fmt.Sprintf("--- %s:\n%s", n.path(name), strings.Join(lines, "\n")))
	}
	if len(parts) == 0 {
		return "(no log output)"
	}
	return strings.Join(parts, "\n")
}
