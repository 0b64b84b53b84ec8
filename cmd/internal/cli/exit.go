package cli

import (
	"errors"

	"github.com/yeeter/yeetscale/engine"
)

// Exit codes, documented in README.md.
const (
	ExitOK      = 0
	ExitFailure = 1 // anything not classified below
	ExitUsage   = 2 // bad flags, arguments, configuration or scenario
	ExitBroker  = 3 // RabbitMQ unreachable, wrong credentials, queue missing
	ExitCluster = 4 // Kubernetes unreachable, forbidden, deployment missing, conflict
	ExitRefused = 5 // another autoscaler owns the deployment, or nothing may be applied
	// ExitInterrupted is --once stopped by SIGINT before it finished
	// (128 + 2, as a shell reports it; SIGTERM gives 143).
	ExitInterrupted = 130
)

// usageError marks an error as the user's input being wrong.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usage wraps err as a usage error (exit 2).
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// sideError tags an error with the side (broker or cluster) it came from.
type sideError struct {
	code int
	err  error
}

func (e sideError) Error() string { return e.err.Error() }
func (e sideError) Unwrap() error { return e.err }

func brokerErr(err error) error {
	if err == nil {
		return nil
	}
	return sideError{ExitBroker, err}
}

func clusterErr(err error) error {
	if err == nil {
		return nil
	}
	return sideError{ExitCluster, err}
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var u usageError
	var s sideError
	var ce *engine.ConfigError
	var in interrupted
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &in):
		return in.code()
	case errors.As(err, &u), errors.As(err, &ce):
		return ExitUsage
	case errors.Is(err, engine.ErrRefused):
		return ExitRefused
	case errors.As(err, &s):
		return s.code
	}
	return ExitFailure
}
