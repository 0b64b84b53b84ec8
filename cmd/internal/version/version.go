// Package version holds the build's version, commit and date, set with
// -ldflags "-X" by the Makefile.
package version

import "fmt"

// Set at build time.
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

// String returns "yeetscale VERSION (commit COMMIT, built DATE)".
func String() string {
	return fmt.Sprintf("yeetscale %s (commit %s, built %s)", Version, Commit, Date)
}
