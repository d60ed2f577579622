package bulk

import (
	"hash/maphash"
	"slices"
)

// Repeats finds the keys that occur more than once in a stream that can be
// read twice, holding 8 bytes a key instead of every key: the first pass
// adds each key's hash (Add); Seal sorts them and keeps the hashes seen
// more than once; the second pass (First) remembers only the keys with
// such a hash, so a file of 100,000 distinct users costs 800 kB, not a
// map of 100,000 strings.
type Repeats struct {
	seed   maphash.Seed
	hashes []uint64
	// repeated are the hashes added more than once (after Seal).
	repeated map[uint64]bool
	// first is where each key with a repeated hash was first seen.
	first  map[string]int
	sealed bool
}

// NewRepeats returns an empty Repeats.
func NewRepeats() *Repeats {
	return &Repeats{seed: maphash.MakeSeed()}
}

// Add counts key in the first pass.
func (r *Repeats) Add(key string) {
	r.hashes = append(r.hashes, maphash.String(r.seed, key))
}

// Seal ends the first pass.
func (r *Repeats) Seal() {
	slices.Sort(r.hashes)
	r.repeated, r.first = map[uint64]bool{}, map[string]int{}
	for i := 1; i < len(r.hashes); i++ {
		if r.hashes[i] == r.hashes[i-1] {
			r.repeated[r.hashes[i]] = true
		}
	}
	r.hashes, r.sealed = nil, true
}

// First is the second pass: it returns the line on which key was first
// seen in this pass, and whether key was seen before. Keys must come in
// the order of the first pass.
func (r *Repeats) First(key string, line int) (int, bool) {
	if !r.sealed {
		r.Seal()
	}
	if !r.repeated[maphash.String(r.seed, key)] {
		return 0, false
	}
	if l, ok := r.first[key]; ok {
		return l, true
	}
	r.first[key] = line
	return 0, false
}
