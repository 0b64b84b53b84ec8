package rabbit

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/yeeter/yeetscale/engine"
)

// Size caps of the files the options read.
const (
	MaxPasswordFile = 4 << 10 // --password-file
	MaxCAFile       = 1 << 20 // --mgmt-ca-file
)

// fileError words a failure to read the file of flag as a one-line
// *engine.ConfigError that says what to do.
func fileError(flag, path string, err error) error {
	what := "the password alone"
	if flag == FlagCAFile {
		what = "PEM CA certificates"
	}
	var fe *engine.FileError
	var allowed string
	switch {
	case errors.As(err, &fe) && fe.NotRegular:
		allowed = fmt.Sprintf("is not a regular file (%s): give a file that holds %s", engine.FileKind(fe.Mode), what)
	case errors.As(err, &fe):
		allowed = fmt.Sprintf("is larger than %s: give a file that holds %s", engine.SizeText(fe.Limit), what)
	default:
		allowed = "cannot be read (" + fileProblem(err) + ")"
	}
	return &engine.ConfigError{Flag: flag, Value: engine.Printable(path), Allowed: allowed}
}

// fileProblem says why a file could not be read, without repeating its path.
func fileProblem(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return engine.Printable(pe.Err.Error())
	}
	return engine.Printable(err.Error())
}
