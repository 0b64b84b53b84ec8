// Package engine is yeetscale's headless core: configuration, the scaling
// policies (pure decision math), the poll -> decide -> apply controller, its
// bounded history and its events.
//
// The engine declares the small interfaces it consumes (QueueSource, Scaler,
// Clock); the rabbit, kube and engine/sim packages implement them. It never
// imports client-go, a RabbitMQ client or a terminal library, so the console,
// the headless mode and the simulator all run the same decision code.
package engine
