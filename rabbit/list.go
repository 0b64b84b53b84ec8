package rabbit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// Listing every queue of a vhost (a fleet's one read per vhost per poll).
//
// GET /api/queues/{vhost}?page=N&page_size=500&columns=name,... answers, on
// RabbitMQ 3.10, {"filtered_count","item_count","items":[...],"page",
// "page_count","page_size","total_count"} with the queues sorted by name;
// 500 is the largest page size the broker accepts (501 is a 400), an empty
// vhost answers page_count 0 and no items, a page beyond the last is a 400
// "page_out_of_range", and an unknown vhost is a 404. Pages are read one
// after the other; they are not one snapshot: a queue declared or deleted
// meanwhile shifts the rest, so under churn a queue can be missed (or seen
// twice) in one listing, and its target holds for that round.
const (
	// PageSize is the number of queues asked for per request: the largest
	// page the management API serves.
	PageSize = 500
	// MaxPages bounds the requests of one listing: 200 pages of 500 is
	// 100,000 queues in one vhost.
	MaxPages = 200
	// maxPageBody bounds one page's body: 500 queues with the listed
	// columns are about 200 KB, 1.1 MB with 255-byte names full of
	// escaped control characters.
	maxPageBody = 16 << 20
	// maxQueueName is AMQP's limit on a queue name, in bytes.
	maxQueueName = 255
)

// ListColumns is the value of the columns parameter of a listing: the
// queue's name and exactly the fields decodeQueue reads.
const ListColumns = "name," + Columns

var _ engine.QueueLister = (*Client)(nil)

// pageJSON is one page of GET /api/queues/{vhost}. A missing field is nil.
type pageJSON struct {
	Items         []itemJSON `json:"items"`
	Page          *int       `json:"page"`
	PageCount     *int       `json:"page_count"`
	PageSize      *int       `json:"page_size"`
	ItemCount     *int       `json:"item_count"`
	FilteredCount *int       `json:"filtered_count"`
}

// itemJSON is one queue of a page: its name and the fields of a queue.
type itemJSON struct {
	Name *string `json:"name"`
	queueJSON
}

// listed is one queue read from a page, at the time its page arrived.
type listed struct {
	name string
	obs  observation
	at   time.Time
}

// ListQueues returns the statistics of every queue of vhost by name, read
// with one GET per page of PageSize queues. It decodes each queue as
// strictly as Stats does and fails as a whole, with an *engine.Error of the
// same kinds: a vhost that does not exist is ErrNotFound, one the user may
// not see is ErrForbidden, and an answer that is not a consistent page
// (malformed, oversize, more items than asked for, a page count that jumps
// or exceeds MaxPages, any queue with an implausible field) is
// ErrBadResponse. A queue the broker lists without statistics yet (declared
// less than a statistics interval ago) is left out. Names are the queues'
// real names, control characters included: escape them to print them.
// Rates are chosen per queue as Stats chooses them.
func (c *Client) ListQueues(ctx context.Context, vhost string) (map[string]engine.QueueStats, error) {
	switch vhost {
	case "":
		return nil, &engine.ConfigError{Flag: FlagVHost, Value: `""`, Allowed: `must not be empty (the default vhost is "/")`}
	case ".", "..":
		return nil, &engine.ConfigError{Flag: FlagVHost, Value: strconv.Quote(vhost), Allowed: dotName}
	}
	var all []listed
	firstCount, pageCount := -1, 1
	for page := 1; page <= pageCount; page++ {
		p, end, err := c.page(ctx, vhost, page)
		if err != nil {
			return nil, err
		}
		if end {
			break // queues deleted since the previous page
		}
		if err := checkPage(p, page, firstCount); err != nil {
			return nil, c.badList(vhost, page, err)
		}
		if firstCount < 0 {
			firstCount = *p.PageCount
			all = make([]listed, 0, min(*p.FilteredCount, MaxPages*PageSize))
		}
		pageCount = *p.PageCount
		at := c.now()
		for i := range p.Items {
			it := &p.Items[i]
			obs, err := it.observation()
			switch {
			case errors.Is(err, errNoStats):
				continue
			case err != nil:
				return nil, c.badList(vhost, page, fmt.Errorf("queue %q: %w", *it.Name, err))
			}
			all = append(all, listed{name: *it.Name, obs: obs, at: at})
		}
	}
	out := make(map[string]engine.QueueStats, len(all))
	for _, l := range all {
		out[l.name] = c.rates.observe(rateKey(vhost, l.name), l.at, l.obs)
	}
	return out, nil
}

