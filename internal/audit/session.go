package audit

import (
	"slices"
	"strings"
	"sync"

	"github.com/mfactl/mfactl/methods"
)

// Session collects what one run of mfactl does, for its record: the write
// requests (from the Graph client's observer), the users acted on with
// their methods before, and whether the run is one that must be recorded.
// It is safe for concurrent use (bulk verbs write from several goroutines);
// a nil Session ignores what it is told.
type Session struct {
	mu       sync.Mutex
	armed    bool
	ticket   string
	plan     string
	requests []Request
	targets  []Target
	// targetAt indexes targets by user id.
	targetAt map[string]int
}

// Arm marks the run as a change to record (a mutating verb that is not a
// dry run), with the ticket it was given.
func (s *Session) Arm(ticket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed, s.ticket = true, ticket
}

// Armed reports whether Arm was called.
func (s *Session) Armed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.armed
}

// Ticket is the ticket id given to Arm.
func (s *Session) Ticket() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ticket
}

// SetPlan names the bulk plan the run applies, for its record.
func (s *Session) SetPlan(id string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plan = id
}

// Plan is the id given to SetPlan.
func (s *Session) Plan() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plan
}

// AddRequest records a write request.
func (s *Session) AddRequest(r Request) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// Requests returns the writes in the order they were sent.
func (s *Session) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Wrote reports whether a write reached a Graph API (not only the mock's
// /_mock/ control endpoints), which makes any command worth a record.
func (s *Session) Wrote() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.requests {
		if !strings.Contains(r.URL, "/_mock/") {
			return true
		}
	}
	return false
}

// Target notes a user the run acts on. before is their method list as read
// before any change (nil when not read); a user noted twice keeps the
// first list.
func (s *Session) Target(id, upn string, before []methods.Method) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.targetAt[id]; ok {
		if s.targets[i].Before == nil && before != nil {
			s.targets[i].Before = slices.Clone(before)
		}
		return
	}
	t := Target{ID: id, UPN: upn}
	if before != nil {
		t.Before = slices.Clone(before)
	}
	if s.targetAt == nil {
		s.targetAt = map[string]int{}
	}
	s.targetAt[id] = len(s.targets)
	s.targets = append(s.targets, t)
}

// Drain returns the writes and users noted so far and forgets them, so a
// long run (bulk apply) records its changes part by part instead of
// holding every write of the run for one record at its end.
func (s *Session) Drain() ([]Request, []Target) {
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs, targets := s.requests, s.targets
	s.requests, s.targets, s.targetAt = nil, nil, nil
	return reqs, targets
}

// Targets returns the users noted, in order.
func (s *Session) Targets() []Target {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.targets)
}
