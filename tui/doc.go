// Package tui is yeetscale's operations console: a Bubble Tea program that
// renders engine snapshots (queue depth, replicas, the decision and the event
// log) and turns keys into engine commands (approve, auto-apply, clamp,
// target, dry-run, pause, poll now).
//
// All I/O happens in tea.Cmds: snapshots arrive through the engine's
// subscription channel, read one at a time by a command that is re-armed
// after each message, and every engine command runs inside a command. Update
// and View never block.
//
// Run opens the console; New returns the root model for tests and embedding.
package tui
