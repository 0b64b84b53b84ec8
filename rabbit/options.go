package rabbit

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
)

// Defaults of the options.
const (
	DefaultMgmtURL = "http://rabbitmq.yeeter.svc.cluster.local:15672"
	DefaultVHost   = "/"
	DefaultQueue   = "yeeter.simulation.orders"
	DefaultTimeout = 5 * time.Second
	// DefaultUser and DefaultPassword are RabbitMQ's own defaults, used only
	// when no user and no password is given anywhere.
	DefaultUser     = "guest"
	DefaultPassword = "guest"
	// MaxTimeout bounds --mgmt-timeout.
	MaxTimeout = 10 * time.Minute
)

// Environment variables read by Complete.
const (
	EnvUsername = "RABBITMQ_USERNAME"
	EnvPassword = "RABBITMQ_PASSWORD"
)

// Flag names.
const (
	FlagMgmtURL      = "mgmt-url"
	FlagVHost        = "vhost"
	FlagQueue        = "queue"
	FlagUsername     = "username"
	FlagPassword     = "password"
	FlagPasswordFile = "password-file"
	FlagCAFile       = "mgmt-ca-file"
	FlagInsecure     = "mgmt-insecure-skip-tls-verify"
	FlagTimeout      = "mgmt-timeout"
)

// dotName explains why "." and ".." are refused as vhost and queue names:
// in a URL path they are "this" and "parent" segments (clients and proxies
// may resolve them away), so the management API cannot be asked about them.
const dotName = `cannot be read through the management API (in a URL path "." and ".." mean "this" and "parent"): rename it`

// Options say which queue to read and how to reach the management API.
// Fill it with DefaultOptions and AddFlags, then call Complete and Validate
// before New.
//
// Credentials are resolved by Complete, highest precedence first:
// --username / --password, userinfo in --mgmt-url, --password-file (password
// only), RABBITMQ_USERNAME / RABBITMQ_PASSWORD. Only when no user and no
// password is given anywhere does it fall back to guest/guest, RabbitMQ's
// default (which the broker accepts from loopback only).
type Options struct {
	MgmtURL               string        // --mgmt-url
	VHost                 string        // --vhost
	Queue                 string        // --queue
	Username              string        // --username, RABBITMQ_USERNAME
	Password              Secret        // --password, RABBITMQ_PASSWORD
	PasswordFile          string        // --password-file
	CAFile                string        // --mgmt-ca-file
	InsecureSkipTLSVerify bool          // --mgmt-insecure-skip-tls-verify (kubectl owns --insecure-skip-tls-verify)
	Timeout               time.Duration // --mgmt-timeout

	// UserFrom and PasswordFrom say where Complete found the credentials:
	// "flag", "url", "file", "env" or "default" ("" when not found). They
	// are safe to log.
	UserFrom, PasswordFrom string

	// Getenv and ReadFile replace os.Getenv and os.ReadFile in Complete
	// (for tests); nil means the os functions.
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

// DefaultOptions returns the defaults of the flags.
func DefaultOptions() Options {
	return Options{MgmtURL: DefaultMgmtURL, VHost: DefaultVHost, Queue: DefaultQueue, Timeout: DefaultTimeout}
}

// AddFlags registers the options' flags on fs. A flag whose name fs already
// has (for example --queue and --vhost when the engine's config registered
// them first) is skipped; the caller then copies that value into o.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	str := func(p *string, name, def, usage string) {
		if fs.Lookup(name) == nil {
			fs.StringVar(p, name, def, usage)
		}
	}
	str(&o.MgmtURL, FlagMgmtURL, o.MgmtURL, "RabbitMQ management API URL (http or https); user:password@ in it is accepted and never printed, but like --password it is visible to other users of this machine")
	str(&o.VHost, FlagVHost, o.VHost, "RabbitMQ virtual host of the queue")
	str(&o.Queue, FlagQueue, o.Queue, "RabbitMQ queue whose depth drives scaling")
	str(&o.Username, FlagUsername, o.Username, "RabbitMQ user (default $"+EnvUsername+"; guest only when no user and no password is given anywhere)")
	str((*string)(&o.Password), FlagPassword, string(o.Password), "RabbitMQ password; visible to other users of this machine in the process list, prefer $"+EnvPassword+" or --"+FlagPasswordFile)
	str(&o.PasswordFile, FlagPasswordFile, o.PasswordFile, "file holding the RabbitMQ password (one trailing newline ignored); overrides $"+EnvPassword)
	str(&o.CAFile, FlagCAFile, o.CAFile, "PEM file of CA certificates to trust for an https --mgmt-url (in addition to the system's)")
	if fs.Lookup(FlagInsecure) == nil {
		fs.BoolVar(&o.InsecureSkipTLSVerify, FlagInsecure, o.InsecureSkipTLSVerify, "do not verify the management API's TLS certificate (test brokers only)")
	}
	if fs.Lookup(FlagTimeout) == nil {
		fs.DurationVar(&o.Timeout, FlagTimeout, o.Timeout, "timeout of one management API request")
	}
}

