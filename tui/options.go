package tui

import (
	"io"
	"time"
)

// Options configure the console. The zero value works; labels default to
// empty strings shown as "?".
type Options struct {
	// Context is the kube context name (for the demo: "demo (simulated)").
	Context string
	// Namespace and Deployment name the worker deployment.
	Namespace, Deployment string
	// VHost and Queue name the RabbitMQ queue.
	VHost, Queue string
	// Hint is a short note shown in the header (e.g. "simulated, 10x speed").
	Hint string
	// AutoHint adds to the hint what the auto key does in the mode shown:
	// "A: auto off, approve by hand" in auto mode, "A: auto on" in any
	// other (none in read-only). It follows the mode as it changes.
	AutoHint bool
	// Shadow names the KEDA ScaledObject (in Namespace) that scales the
	// Deployment while the console only proposes (--from-scaledobject in
	// dry-run): the console then shows the live replicas next to the
	// proposal and the running tally. "" for none.
	Shadow string

	// ReadOnly disables every action: the bindings are disabled (and so
	// hidden from help), and Run puts the engine in dry-run mode.
	ReadOnly bool
	// NoColor renders without colour (also implied by NO_COLOR).
	NoColor bool
	// By names the operator in the engine's event log (default "operator").
	By string

	// In and Out are the terminal (default os.Stdin, os.Stdout).
	In  io.Reader
	Out io.Writer
	// Now is the clock the age display reads; it must be the engine's clock
	// (default time.Now). Tests pin it.
	Now func() time.Time
	// Location formats event times (default time.Local).
	Location *time.Location
	// Tick is how often the age display refreshes: 0 means every second,
	// negative never (golden tests).
	Tick time.Duration
}

func (o Options) withDefaults() Options {
	if o.By == "" {
		o.By = "operator"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Tick == 0 {
		o.Tick = time.Second
	}
	return o
}
