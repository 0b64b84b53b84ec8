package sim

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/yeeter/yeetscale/engine"
)

// MaxScenarioBytes is the largest scenario file Load reads: 10 MiB, a
// thousand times the largest real scenario, and a bound on what a wrong
// path (/dev/zero, a log file) can make the command read into memory.
const MaxScenarioBytes = 10 << 20

// readScenarioFile reads path, which must be a regular file of at most
// MaxScenarioBytes. Its errors name the path and say what a scenario is.
func readScenarioFile(path string) ([]byte, error) {
	name := engine.Printable(path)
	fail := func(err error) ([]byte, error) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("reading scenario %s: %w", name, err)
	}
	refuse := func(fi fs.FileInfo) error {
		switch {
		case !fi.Mode().IsRegular():
			return fmt.Errorf("scenario %s is %s, not a regular file: give a JSON scenario file", name, fileKind(fi.Mode()))
		case fi.Size() > MaxScenarioBytes:
			return fmt.Errorf("scenario %s is %d bytes, over the limit of %d (10 MiB): is it really a scenario file?", name, fi.Size(), MaxScenarioBytes)
		}
		return nil
	}
	// Stat before opening: opening a named pipe would block.
	fi, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if err := refuse(fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return fail(err)
	}
	if err := refuse(fi); err != nil { // replaced since the Stat above
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxScenarioBytes+1))
	if err != nil {
		return fail(err)
	}
	if len(data) > MaxScenarioBytes { // grew while being read
		return nil, fmt.Errorf("scenario %s holds more than %d bytes (10 MiB): is it really a scenario file?", name, MaxScenarioBytes)
	}
	return data, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}
