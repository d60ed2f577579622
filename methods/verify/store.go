package verify

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrNotFound is returned by a Store for a missing challenge or user.
var ErrNotFound = errors.New("not found")

// Store persists the engine's records. The mock implements it over its
// transactional key-value store (values JSON-encoded) and runs each engine
// call inside one read-write transaction; MemStore is the in-memory
// implementation for tests and embedding.
//
// Implementations must return copies: the engine mutates what it reads
// before writing it back. Records that are not found return ErrNotFound
// (wrapped is fine); the engine treats a missing user as a fresh one.
type Store interface {
	GetChallenge(id string) (Challenge, error)
	PutChallenge(c Challenge) error
	DeleteChallenge(id string) error
	// UserChallenges returns every stored challenge of a user, in any
	// order: the engine sorts.
	UserChallenges(userID string) ([]Challenge, error)

	GetUser(userID string) (UserState, error)
	PutUser(u UserState) error

	// AppendMessage adds to the emulated outbox; Messages lists a user's
	// messages in the order appended.
	AppendMessage(m Message) error
	Messages(userID string) ([]Message, error)

	// AppendAttempt adds to the attempt log; Attempts lists a user's
	// entries in the order appended. Trimming old entries is the store's
	// business.
	AppendAttempt(a Attempt) error
	Attempts(userID string) ([]Attempt, error)
}

// MemStore is a Store in memory, safe for concurrent use. Records go
// through JSON on the way in and out, exactly as in the mock's store, so
// nothing is shared with the caller and every field is proven to persist.
type MemStore struct {
	mu         sync.RWMutex
	challenges map[string][]byte
	users      map[string][]byte
	messages   map[string][][]byte
	attempts   map[string][][]byte
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{
		challenges: map[string][]byte{},
		users:      map[string][]byte{},
		messages:   map[string][][]byte{},
		attempts:   map[string][][]byte{},
	}
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("memstore: encode %T: %w", v, err)
	}
	return b, nil
}

func decode[T any](b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("memstore: decode %T: %w", v, err)
	}
	return v, nil
}

// GetChallenge implements Store.
func (s *MemStore) GetChallenge(id string) (Challenge, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.challenges[id]
	if !ok {
		return Challenge{}, fmt.Errorf("challenge %s: %w", id, ErrNotFound)
	}
	return decode[Challenge](b)
}

// PutChallenge implements Store.
func (s *MemStore) PutChallenge(c Challenge) error {
	b, err := encode(c)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.challenges[c.ID] = b
	return nil
}

// DeleteChallenge implements Store.
func (s *MemStore) DeleteChallenge(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.challenges, id)
	return nil
}

// UserChallenges implements Store. A scan is fine for tests; the mock keeps
// an index by user.
func (s *MemStore) UserChallenges(userID string) ([]Challenge, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Challenge
	for _, b := range s.challenges {
		c, err := decode[Challenge](b)
		if err != nil {
			return nil, err
		}
		if c.UserID == userID {
			out = append(out, c)
		}
	}
	// Deterministic, but deliberately not creation order, so tests
	// exercise the engine's own sorting rather than the store's.
	slices.SortFunc(out, func(a, b Challenge) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}

// GetUser implements Store.
func (s *MemStore) GetUser(userID string) (UserState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.users[userID]
	if !ok {
		return UserState{}, fmt.Errorf("user %s: %w", userID, ErrNotFound)
	}
	return decode[UserState](b)
}

// PutUser implements Store.
func (s *MemStore) PutUser(u UserState) error {
	b, err := encode(u)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.UserID] = b
	return nil
}

// AppendMessage implements Store.
func (s *MemStore) AppendMessage(m Message) error {
	b, err := encode(m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages[m.UserID] = append(s.messages[m.UserID], b)
	return nil
}

// Messages implements Store.
func (s *MemStore) Messages(userID string) ([]Message, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return decodeAll[Message](s.messages[userID])
}

// AppendAttempt implements Store.
func (s *MemStore) AppendAttempt(a Attempt) error {
	b, err := encode(a)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[a.UserID] = append(s.attempts[a.UserID], b)
	return nil
}

// Attempts implements Store.
func (s *MemStore) Attempts(userID string) ([]Attempt, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return decodeAll[Attempt](s.attempts[userID])
}

func decodeAll[T any](bs [][]byte) ([]T, error) {
	out := make([]T, 0, len(bs))
	for _, b := range bs {
		v, err := decode[T](b)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
