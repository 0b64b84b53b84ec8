package cli

import (
	"bytes"
	"fmt"
	"io"
)

// jsonSafe writes JSON text with DEL and the C1 controls (U+0080 to U+009F)
// escaped as \u00XX. encoding/json and slog's JSON handler escape the C0
// controls but leave these raw, and a terminal may act on them (U+009B is
// CSI); escaped, the JSON means the same, so a script reads the exact name
// while a terminal sees only printable text. Each Write must hold whole
// UTF-8 characters, as an encoder's or a handler's one write per value or
// record does.
type jsonSafe struct{ w io.Writer }

func (j jsonSafe) Write(p []byte) (int, error) {
	if !hasC1(p) {
		return j.w.Write(p)
	}
	var b bytes.Buffer
	b.Grow(len(p) + 16)
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == 0x7f:
			b.WriteString(`\u007f`)
		case isC1(p, i):
			fmt.Fprintf(&b, `\u%04x`, p[i+1])
			i++
		default:
			b.WriteByte(p[i])
		}
	}
	if _, err := j.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// isC1 reports whether p[i:] starts with the UTF-8 encoding of a C1
// control: 0xC2 followed by 0x80 to 0x9F.
func isC1(p []byte, i int) bool {
	return p[i] == 0xc2 && i+1 < len(p) && p[i+1] >= 0x80 && p[i+1] <= 0x9f
}

func hasC1(p []byte) bool {
	for i := range p {
		if p[i] == 0x7f || isC1(p, i) {
			return true
		}
	}
	return false
}
