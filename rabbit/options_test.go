package rabbit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
)

const testSecret = "s3cr3t-Pa55"

// optsWith returns default options with a fake environment and password
// file ("/pw" holds testSecret, "/empty" is empty, anything else is missing).
func optsWith(env map[string]string, mod func(*Options)) Options {
	o := DefaultOptions()
	o.Getenv = func(k string) string { return env[k] }
	o.ReadFile = func(p string) ([]byte, error) {
		switch p {
		case "/pw":
			return []byte(testSecret + "\n"), nil
		case "/empty":
			return []byte("\n"), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if mod != nil {
		mod(&o)
	}
	return o
}

func TestCompleteCredentials(t *testing.T) {
	env := map[string]string{EnvUsername: "envuser", EnvPassword: "envpass"}
	tests := []struct {
		name               string
		env                map[string]string
		mod                func(*Options)
		user, pass         string
		userFrom, passFrom string
		url                string
	}{
		{name: "nothing given: guest", user: "guest", pass: "guest", userFrom: "default", passFrom: "default"},
		{name: "env", env: env, user: "envuser", pass: "envpass", userFrom: "env", passFrom: "env"},
		{name: "file beats env", env: env, mod: func(o *Options) { o.PasswordFile = "/pw" }, user: "envuser", pass: testSecret, userFrom: "env", passFrom: "file"},
		{name: "flag beats file and env", env: env, mod: func(o *Options) { o.PasswordFile = "/pw"; o.Username = "u"; o.Password = "flagpass" },
			user: "u", pass: "flagpass", userFrom: "flag", passFrom: "flag"},
		{name: "url userinfo moved out", env: env, mod: func(o *Options) { o.MgmtURL = "https://urluser:" + testSecret + "@rabbit:15671/x" },
			user: "urluser", pass: testSecret, userFrom: "url", passFrom: "url", url: "https://rabbit:15671/x"},
		{name: "flags beat url userinfo", mod: func(o *Options) { o.MgmtURL = "http://a:b@rabbit:15672"; o.Username = "u"; o.Password = "p" },
			user: "u", pass: "p", userFrom: "flag", passFrom: "flag", url: "http://rabbit:15672"},
		{name: "url user without password, env password", env: map[string]string{EnvPassword: "envpass"}, mod: func(o *Options) { o.MgmtURL = "http://a@rabbit:15672" },
			user: "a", pass: "envpass", userFrom: "url", passFrom: "env", url: "http://rabbit:15672"},
		{name: "user only: no guest password", mod: func(o *Options) { o.Username = "u" }, user: "u", pass: "", userFrom: "flag", passFrom: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := optsWith(tt.env, tt.mod)
			if err := o.Complete(); err != nil {
				t.Fatal(err)
			}
			if o.Username != tt.user || o.Password.Reveal() != tt.pass || o.UserFrom != tt.userFrom || o.PasswordFrom != tt.passFrom {
				t.Errorf("got user %q (%s) password %q (%s); want %q (%s) %q (%s)",
					o.Username, o.UserFrom, o.Password.Reveal(), o.PasswordFrom, tt.user, tt.userFrom, tt.pass, tt.passFrom)
			}
			if tt.url != "" && o.MgmtURL != tt.url {
				t.Errorf("MgmtURL = %q, want %q", o.MgmtURL, tt.url)
			}
		})
	}
}

func TestCompleteAndValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		flag string
		want string
	}{
		{"missing password file", func(o *Options) { o.PasswordFile = "/nope" }, FlagPasswordFile, "invalid --password-file /nope: cannot be read (file does not exist)"},
		{"empty password file", func(o *Options) { o.PasswordFile = "/empty" }, FlagPasswordFile, "is empty"},
		{"scheme", func(o *Options) { o.MgmtURL = "amqp://rabbit:5672" }, FlagMgmtURL, "must start with http:// or https://"},
		{"no host", func(o *Options) { o.MgmtURL = "http://" }, FlagMgmtURL, "must name a host"},
		{"unparseable keeps secret", func(o *Options) { o.MgmtURL = "http://u:" + testSecret + "@ho st:1" }, FlagMgmtURL, "invalid --mgmt-url http://[redacted]@ho st:1: is not a URL"},
		{"query", func(o *Options) { o.MgmtURL = "http://rabbit:15672/?x=1" }, FlagMgmtURL, "must not have a query"},
		{"empty vhost", func(o *Options) { o.VHost = "" }, FlagVHost, "must not be empty"},
		{"empty queue", func(o *Options) { o.Queue = "" }, FlagQueue, "must not be empty"},
		{"zero timeout", func(o *Options) { o.Timeout = 0 }, FlagTimeout, "must be more than 0s"},
		{"huge timeout", func(o *Options) { o.Timeout = time.Hour }, FlagTimeout, "at most 10m0s"},
		{"ca file on http", func(o *Options) { o.CAFile = "/ca.pem" }, FlagCAFile, "needs an https://"},
		{"insecure on http", func(o *Options) { o.InsecureSkipTLSVerify = true }, FlagInsecure, "needs an https://"},
		{"insecure and ca", func(o *Options) { o.MgmtURL = "https://r"; o.InsecureSkipTLSVerify = true; o.CAFile = "/ca.pem" }, FlagInsecure, "contradicts --mgmt-ca-file"},
		{"password without user", func(o *Options) { o.Password = testSecret }, FlagUsername, "a password is set but no user"},
		{"user without password", func(o *Options) { o.Username = "bob" }, FlagPassword, `no password for user "bob": set $RABBITMQ_PASSWORD, --password-file or --password`},
		{"colon in user", func(o *Options) { o.Username = "a:b"; o.Password = testSecret }, FlagUsername, "must not contain ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := optsWith(nil, tt.mod)
			err := o.Complete()
			if err == nil {
				err = o.Validate()
			}
			var ce *engine.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *engine.ConfigError", err)
			}
			msg := err.Error()
			if ce.Flag != tt.flag || !strings.Contains(msg, tt.want) {
				t.Errorf("err = %q (flag %s); want flag %s and %q", msg, ce.Flag, tt.flag, tt.want)
			}
			if strings.Contains(msg, testSecret) || strings.Contains(msg, "\n") {
				t.Errorf("err %q holds the password or a newline", msg)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, u := range []string{DefaultMgmtURL, "https://rabbit.example:15671/prefix/", "http://[::1]:15672"} {
		o := optsWith(nil, func(o *Options) { o.MgmtURL = u })
		if err := o.Complete(); err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestAddFlags(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	var engineQueue string
	fs.StringVar(&engineQueue, "queue", "q", "registered by someone else")
	o := DefaultOptions()
	o.AddFlags(fs) // must not panic on --queue
	err := fs.Parse([]string{"--mgmt-url=https://r:1", "--vhost=v", "--username=u", "--password-file=/f",
		"--mgmt-ca-file=/ca", "--mgmt-timeout=2s", "--queue=other"})
	if err != nil {
		t.Fatal(err)
	}
	if o.MgmtURL != "https://r:1" || o.VHost != "v" || o.Username != "u" || o.PasswordFile != "/f" ||
		o.CAFile != "/ca" || o.Timeout != 2*time.Second || o.Queue != DefaultQueue || engineQueue != "other" {
		t.Errorf("parsed %+v", o)
	}
	if u := fs.Lookup(FlagPassword).Usage; !strings.Contains(u, "visible to other users") {
		t.Errorf("--password help %q does not warn", u)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	o := DefaultOptions()
	o.Password = testSecret
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, o); strings.Contains(s, testSecret) {
			t.Errorf("%s prints the password: %s", verb, s)
		}
	}
}

// TestValidateNeverShowsAPasswordOfAMalformedURL checks the typos of 3 a.m.:
// a URL whose userinfo the parser does not see must not be echoed.
func TestValidateNeverShowsAPasswordOfAMalformedURL(t *testing.T) {
	for _, raw := range []string{
		"user:s3cr3t-pw@rabbit:15672",
		"http//user:s3cr3t-pw@rabbit",
		"http:/user:s3cr3t-pw@rabbit",
		"http:user:s3cr3t-pw@rabbit:15672",
		"http://rabbit:15672/?password=s3cr3t-pw",
	} {
		o := DefaultOptions()
		o.MgmtURL = raw
		o.Getenv = func(string) string { return "" }
		o.Username, o.Password = "yeetscale", "other"
		err := o.Complete()
		if err == nil {
			err = o.Validate()
		}
		if err == nil {
			t.Errorf("%q: no error", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("%q: the error shows the password: %v", raw, err)
		}
	}
}

func TestSecretStaysSecretInJSONAndSlog(t *testing.T) {
	o := struct {
		Username string
		Password Secret
	}{"u", "s3cr3t-pw"}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("opts", "password", o.Password)
	for name, out := range map[string]string{"json": string(b), "slog": buf.String()} {
		if strings.Contains(out, "s3cr3t-pw") {
			t.Errorf("%s shows the password: %s", name, out)
		}
	}
}
