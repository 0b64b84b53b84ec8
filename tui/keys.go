package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the console's key bindings. Disabled bindings neither match nor
// show in help.
type KeyMap struct {
	Approve  key.Binding
	Auto     key.Binding
	MinDown  key.Binding
	MinUp    key.Binding
	MaxDown  key.Binding
	MaxUp    key.Binding
	TargetDn key.Binding
	TargetUp key.Binding
	Set      key.Binding
	DryRun   key.Binding
	Pause    key.Binding
	Refresh  key.Binding
	// Pods shows the worker pods (idle, busy, next to go) instead of the
	// events.
	Pods key.Binding
	Help key.Binding
	Quit key.Binding
	Yes  key.Binding
	No   key.Binding
	// Back returns to the fleet list; enabled only in a console opened
	// from it.
	Back key.Binding
}

// DefaultKeyMap returns the console's keys.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	back := b([]string{"esc"}, "esc", "list")
	back.SetEnabled(false)
	return KeyMap{
		Back:     back,
		Approve:  b([]string{"a"}, "a", "approve"),
		Auto:     b([]string{"A", "t"}, "A", "auto"),
		MinDown:  b([]string{"["}, "[ ]", "min"),
		MinUp:    b([]string{"]"}, "]", "min +1"),
		MaxDown:  b([]string{"{"}, "{ }", "max"),
		MaxUp:    b([]string{"}"}, "}", "max +1"),
		TargetDn: b([]string{"-", "_"}, "-+", "target"),
		TargetUp: b([]string{"+", "="}, "+", "target up"),
		Set:      b([]string{"s"}, "s", "set min max target"),
		DryRun:   b([]string{"d"}, "d", "dry-run"),
		Pause:    b([]string{"p", " "}, "p", "pause"),
		Refresh:  b([]string{"r"}, "r", "poll"),
		Pods:     b([]string{"o"}, "o", "pods"),
		Help:     b([]string{"?"}, "?", "more"),
		Quit:     b([]string{"q", "ctrl+c"}, "q", "quit"),
		Yes:      b([]string{"y", "Y"}, "y", "yes"),
		No:       b([]string{"n", "N", "esc"}, "n", "no"),
	}
}

// actions are the bindings that change something; read-only disables them.
func (k *KeyMap) actions() []*key.Binding {
	return []*key.Binding{&k.Approve, &k.Auto, &k.MinDown, &k.MinUp, &k.MaxDown, &k.MaxUp, &k.TargetDn, &k.TargetUp, &k.Set, &k.DryRun, &k.Pause}
}

// SetReadOnly disables (or re-enables) every binding that changes something.
func (k *KeyMap) SetReadOnly(ro bool) {
	for _, b := range k.actions() {
		b.SetEnabled(!ro)
	}
}

// ShortHelp implements help.KeyMap. The paired keys ([ ], { }, - +) show
// once, under their first binding.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Back, k.Approve, k.Auto, k.MinDown, k.MaxDown, k.TargetDn, k.Pause, k.DryRun, k.Refresh, k.Help, k.Quit}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{fk(k.Approve, "a", "approve the proposal"), fk(k.Auto, "A/t", "auto-apply on/off"), fk(k.DryRun, "d", "dry-run on/off"), fk(k.Pause, "p/space", "pause/resume")},
		{fk(k.MinDown, "[ ]", "min replicas −1/+1"), fk(k.MaxDown, "{ }", "max replicas −1/+1"), fk(k.TargetDn, "- +", "target msgs/replica"), fk(k.Set, "s", "type min, max, target")},
		{fk(k.Back, "esc", "back to the list"), fk(k.Refresh, "r", "poll now"), fk(k.Pods, "o", "pods / events"), fk(k.Help, "?", "close help"), fk(k.Quit, "q/ctrl+c", "quit")},
	}
}

// fk is b with other help text (the full help's longer words).
func fk(b key.Binding, keys, desc string) key.Binding {
	b.SetHelp(keys, desc)
	return b
}
