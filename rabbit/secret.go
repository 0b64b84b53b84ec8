package rabbit

import (
	"encoding/json"
	"log/slog"
)

// Secret is a string that prints as "[redacted]" with fmt (%v, %s, %q, %+v,
// %#v), so that printing an Options value never shows the password.
type Secret string

// String returns "[redacted]" for a non-empty secret and "" for an empty one.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// Reveal returns the secret's value; call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// MarshalJSON keeps the secret out of JSON: it encodes as String does.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