// Complete moves credentials out of --mgmt-url and resolves the user and
// password from flags, URL, password file and environment (see Options).
// Its errors name the flag and never contain the password.
func (o *Options) Complete() error {
	getenv, readFile := o.Getenv, o.ReadFile
	if getenv == nil {
		getenv = os.Getenv
	}
	if readFile == nil {
		readFile = func(p string) ([]byte, error) { return engine.ReadCapped(p, MaxPasswordFile) }
	}
	var urlUser, urlPass string
	var urlHasPass bool
	if u, err := url.Parse(o.MgmtURL); err == nil && u.User != nil {
		urlUser = u.User.Username()
		urlPass, urlHasPass = u.User.Password()
		u.User = nil
		o.MgmtURL = u.String()
	}
	o.UserFrom, o.PasswordFrom = "", ""
	if o.Password != "" {
		o.PasswordFrom = "flag"
	}
	switch {
	case o.Username != "":
		o.UserFrom = "flag"
	case urlUser != "":
		o.Username, o.UserFrom = urlUser, "url"
	case getenv(EnvUsername) != "":
		o.Username, o.UserFrom = getenv(EnvUsername), "env"
	}
	switch {
	case o.PasswordFrom != "":
	case urlHasPass:
		o.Password, o.PasswordFrom = Secret(urlPass), "url"
	case o.PasswordFile != "":
		b, err := readFile(o.PasswordFile)
		if err != nil {
			return fileError(FlagPasswordFile, o.PasswordFile, err)
		}
		p := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if p == "" {
			return &engine.ConfigError{Flag: FlagPasswordFile, Value: engine.Printable(o.PasswordFile), Allowed: "is empty: it must hold the password"}
		}
		o.Password, o.PasswordFrom = Secret(p), "file"
	case getenv(EnvPassword) != "":
		o.Password, o.PasswordFrom = Secret(getenv(EnvPassword)), "env"
	}
	if o.UserFrom == "" && o.PasswordFrom == "" {
		o.Username, o.Password = DefaultUser, DefaultPassword
		o.UserFrom, o.PasswordFrom = "default", "default"
	}
	return nil
}

// Validate checks the options after Complete and returns the first problem
// as a one-line *engine.ConfigError naming the flag. A --mgmt-url appears in
// it only through redactURL.
func (o *Options) Validate() error {
	bad := func(flag, v, allowed string) error {
		return &engine.ConfigError{Flag: flag, Value: v, Allowed: allowed}
	}
	shown := redactURL(o.MgmtURL)
	u, err := url.Parse(o.MgmtURL)
	if err != nil {
		// url.Parse's error repeats the URL, which may hold a password.
		return bad(FlagMgmtURL, shown, "is not a URL like "+DefaultMgmtURL+" (a password with / ? # @ % or a space must be percent-encoded, or given with --"+FlagPasswordFile+")")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return bad(FlagMgmtURL, shown, "must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return bad(FlagMgmtURL, shown, "must name a host, like "+DefaultMgmtURL)
	case u.Port() != "" && !validPort(u.Port()):
		return bad(FlagMgmtURL, shown, "its port must be 1 to 65535")
	case u.User != nil:
		return bad(FlagMgmtURL, shown, "holds credentials: call Complete before Validate")
	case strings.Contains(o.MgmtURL, "@"):
		// Complete took out the userinfo the parser saw; an '@' left over
		// means the parser misread it (http://user:/pw@host parses as host
		// "user" and a path holding the rest of the password).
		return bad(FlagMgmtURL, shown, "has an '@' that is not the end of a user:password@ prefix: percent-encode / ? # @ in the password (%2F %3F %23 %40) or give it with --"+FlagPasswordFile+" or $"+EnvPassword)
	case u.RawQuery != "" || u.Fragment != "":
		return bad(FlagMgmtURL, shown, "must not have a query or fragment; give the API's base URL")
	case o.VHost == "":
		return bad(FlagVHost, `""`, `must not be empty (the default vhost is "/")`)
	case o.Queue == "":
		return bad(FlagQueue, `""`, "must not be empty")
	case o.VHost == "." || o.VHost == "..":
		return bad(FlagVHost, fmt.Sprintf("%q", o.VHost), dotName)
	case o.Queue == "." || o.Queue == "..":
		return bad(FlagQueue, fmt.Sprintf("%q", o.Queue), dotName)
	case o.Timeout <= 0 || o.Timeout > MaxTimeout:
		return bad(FlagTimeout, o.Timeout.String(), "must be more than 0s and at most "+MaxTimeout.String())
	case o.CAFile != "" && u.Scheme != "https":
		return bad(FlagCAFile, engine.Printable(o.CAFile), "needs an https:// --mgmt-url")
	case o.InsecureSkipTLSVerify && u.Scheme != "https":
		return bad(FlagInsecure, "true", "needs an https:// --mgmt-url")
	case o.InsecureSkipTLSVerify && o.CAFile != "":
		return bad(FlagInsecure, "true", "contradicts --"+FlagCAFile+": use one of them")
	case o.Username == "" && o.Password != "":
		return bad(FlagUsername, `""`, "a password is set but no user: set $"+EnvUsername+" or --username")
	case o.Username == "":
		return bad(FlagUsername, `""`, "must not be empty: set $"+EnvUsername+" or --username")
	case strings.Contains(o.Username, ":"):
		return bad(FlagUsername, fmt.Sprintf("%q", o.Username), "must not contain ':'")
	case o.Password == "":
		return bad(FlagPassword, `""`, fmt.Sprintf("no password for user %q: set $%s, --%s or --%s", o.Username, EnvPassword, FlagPasswordFile, FlagPassword))
	}
	return nil
}

// validPort reports whether p (all digits, as url.Parse leaves it) is a
// TCP port number.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
