package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"
)

// The memory is what a controller keeps between processes (Options.Memory):
// the recent history the policies read, so that successive `--once` runs
// decide as one continuous controller would. It holds, per observation, what
// some policy reads: the time, whether the poll succeeded, the queue's
// counts and rates (the adaptive policy's estimates), the deployment's size
// before and after (changes, for bounce detection and the HPA model's step
// limit), the recommendation (scale-down windows) and the bursty flag.
//
// Encoding (version 1), compact JSON:
//
//	{"v":1,"t":<unix ms of the first entry>,"o":[[<ms since the previous
//	entry>, <flags: 1 ok, 2 bursty, 4 scale-down held
//	for idle pods>, messages, ready, unacked, consumers,
//	<spec.replicas before>, <after>, <recommendation, -1 for none>,
//	<publish/s or null>, <deliver/s or null>, <ack/s or null>], ...]}
const memoryVersion = 1

// Bounds of a memory, written or read.
const (
	// MaxMemoryBytes is the largest memory written or accepted.
	MaxMemoryBytes = 16 << 10
	// MaxMemoryEntries is the most observations a memory holds.
	MaxMemoryEntries = 200
	// memorySkew is how far in the future an entry may be (clocks of two
	// hosts running --once disagree a little) before the memory is refused.
	memorySkew = time.Minute
	// memoryFields is the length of one encoded entry.
	memoryFields = 12
)

// memoryHorizon is how far back the policies look: the adaptive policy's
// rate memory, three scale-down windows (its bounce detection), the HPA
// model's window, --idle-before-zero, --scale-in-wait-idle (a held
// scale-down's start), plus two polls of margin.
func memoryHorizon(cfg Config) time.Duration {
	return max(adaptiveMemory, 3*cfg.ScaleDownWindow, hpaDownWindow, cfg.IdleBeforeZero, cfg.ScaleInWaitIdle) + 2*cfg.PollInterval
}

type memoryDoc struct {
	V int          `json:"v"`
	T int64        `json:"t"`
	O [][]*float64 `json:"o"`
}

// encodeMemory encodes the newest observations of hist (oldest first) that
// fall within the horizon, at most MaxMemoryEntries of them and at most
// MaxMemoryBytes.
func encodeMemory(hist []Observation, cfg Config, now time.Time) string {
	from := len(hist)
	for from > 0 && now.Sub(hist[from-1].At) <= memoryHorizon(cfg) && len(hist)-from < MaxMemoryEntries {
		from--
	}
	hist = hist[from:]
	for {
		out := encodeEntries(hist)
		if len(out) <= MaxMemoryBytes || len(hist) == 0 {
			return out
		}
		hist = hist[max(1, len(hist)/10):] // the oldest tenth goes first
	}
}

func encodeEntries(hist []Observation) string {
	doc := memoryDoc{V: memoryVersion, O: make([][]*float64, 0, len(hist))}
	if len(hist) > 0 {
		doc.T = hist[0].At.UnixMilli()
	}
	num := func(v float64) *float64 { return &v }
	rate := func(r Rate) *float64 {
		if !r.Known {
			return nil
		}
		return num(r.PerSecond)
	}
	prev := doc.T
	for _, o := range hist {
		at := o.At.UnixMilli()
		flags := 0.0
		if o.OK {
			flags++
		}
		if o.Decision.Bursty {
			flags += 2
		}
		if o.IdleHold {
			flags += 4
		}
		s := o.Stats
		doc.O = append(doc.O, []*float64{num(float64(at - prev)), num(flags),
			num(float64(s.Messages)), num(float64(s.Ready)), num(float64(s.Unacked)), num(float64(s.Consumers)),
			num(float64(o.Scale.Desired)), num(float64(o.Applied)), num(float64(o.Decision.Recommendation)),
			rate(s.PublishRate), rate(s.DeliverRate), rate(s.AckRate)})
		prev = at
	}
	out, _ := json.Marshal(doc) // finite numbers only: cannot fail
	return string(out)
}

