package mock

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
)

// Fidelity knobs: behaviours Graph documents, or leaves open, that a client
// must survive. Unlike the realism knobs of realism.go they change answers,
// not timing, and one of them (batch order) is on by default.
//
//   - Batch order: "individual responses might appear in a different order"
//     than the requests (concepts/json-batching.md). By default the mock
//     answers every batch in a seeded random order, so no client can rely
//     on request order; BatchOrderRequest turns that off.
//   - Strict reports: userRegistrationDetails documents only $filter and
//     $orderBy ("This method supports the $filter and $orderBy OData query
//     parameters",
//     api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md).
//     By default the mock also honours $top (up to 999), as Graph does in
//     practice; with StrictReports it refuses $top as Graph refuses an
//     unsupported query option, and serves its own page size.

// BatchOrder selects the order of a $batch's responses.
type BatchOrder string

// Batch orders.
const (
	BatchOrderShuffled BatchOrder = "" // the default: seeded random order
	BatchOrderRequest  BatchOrder = "request"
)

// ParseBatchOrder reads --batch-order: "shuffled" (or "") or "request".
func ParseBatchOrder(s string) (BatchOrder, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "shuffled", "shuffle", "random":
		return BatchOrderShuffled, nil
	case "request", "in-order", "ordered":
		return BatchOrderRequest, nil
	}
	return "", fmt.Errorf("unknown batch order %q (use shuffled or request)", s)
}

func (o BatchOrder) String() string {
	if o == BatchOrderShuffled {
		return "shuffled"
	}
	return string(o)
}

// ParseSwitch reads a boolean knob from the environment: "", "0", "false",
// "off" and "no" are off; "1", "true", "on" and "yes" are on.
func ParseSwitch(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "off", "no":
		return false, nil
	case "1", "true", "on", "yes":
		return true, nil
	}
	return false, fmt.Errorf("%q is not on or off (use true or false)", s)
}

// ParseBatchSeed reads --batch-seed: a non-negative integer ("" or 0: pick one).
func ParseBatchSeed(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("batch seed %q is not a non-negative integer", s)
	}
	return v, nil
}

// batchShuffler permutes batch responses from one seeded generator, so a
// run with the same seed and the same batches answers in the same orders.
type batchShuffler struct {
	seed uint64
	mu   sync.Mutex
	rng  *rand.Rand
}

func newBatchShuffler(order BatchOrder, seed uint64) *batchShuffler {
	if order == BatchOrderRequest {
		return nil
	}
	if seed == 0 {
		seed = rand.Uint64()>>1 | 1
	}
	return &batchShuffler{seed: seed, rng: rand.New(rand.NewPCG(seed, 0x62617463686f7264))}
}

// order returns the order in which to answer n responses: a permutation
// of 0..n-1 that differs from the identity whenever n > 1, so a client
// that assumes request order fails on every batch, not on some.
func (b *batchShuffler) order(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if b == nil || n < 2 {
		return idx
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		b.rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for i, v := range idx {
			if i != v {
				return idx
			}
		}
	}
}
