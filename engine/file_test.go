package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadCapped(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	big := filepath.Join(dir, "big")
	fifo := filepath.Join(dir, "fifo")
	if err := os.WriteFile(ok, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, []byte("01234567890"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string // want: "" to read, else a part of the error
	}{
		{"at the limit", ok, ""},
		{"one byte over", big, "11 bytes, over the limit of 10 (10 bytes)"},
		{"a device that never ends", "/dev/zero", "a device, not a regular file"},
		{"a directory", dir, "a directory, not a regular file"},
		{"a named pipe (opening it would block)", fifo, "a named pipe, not a regular file"},
		{"missing", filepath.Join(dir, "nope"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadCapped(tt.path, 10)
			if tt.want == "" {
				if err != nil || string(b) != "0123456789" {
					t.Fatalf("ReadCapped = %q, %v", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadCapped error = %v, want %q", err, tt.want)
			}
			var fe *FileError
			if strings.Contains(tt.want, "not a regular file") != (errors.As(err, &fe) && fe.NotRegular) {
				t.Fatalf("error %v: NotRegular does not match", err)
			}
		})
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{4 << 10: "4 KiB", 10 << 20: "10 MiB", 100: "100 bytes", 1500: "1500 bytes"} {
		if got := SizeText(n); got != want {
			t.Errorf("SizeText(%d) = %q, want %q", n, got, want)
		}
	}
}
