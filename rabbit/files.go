package rabbit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/yeeter/yeetscale/engine"
)

// Size caps of the files the options read.
const (
	MaxPasswordFile = 4 << 10 // --password-file
	MaxCAFile       = 1 << 20 // --mgmt-ca-file
)

// errNotRegular and errTooBig say why readCapped refused a file.
var (
	errNotRegular = errors.New("not a regular file")
	errTooBig     = errors.New("too big")
)

// capError is readCapped's refusal, with what fileError needs to word it.
type capError struct {
	err   error       // errNotRegular or errTooBig
	mode  fs.FileMode // for errNotRegular
	limit int64       // for errTooBig
}

func (e *capError) Error() string { return e.err.Error() }
func (e *capError) Unwrap() error { return e.err }

// readCapped reads the regular file path, refusing anything else (a device
// such as /dev/zero, a FIFO, a directory) and any file over limit bytes,
// without reading more than limit+1 bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &capError{err: errNotRegular, mode: st.Mode()}
	}
	if st.Size() > limit {
		return nil, &capError{err: errTooBig, limit: limit}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() { // swapped since the Stat above
		return nil, &capError{err: errNotRegular, mode: st.Mode()}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &capError{err: errTooBig, limit: limit}
	}
	return b, nil
}

// fileError words a failure to read the file of flag as a one-line
// *engine.ConfigError that says what to do.
func fileError(flag, path string, err error) error {
	what := "the password alone"
	if flag == FlagCAFile {
		what = "PEM CA certificates"
	}
	var ce *capError
	var allowed string
	switch {
	case errors.As(err, &ce) && errors.Is(err, errNotRegular):
		allowed = fmt.Sprintf("is not a regular file (%s): give a file that holds %s", kindOf(ce.mode), what)
	case errors.As(err, &ce):
		allowed = fmt.Sprintf("is larger than %s: give a file that holds %s", sizeText(ce.limit), what)
	default:
		allowed = "cannot be read (" + fileProblem(err) + ")"
	}
	return &engine.ConfigError{Flag: flag, Value: engine.Printable(path), Allowed: allowed}
}

// kindOf names a non-regular file mode.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.Type().String()
}

// sizeText is 4 KiB or 1 MiB.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fileProblem says why a file could not be read, without repeating its path.
func fileProblem(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return engine.Printable(pe.Err.Error())
	}
	return engine.Printable(err.Error())
}
