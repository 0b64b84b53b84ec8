package sim

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/yeeter/yeetscale/engine"
)

// MaxScenarioBytes is the largest scenario file Load reads: 10 MiB, a
// thousand times the largest real scenario, and a bound on what a wrong
// path (/dev/zero, a log file) can make the command read into memory.
const MaxScenarioBytes = 10 << 20

// readScenarioFile reads path, which must be a regular file of at most
// MaxScenarioBytes. Its errors name the path and say what a scenario is.
func readScenarioFile(path string) ([]byte, error) {
	data, err := engine.ReadCapped(path, MaxScenarioBytes)
	name := engine.Printable(path)
	var fe *engine.FileError
	var pe *fs.PathError
	switch {
	case err == nil:
		return data, nil
	case errors.As(err, &fe) && fe.NotRegular:
		return nil, fmt.Errorf("scenario %s is %s: give a JSON scenario file", name, fe)
	case errors.As(err, &fe):
		return nil, fmt.Errorf("scenario %s is %s: is it really a scenario file?", name, fe)
	case errors.As(err, &pe):
		err = pe.Err
	}
	return nil, fmt.Errorf("reading scenario %s: %w", name, err)
}
