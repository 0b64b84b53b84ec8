package engine

import (
	"context"
	"sort"
	"sync"
	"time"
)

// vhostList is one vhost's queues as a round read them, or why not.
type vhostList struct {
	queues map[string]QueueStats
	names  nameSet
	err    error
}

// round polls the due targets (every target that can run when all), with
// the changes it applies recorded as made by by, and publishes the fleet's
// snapshot. When no target is due (and not all), or once the fleet is
// closed, it does nothing and returns the last snapshot.
func (f *Fleet) round(ctx context.Context, by string, all bool) FleetSnapshot {
	f.op.Lock()
	defer f.op.Unlock()
	f.mu.Lock()
	now := f.clock.Now()
	var due []*member
	for _, k := range f.keys {
		if m := f.members[k]; m.ctrl != nil && (all || !m.next.After(now)) {
			due = append(due, m)
		}
	}
	if f.closing || (len(due) == 0 && !all) {
		defer f.mu.Unlock()
		return f.snap
	}
	f.mu.Unlock()
	lists := f.listVHosts(ctx, due)
	f.pollMembers(ctx, due, lists, by, now)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.publishLocked()
}

// listVHosts reads the queues of every vhost of the due targets: one
// ListQueues call per vhost, at most fleetListers at once.
func (f *Fleet) listVHosts(ctx context.Context, due []*member) map[string]vhostList {
	timeout := f.timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
		for _, m := range due {
			timeout = min(timeout, m.target.Config.PollInterval)
		}
	}
	seen := map[string]bool{}
	var vhosts []string
	for _, m := range due {
		if v := m.target.Config.VHost; !seen[v] {
			seen[v] = true
			vhosts = append(vhosts, v)
		}
	}
	sort.Strings(vhosts)
	out := make(map[string]vhostList, len(vhosts))
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, fleetListers)
	)
	for _, v := range vhosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			queues, err := f.lister.ListQueues(cctx, v)
			cancel()
			if err != nil && ctx.Err() != nil {
				err = interrupted(ctx, err)
			}
			names := namesOf(f.seed, queues)
			mu.Lock()
			out[v] = vhostList{queues: queues, names: names, err: err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// pollMembers hands each due target its share of the lists and polls its
// controller, at most f.workers at once.
func (f *Fleet) pollMembers(ctx context.Context, due []*member, lists map[string]vhostList, by string, now time.Time) {
	jobs := make(chan *member)
	var wg sync.WaitGroup
	for range min(f.workers, len(due)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range jobs {
				f.pollMember(ctx, m, lists[m.target.Config.VHost], by, now)
			}
		}()
	}
	for _, m := range due {
		jobs <- m
	}
	close(jobs)
	wg.Wait()
}

// pollMember polls one target on this round's list of its vhost, and
// schedules its next poll.
func (f *Fleet) pollMember(ctx context.Context, m *member, l vhostList, by string, now time.Time) {
	c := combined{err: l.err}
	if l.err == nil {
		c = m.match.combine(m.target.Config, m.target.Config.VHost, l.queues, l.names)
	}
	m.source.set(c.stats, c.err)
	s := m.ctrl.pollKept(ctx, by)
	next := dueAt(now, s.RetryIn(), s.Config.PollInterval)
	m.ctrl.mu.Lock()
	// Published, so that a target's console opened from the fleet says
	// when the next poll comes instead of "polling…".
	m.ctrl.publishLocked(func(s *Snapshot) { s.NextPoll = next })
	m.ctrl.mu.Unlock()
	f.mu.Lock()
	m.next, m.depths = next, c.depths
	f.mu.Unlock()
}
