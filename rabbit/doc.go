// Package rabbit reads a queue's depth and rates from the RabbitMQ management
// HTTP API and implements engine.QueueSource.
//
// One poll is one GET of /api/queues/{vhost}/{queue} with the columns
// parameter limited to the fields used. Every error is one line for an
// operator, names what is wrong and what to do, wraps one of the engine's
// sentinel errors (engine.ErrNotFound, ErrUnauthorized, ErrForbidden,
// ErrUnavailable, ErrBadResponse) and never contains the password.
//
// The client is written on net/http rather than rabbit-hole: see client.go.
package rabbit
