package tui

import "github.com/charmbracelet/bubbles/key"

// listKeys are the fleet list's bindings: moving, filtering, sorting and
// opening, beside the single-target actions (which act on the selected
// target).
type listKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Filter, Sort, Open, Clear               key.Binding
	act                                     *KeyMap
}

func newListKeys(act *KeyMap) listKeys {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return listKeys{
		Up:       b([]string{"up", "k"}, "↑/k", "up"),
		Down:     b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:   b([]string{"pgup", "ctrl+b"}, "pgup", "page up"),
		PageDown: b([]string{"pgdown", "ctrl+f"}, "pgdn", "page down"),
		Top:      b([]string{"home", "g"}, "g", "first"),
		Bottom:   b([]string{"end", "G"}, "G", "last"),
		Filter:   b([]string{"/"}, "/", "filter"),
		Sort:     b([]string{"o"}, "o", "sort"),
		Open:     b([]string{"enter"}, "enter", "open"),
		Clear:    b([]string{"esc"}, "esc", "clear filter"),
		act:      act,
	}
}

// ShortHelp implements help.KeyMap.
func (k listKeys) ShortHelp() []key.Binding {
	a := k.act
	return []key.Binding{k.Up, k.Filter, k.Sort, k.Open, a.Approve, a.Auto, a.Pause, a.Refresh, a.Help, a.Quit}
}

// FullHelp implements help.KeyMap: moving, the list, the selected
// target's actions.
func (k listKeys) FullHelp() [][]key.Binding {
	a := k.act
	return [][]key.Binding{
		{k.Up, k.Down, fk(k.PageUp, "pgup/pgdn", "page"), fk(k.Top, "g/G", "first/last")},
		{k.Filter, k.Clear, fk(k.Sort, "o", "sort name/depth/change"), fk(k.Open, "enter", "open (esc returns)"), fk(a.Refresh, "r", "poll all now"), fk(a.Help, "?", "close help"), fk(a.Quit, "q", "quit")},
		{fk(a.Approve, "a", "approve"), fk(a.Auto, "A/t", "auto on/off"), fk(a.DryRun, "d", "dry-run on/off"), fk(a.Pause, "p", "pause/resume")},
		{fk(a.MinDown, "[ ]", "min −1/+1"), fk(a.MaxDown, "{ }", "max −1/+1"), fk(a.TargetDn, "- +", "target"), fk(a.Set, "s", "set min max target")},
	}
}
