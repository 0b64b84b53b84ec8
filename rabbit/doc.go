// Package rabbit reads a queue's depth and rates from the RabbitMQ management
// HTTP API and implements engine.QueueSource and, for a fleet,
// engine.QueueLister.
//
// One poll is one GET of /api/queues/{vhost}/{queue} with the columns
// parameter limited to the fields used. A fleet's poll of a vhost
// (ListQueues) is one GET of /api/queues/{vhost} per page of 500 queues,
// with the same columns plus the name, decoded as strictly (see list.go).
// Every error is an *engine.Error:
// one line for an operator that names what is wrong and what to do, with one
// of the engine's sentinels as its Kind (engine.ErrNotFound,
// ErrUnauthorized, ErrForbidden, ErrUnavailable, ErrBadResponse, or
// context.Canceled for a stop) and the underlying failure as its cause, so
// that errors.Is(err, context.DeadlineExceeded) or syscall.ECONNREFUSED
// holds. No error contains the password in any form (a response body appears
// only as a short excerpt with every spelling of the password removed), a
// --mgmt-url appears only redacted, and outside text (names, the broker's
// reasons) has its control characters escaped.
//
// Counts are whole numbers from 0 to 2^53-1; anything else in the JSON is a
// bad response, never a number. Message rates come from the broker's rate
// fields or, when those are missing, zero while the counters move, or spiky,
// from the cumulative counters between two statistics refreshes (see
// rates.go); QueueStats.RatesFrom says which.
//
// The client is written on net/http rather than rabbit-hole: see client.go.
package rabbit