// decodeMemory reads a memory back, oldest first, keeping what falls within
// the horizon. Anything wrong (another version, too large, malformed, a
// count or a rate no broker reports, times that go backwards or lie in the
// future) refuses the whole memory with an error saying why: the caller
// then decides with no memory rather than with a doubtful one.
func decodeMemory(text string, cfg Config, now time.Time) ([]Observation, error) {
	if text == "" {
		return nil, nil
	}
	if len(text) > MaxMemoryBytes {
		return nil, fmt.Errorf("%d bytes, more than the %d a memory may have", len(text), MaxMemoryBytes)
	}
	var doc memoryDoc
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a memory: %s", Printable(err.Error()))
	}
	if dec.More() {
		return nil, errors.New("not a memory: trailing data")
	}
	switch {
	case doc.V != memoryVersion:
		return nil, fmt.Errorf("version %d, this yeetscale reads version %d", doc.V, memoryVersion)
	case len(doc.O) > MaxMemoryEntries:
		return nil, fmt.Errorf("%d entries, more than the %d a memory may have", len(doc.O), MaxMemoryEntries)
	}
	var out []Observation
	at := time.UnixMilli(doc.T)
	for i, e := range doc.O {
		o, err := decodeEntry(e, i, at)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if o.At.After(now.Add(memorySkew)) {
			return nil, fmt.Errorf("entry %d is from the future (%s, now %s): was it written by a host whose clock is ahead?",
				i, o.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		at = o.At
		if now.Sub(o.At) <= memoryHorizon(cfg) {
			out = append(out, o)
		}
	}
	return out, nil
}

// decodeEntry decodes entry i, whose time is after prev (strictly, but for
// the first entry, which is at prev).
func decodeEntry(e []*float64, i int, prev time.Time) (Observation, error) {
	if len(e) != memoryFields {
		return Observation{}, fmt.Errorf("%d fields, want %d", len(e), memoryFields)
	}
	ints := make([]int64, 9)
	limits := []struct {
		name     string
		min, max float64
	}{{"time step", 0, float64(30 * 24 * time.Hour / time.Millisecond)}, {"flags", 0, 7},
		{"messages", 0, MaxPlausibleMessages}, {"ready", 0, MaxPlausibleMessages}, {"unacked", 0, MaxPlausibleMessages},
		{"consumers", 0, MaxPlausibleConsumers}, {"replicas before", 0, math.MaxInt32}, {"replicas after", 0, math.MaxInt32},
		{"recommendation", -1, math.MaxInt32}}
	for j, l := range limits {
		v := e[j]
		if v == nil || *v != math.Trunc(*v) || *v < l.min || *v > l.max {
			return Observation{}, fmt.Errorf("%s is not a whole number from %.0f to %.0f", l.name, l.min, l.max)
		}
		ints[j] = int64(*v)
	}
	if i > 0 && ints[0] == 0 {
		return Observation{}, errors.New("its time is not after the previous entry's")
	}
	var rates [3]Rate
	for j := range rates {
		if v := e[9+j]; v != nil {
			if *v < 0 || *v > maxPlausibleRate {
				return Observation{}, fmt.Errorf("rate %g is not from 0 to %g", *v, maxPlausibleRate)
			}
			rates[j] = KnownRate(*v)
		}
	}
	s := QueueStats{Messages: ints[2], Ready: ints[3], Unacked: ints[4], Consumers: int(ints[5]),
		PublishRate: rates[0], DeliverRate: rates[1], AckRate: rates[2]}
	if err := CheckStats(s); err != nil {
		return Observation{}, err
	}
	applied := int32(ints[7])
	return Observation{
		At: prev.Add(time.Duration(ints[0]) * time.Millisecond), OK: ints[1]&1 != 0, Stats: s,
		Scale:    Scale{Desired: int32(ints[6])},
		Decision: Decision{Desired: applied, Recommendation: int32(ints[8]), Bursty: ints[1]&2 != 0, Reason: "remembered"},
		Applied:  applied, IdleHold: ints[1]&4 != 0,
	}, nil
}

// memorySaveEvery is how often a continuous controller saves its memory
// when nothing changed: a handover (a restart, a new leader) then loses at
// most this much, for one write a minute at most.
const memorySaveEvery = time.Minute

// memorySlot numbers the memorySaveEvery-long slot that t falls in. Each
// Deployment's slots start at its own offset within the minute (a hash of
// its name), so that a fleet of targets polled in the same rounds spreads
// its periodic saves over the minute instead of sending them all in one
// round.
func memorySlot(t time.Time, cfg Config) int64 {
	h := fnv.New64a()
	h.Write([]byte(cfg.Namespace + "/" + cfg.Deployment))
	phase := time.Duration(h.Sum64() % uint64(memorySaveEvery))
	return int64(t.Add(-phase).Sub(time.Unix(0, 0)) / memorySaveEvery)
}

// loadMemory seeds the history from the memory store, once, before the
// first poll. A memory that cannot be read or trusted is logged and left
// out: the controller then decides with the history it has. c.op must be
// held and c.mu must not.
func (c *Controller) loadMemory(ctx context.Context) {
	if c.memory == nil || c.memLoaded {
		return
	}
	c.memLoaded = true
	cctx, cancel := c.readCtx(ctx)
	text, err := c.memory.LoadMemory(cctx)
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.eventLocked(EventInfo, "memory", "memory not loaded, deciding without it: %v", err)
		return
	}
	hist, err := decodeMemory(text, c.cfg, c.clock.Now())
	if err != nil {
		c.eventLocked(EventInfo, "memory", "memory ignored, deciding without it: %v", err)
		return
	}
	if c.hist.Len() > 0 {
		return // a controller's own history is newer than any memory
	}
	for _, o := range hist {
		c.hist.Push(o)
	}
}

// saveMemory writes the memory after a poll or an approval: at once when
// the deployment changed, and otherwise once per memorySaveEvery (a
// controller's first poll always saves, so that every --once run does).
// Dry-run mode writes nothing. c.op must be held and c.mu must not.
func (c *Controller) saveMemory(ctx context.Context, changed bool) {
	c.mu.Lock()
	now := c.clock.Now()
	due := changed || c.memSaved.IsZero() || memorySlot(now, c.cfg) != memorySlot(c.memSaved, c.cfg)
	if c.memory == nil || c.mode == ModeDryRun || !due {
		c.mu.Unlock()
		return
	}
	text := encodeMemory(c.hist.Slice(), c.cfg, now)
	c.mu.Unlock()
	cctx, cancel := c.updateCtx(ctx)
	err := c.memory.SaveMemory(cctx, text)
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.eventLocked(EventInfo, "memory", "memory not saved: %v", err)
		c.publishLocked(nil)
		return
	}
	c.memSaved = now
}
