package engine

// Matcher returns whether a queue name is one of the set's: one of Names,
// or, for a pattern, a whole-name match of Pattern as the fleet's rounds
// match it. It fails when the pattern does not compile.
func (q QueueSet) Matcher() (func(name string) bool, error) {
	if q.Pattern != "" {
		re, err := compileQueuePattern(q.Pattern)
		if err != nil {
			return nil, err
		}
		return re.MatchString, nil
	}
	names := make(map[string]bool, len(q.Names))
	for _, n := range q.Names {
		names[n] = true
	}
	return func(name string) bool { return names[name] }, nil
}
