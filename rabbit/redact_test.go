package rabbit

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://yeet:/xyzzy+Secret@host:15672", "http://[redacted]@host:15672"},
		{"http://u:p@ss@host:1/x", "http://[redacted]@host:1/x"},
		{"http://u:pa?ss@host:1", "http://[redacted]@host:1"},
		{"http://u:pa#ss@host:1", "http://[redacted]@host:1"},
		{"http//user:Secret@rabbit", "[redacted]@rabbit"},
		{"user:Secret@rabbit:15672", "[redacted]@rabbit:15672"},
		{"http://rabbit:15672/?password=Secret", "http://rabbit:15672/"},
		{"http://rabbit:15672/api", "http://rabbit:15672/api"},
		{"http://rab\x1b[2Jbit:1", `http://rab\x1b[2Jbit:1`},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMisparsedPasswordNeverShown: a password with an unencoded '/' makes
// url.Parse see host "yeet" and a path with the rest of the password; the
// URL is refused, and neither the error nor a client's URL shows the rest.
func TestMisparsedPasswordNeverShown(t *testing.T) {
	for _, raw := range []string{
		"http://yeet:/xyzzy+Secret@host:15672",
		"http://yeet:xyzzy/Secret@host:15672",
		"https://yeet:ab?Secret@host:15671",
		"http://yeet:ab cd Secret@host:15672", // url.Parse fails
		"http://yeet:%zzSecret@host:15672",    // url.Parse fails
	} {
		o := optsWith(nil, func(o *Options) { o.MgmtURL = raw })
		err := o.Complete()
		if err == nil {
			err = o.Validate()
		}
		var ce *engine.ConfigError
		if !errors.As(err, &ce) || ce.Flag != FlagMgmtURL {
			t.Errorf("%q: err = %v, want an invalid --mgmt-url", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "Secret") || strings.Contains(err.Error(), "xyzzy") {
			t.Errorf("%q: error shows the password: %v", raw, err)
		}
		if !strings.Contains(err.Error(), "[redacted]@host") {
			t.Errorf("%q: error does not show the redacted URL: %v", raw, err)
		}
	}
	// Even a client built around Validate prints no password.
	c := &Client{}
	c.base, _ = url.Parse("http://yeet:/xyzzy+Secret@host:15672")
	if u := c.URL(); strings.Contains(u, "Secret") {
		t.Errorf("URL() = %q", u)
	}
}

func TestDotNamesRefused(t *testing.T) {
	for _, tt := range []struct{ vhost, queue, flag string }{
		{"..", "q", FlagVHost}, {".", "q", FlagVHost}, {"/", "..", FlagQueue}, {"/", ".", FlagQueue},
	} {
		o := optsWith(nil, func(o *Options) { o.VHost, o.Queue = tt.vhost, tt.queue })
		if err := o.Complete(); err != nil {
			t.Fatal(err)
		}
		err := o.Validate()
		var ce *engine.ConfigError
		if !errors.As(err, &ce) || ce.Flag != tt.flag || !strings.Contains(err.Error(), "rename it") {
			t.Errorf("vhost %q queue %q: err = %v, want invalid --%s", tt.vhost, tt.queue, err, tt.flag)
		}
	}
	for _, ok := range []string{"...", ".hidden", "a..b"} {
		o := optsWith(nil, func(o *Options) { o.VHost, o.Queue = ok, ok })
		if err := o.Complete(); err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

// TestBoundedFileReads: --password-file and --mgmt-ca-file refuse
// non-regular and oversized files with a one-line error naming the flag,
// the path and what to do, and never read more than their cap.
func TestBoundedFileReads(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxCAFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pwBig := filepath.Join(dir, "pw-big")
	if err := os.WriteFile(pwBig, []byte(strings.Repeat("x", MaxPasswordFile+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"/dev/zero", "/dev/zero", "is not a regular file (a device)"},
		{"directory", dir, "is not a regular file (a directory)"},
		{"fifo", fifo, "is not a regular file (a named pipe)"},
		{"password too big", pwBig, "is larger than 4 KiB"},
		{"missing", filepath.Join(dir, "nope"), "cannot be read (no such file or directory)"},
	}
	for _, tt := range tests {
		t.Run("password "+tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Getenv = func(string) string { return "" }
			o.Username, o.PasswordFile = "bob", tt.path
			checkFileErr(t, o.Complete(), FlagPasswordFile, tt.path, tt.want, "the password alone")
		})
	}
	tests[3] = struct{ name, path, want string }{"CA too big", big, "is larger than 1 MiB"}
	for _, tt := range tests {
		t.Run("ca "+tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.MgmtURL, o.Username, o.Password, o.CAFile = "https://rabbit:15671", "bob", testSecret, tt.path
			_, err := New(o)
			checkFileErr(t, err, FlagCAFile, tt.path, tt.want, "PEM CA certificates")
		})
	}
	o := DefaultOptions()
	o.Getenv = func(string) string { return "" }
	o.Username, o.PasswordFile = "bob", pw
	if err := o.Complete(); err != nil || o.Password.Reveal() != testSecret {
		t.Fatalf("valid password file: %v", err)
	}
}

func checkFileErr(t *testing.T, err error, flag, path, want, advice string) {
	t.Helper()
	var ce *engine.ConfigError
	if !errors.As(err, &ce) || ce.Flag != flag {
		t.Fatalf("err = %v, want an invalid --%s", err, flag)
	}
	msg := err.Error()
	if !strings.Contains(msg, "--"+flag+" "+path+":") || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("err = %q, want the flag, %s and %q on one line", msg, path, want)
	}
	if !strings.Contains(want, "cannot be read") && !strings.Contains(msg, advice) {
		t.Errorf("err = %q does not say what to give (%q)", msg, advice)
	}
}