// page reads and parses one page. end is true when the broker says the page
// is beyond the last (after the first page: the list shrank meanwhile).
func (c *Client) page(ctx context.Context, vhost string, page int) (p pageJSON, end bool, err error) {
	q := "page=" + strconv.Itoa(page) + "&page_size=" + strconv.Itoa(PageSize) + "&columns=" + url.QueryEscape(ListColumns)
	status, body, err := c.getCapped(ctx, []string{"queues", vhost}, q, maxPageBody)
	if err != nil {
		return p, false, err
	}
	if status == http.StatusBadRequest && page > 1 {
		var e apiError
		if json.Unmarshal(body, &e) == nil && e.Error == "page_out_of_range" {
			return p, true, nil
		}
	}
	if status != http.StatusOK {
		return p, false, c.classify(ctx, status, body, vhost, "")
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return p, false, c.badList(vhost, page, fmt.Errorf("not a paginated queue list (RabbitMQ 3.6 or later answers one): %w", err))
	}
	return p, false, nil
}

// errTooMany says that a vhost holds more queues than MaxPages pages.
var errTooMany = fmt.Errorf("more than %d queues", MaxPages*PageSize)

// badList is the error of an answer that is not a plausible page.
func (c *Client) badList(vhost string, page int, err error) error {
	if errors.Is(err, errTooMany) {
		return fail(engine.ErrBadResponse, err, "vhost %q at %s holds %s, more than one listing reads (%d pages of %d): split the queues over vhosts",
			vhost, c.URL(), err, MaxPages, PageSize)
	}
	return fail(engine.ErrBadResponse, err, "unreadable queue list of vhost %q from %s (page %d: %s): check that --%s is the RabbitMQ management API",
		vhost, c.URL(), page, c.scrub.excerpt(err.Error(), maxExcerpt), FlagMgmtURL)
}

// checkPage checks that p is page want of a listing whose first page said
// firstCount pages (-1 when p is the first), every field consistent.
func checkPage(p pageJSON, want, firstCount int) error {
	switch {
	case p.Items == nil || p.Page == nil || p.PageCount == nil || p.PageSize == nil || p.FilteredCount == nil:
		return errors.New("not a paginated queue list: items, page, page_count, page_size or filtered_count missing")
	case *p.Page != want:
		return fmt.Errorf("answered page %d when asked for page %d", *p.Page, want)
	case *p.PageSize != PageSize:
		return fmt.Errorf("answered pages of %d when asked for pages of %d", *p.PageSize, PageSize)
	case len(p.Items) > PageSize:
		return fmt.Errorf("%d queues on a page of %d", len(p.Items), PageSize)
	case p.ItemCount != nil && *p.ItemCount != len(p.Items):
		return fmt.Errorf("item_count %d but %d items", *p.ItemCount, len(p.Items))
	case *p.FilteredCount < 0 || *p.PageCount < 0:
		return fmt.Errorf("negative counts (filtered_count %d, page_count %d)", *p.FilteredCount, *p.PageCount)
	case *p.PageCount > MaxPages:
		return fmt.Errorf("%w: %d pages of %d", errTooMany, *p.PageCount, PageSize)
	case *p.PageCount != (*p.FilteredCount+PageSize-1)/PageSize:
		return fmt.Errorf("page_count %d does not fit filtered_count %d", *p.PageCount, *p.FilteredCount)
	case len(p.Items) > *p.FilteredCount:
		return fmt.Errorf("%d items of a list of %d", len(p.Items), *p.FilteredCount)
	case firstCount >= 0 && abs(*p.PageCount-firstCount) > 1+firstCount/10:
		return fmt.Errorf("the number of pages jumped from %d to %d during the listing", firstCount, *p.PageCount)
	}
	for i := range p.Items {
		switch n := p.Items[i].Name; {
		case n == nil:
			return fmt.Errorf("queue %d of the page has no name", i+1)
		case len(*n) > maxQueueName:
			return fmt.Errorf("a queue name of %d bytes (AMQP allows %d)", len(*n), maxQueueName)
		}
	}
	return nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
