package kubetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/kube/kubetest/internal/toolbuild"
)

// The test host KEDA's metrics adapter runs on. EndpointSlices refuse
// loopback addresses, so the adapter needs an address of its own: the
// harness makes a network namespace joined to this machine by a veth pair
// (host side KEDAHostAddr, inside KEDAAdapterAddr, a /30), runs the adapter
// inside, and removes both when the lab stops. Test traffic goes only to
// loopback and to these two addresses.
const (
	KEDAHostAddr    = "10.250.0.1"
	KEDAAdapterAddr = "10.250.0.2"
	kedaNetns       = "yeetscale-keda"
	kedaVethHost    = "ysk-host"
	kedaVethNS      = "ysk-ns"
)

// testHost is the network namespace with its veth pair, held under a lock
// so that one lab at a time owns the fixed addresses.
type testHost struct {
	unlock func()
}

// newTestHost takes the lock in lockDir (waiting for another lab's KEDA to
// stop), removes what a crashed run left behind, and creates the namespace
// and the veth pair. It needs root (CAP_NET_ADMIN) and the ip command.
func newTestHost(ctx context.Context, lockDir string) (*testHost, error) {
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, errors.New("kubetest: KEDA's test host needs the ip command (apt-get install iproute2)")
	}
	unlock, _, err := toolbuild.LockFileReport(filepath.Join(lockDir, "netns.lock"), func() {
		progressf("kubetest: another lab runs KEDA on %s; waiting for it to stop", KEDAHostAddr)
	})
	if err != nil {
		return nil, err
	}
	h := &testHost{unlock: unlock}
	h.clean() // leftovers of a run that died: we hold the lock, so they are no one's
	steps := [][]string{
		{"netns", "add", kedaNetns},
		{"link", "add", kedaVethHost, "type", "veth", "peer", "name", kedaVethNS},
		{"link", "set", kedaVethNS, "netns", kedaNetns},
		{"addr", "add", KEDAHostAddr + "/30", "dev", kedaVethHost},
		{"link", "set", kedaVethHost, "up"},
		{"netns", "exec", kedaNetns, "ip", "addr", "add", KEDAAdapterAddr + "/30", "dev", kedaVethNS},
		{"netns", "exec", kedaNetns, "ip", "link", "set", kedaVethNS, "up"},
		{"netns", "exec", kedaNetns, "ip", "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if out, err := exec.CommandContext(ctx, "ip", s...).CombinedOutput(); err != nil {
			h.remove()
			return nil, fmt.Errorf("kubetest: ip %s: %v: %s (KEDA's test host needs root)", strings.Join(s, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return h, nil
}

// clean deletes the veth pair and the namespace, ignoring absent ones.
func (h *testHost) clean() {
	_ = exec.Command("ip", "link", "del", kedaVethHost).Run()
	_ = exec.Command("ip", "netns", "del", kedaNetns).Run()
}

// remove deletes the namespace and the veth pair and releases the lock.
func (h *testHost) remove() {
	if h == nil || h.unlock == nil {
		return
	}
	h.clean()
	h.unlock()
	h.unlock = nil
}

// netnsCommand returns the argv that runs bin with env inside the test
// host's namespace.
func netnsCommand(env []string, bin string, args ...string) (string, []string) {
	argv := append([]string{"netns", "exec", kedaNetns, "env"}, env...)
	return "ip", append(append(argv, bin), args...)
}

// tcpForward accepts on listen and copies each connection to and from
// target (the API server on loopback, for the adapter in the namespace).
type tcpForward struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn map[net.Conn]struct{}
}

func newTCPForward(listen, target string) (*tcpForward, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("kubetest: forwarding %s: %w", listen, err)
	}
	f := &tcpForward{ln: ln, conn: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.pipe(c, target)
			}()
		}
	}()
	return f, nil
}

func (f *tcpForward) track(c net.Conn, add bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if add {
		f.conn[c] = struct{}{}
	} else {
		delete(f.conn, c)
	}
}

func (f *tcpForward) pipe(c net.Conn, target string) {
	defer c.Close()
	up, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	f.track(c, true)
	f.track(up, true)
	defer f.track(c, false)
	defer f.track(up, false)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// close stops accepting and closes every open connection.
func (f *tcpForward) close() {
	if f == nil {
		return
	}
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conn {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
