package engine

// Error is a failure of an adapter's call (the broker's management API, the
// Kubernetes API), worded for an operator. It keeps both the engine sentinel
// that classifies it (Kind, for errors.Is, metrics and exit codes) and the
// underlying cause (Err, for errors.Is(err, context.DeadlineExceeded),
// syscall.ECONNREFUSED, apierrors.IsXxx ...). The rabbit and kube packages
// both return it.
type Error struct {
	// Kind is one of the sentinels: ErrNotFound, ErrUnauthorized, ...
	Kind error
	// Msg is the whole message Error returns: one line, free of secrets and
	// of control characters (see Printable).
	Msg string
	// Err is the underlying cause (may be nil). Its text is never printed
	// through Error, since it may hold what Msg leaves out on purpose.
	Err error
}

// Error returns the operator-facing message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
