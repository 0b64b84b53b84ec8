package engine

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// FileError is ReadCapped's refusal of a file: not a regular file, or
// larger than the limit.
type FileError struct {
	// NotRegular is true for a device, a directory, a named pipe, ...;
	// Mode then says which.
	NotRegular bool
	Mode       fs.FileMode
	// Size is the file's size (at least Limit+1 when it grew while being
	// read) and Limit the most ReadCapped accepted.
	Size, Limit int64
}

func (e *FileError) Error() string {
	if e.NotRegular {
		return FileKind(e.Mode) + ", not a regular file"
	}
	return fmt.Sprintf("%d bytes, over the limit of %d (%s)", e.Size, e.Limit, SizeText(e.Limit))
}

// ReadCapped reads the regular file path, refusing with a *FileError
// anything else (a device such as /dev/zero, a named pipe, a directory) and
// any file over limit bytes, without reading more than limit+1 bytes. It
// looks before it opens, since opening a named pipe blocks, and again after,
// in case the path was replaced in between. Files from flags, scenarios and
// Secrets mounts all go through it.
func ReadCapped(path string, limit int64) ([]byte, error) {
	refuse := func(fi fs.FileInfo) error {
		switch {
		case !fi.Mode().IsRegular():
			return &FileError{NotRegular: true, Mode: fi.Mode(), Limit: limit}
		case fi.Size() > limit:
			return &FileError{Size: fi.Size(), Limit: limit}
		}
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := refuse(fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := refuse(fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit { // grew while being read
		return nil, &FileError{Size: int64(len(b)), Limit: limit}
	}
	return b, nil
}

// FileKind names the type of a file that is not a regular one.
func FileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	}
	return "a special file (" + m.Type().String() + ")"
}

// SizeText is a size as people write limits: 4 KiB, 10 MiB, 100 bytes.
func SizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
