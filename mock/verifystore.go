package mock

import (
	"fmt"
	"github.com/mfactl/mfactl/internal/emulatorapi"
	"strconv"
	"strings"

	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// The verification engine's records live in the mock's store beside the
// tenant, in their own buckets, so a reset clears them with everything
// else and a --mock run sees what the previous one left. Values are the
// engine's JSON records; keys are chosen so that every list the engine asks
// for is one prefix scan.
const (
	bucketVerifyChallenges = "verifyChallenges" // challenge id -> verify.Challenge
	bucketVerifyByUser     = "verifyUserChallenges"
	bucketVerifyUsers      = "verifyUsers"    // user id -> verify.UserState
	bucketVerifyOutbox     = "verifyOutbox"   // zero-padded sequence -> outboxRecord
	bucketVerifyOutboxUser = "verifyOutboxBy" // user id + "/" + sequence -> ""
	bucketVerifyAttempts   = "verifyAttempts" // user id + "/" + sequence -> verify.Attempt
	bucketVerifySeq        = "verifySeq"      // counter name -> decimal
)

// maxAttemptsKept bounds each user's attempt log: the oldest entries go
// first. A thousand covers weeks of a person's sign-ins and any test.
const maxAttemptsKept = 1000

// verifyStore is verify.Store over one transaction of the mock's store.
// The engine is bound to it per request (Engine.WithStore), so everything
// an engine call writes commits or rolls back with the request.
type verifyStore struct{ tx store.Tx }

var _ verify.Store = verifyStore{}

// seqKey formats a sequence number so that key order is numeric order.
func seqKey(n uint64) string { return fmt.Sprintf("%020d", n) }

// nextSeq increments and returns a named counter.
func (v verifyStore) nextSeq(name string) (uint64, error) {
	var n uint64
	if b, ok := v.tx.Get(bucketVerifySeq, name); ok {
		var err error
		if n, err = strconv.ParseUint(string(b), 10, 64); err != nil {
			return 0, fmt.Errorf("mock: corrupt counter %s: %w", name, err)
		}
	}
	n++
	return n, v.tx.Put(bucketVerifySeq, name, []byte(strconv.FormatUint(n, 10)))
}

func (v verifyStore) GetChallenge(id string) (verify.Challenge, error) {
	var c verify.Challenge
	ok, err := store.GetJSON(v.tx, bucketVerifyChallenges, id, &c)
	if err != nil {
		return c, err
	}
	if !ok {
		return c, fmt.Errorf("challenge %s: %w", id, verify.ErrNotFound)
	}
	return c, nil
}

func (v verifyStore) PutChallenge(c verify.Challenge) error {
	if c.ID == "" || c.UserID == "" {
		return fmt.Errorf("mock: challenge without id or user")
	}
	if err := store.PutJSON(v.tx, bucketVerifyChallenges, c.ID, c); err != nil {
		return err
	}
	return v.tx.Put(bucketVerifyByUser, c.UserID+"/"+c.ID, nil)
}

func (v verifyStore) DeleteChallenge(id string) error {
	c, err := v.GetChallenge(id)
	if err != nil {
		return nil // already gone
	}
	if err := v.tx.Delete(bucketVerifyByUser, c.UserID+"/"+id); err != nil {
		return err
	}
	return v.tx.Delete(bucketVerifyChallenges, id)
}

func (v verifyStore) UserChallenges(userID string) ([]verify.Challenge, error) {
	var ids []string
	if err := v.tx.Scan(bucketVerifyByUser, userID+"/", "", func(key string, _ []byte) bool {
		ids = append(ids, strings.TrimPrefix(key, userID+"/"))
		return true
	}); err != nil {
		return nil, err
	}
	out := make([]verify.Challenge, 0, len(ids))
	for _, id := range ids {
		c, err := v.GetChallenge(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (v verifyStore) GetUser(userID string) (verify.UserState, error) {
	var u verify.UserState
	ok, err := store.GetJSON(v.tx, bucketVerifyUsers, userID, &u)
	if err != nil {
		return u, err
	}
	if !ok {
		return u, fmt.Errorf("user %s: %w", userID, verify.ErrNotFound)
	}
	return u, nil
}

func (v verifyStore) PutUser(u verify.UserState) error {
	return store.PutJSON(v.tx, bucketVerifyUsers, u.UserID, u)
}

// OutboxMessage is one entry of the emulated outbox.
type OutboxMessage = emulatorapi.OutboxMessage

func (v verifyStore) AppendMessage(m verify.Message) error {
	n, err := v.nextSeq("outbox")
	if err != nil {
		return err
	}
	if err := store.PutJSON(v.tx, bucketVerifyOutbox, seqKey(n), OutboxMessage{Seq: n, Message: m}); err != nil {
		return err
	}
	return v.tx.Put(bucketVerifyOutboxUser, m.UserID+"/"+seqKey(n), nil)
}

func (v verifyStore) Messages(userID string) ([]verify.Message, error) {
	ms, err := v.outbox(userID, 0)
	if err != nil {
		return nil, err
	}
	out := make([]verify.Message, len(ms))
	for i, m := range ms {
		out[i] = m.Message
	}
	return out, nil
}

// outbox lists the messages after sequence number after, oldest first: a
// user's (through the index) or everyone's when userID is empty.
func (v verifyStore) outbox(userID string, after uint64) ([]OutboxMessage, error) {
	var out []OutboxMessage
	if userID == "" {
		err := store.ScanJSON(v.tx, bucketVerifyOutbox, "", seqKey(after+1), func(_ string, m OutboxMessage) (bool, error) {
			out = append(out, m)
			return true, nil
		})
		return out, err
	}
	prefix := userID + "/"
	var keys []string
	if err := v.tx.Scan(bucketVerifyOutboxUser, prefix, prefix+seqKey(after+1), func(key string, _ []byte) bool {
		keys = append(keys, strings.TrimPrefix(key, prefix))
		return true
	}); err != nil {
		return nil, err
	}
	for _, k := range keys {
		var m OutboxMessage
		ok, err := store.GetJSON(v.tx, bucketVerifyOutbox, k, &m)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (v verifyStore) AppendAttempt(a verify.Attempt) error {
	n, err := v.nextSeq("attempts/" + a.UserID)
	if err != nil {
		return err
	}
	prefix := a.UserID + "/"
	if err := store.PutJSON(v.tx, bucketVerifyAttempts, prefix+seqKey(n), a); err != nil {
		return err
	}
	if n > maxAttemptsKept {
		return v.tx.Delete(bucketVerifyAttempts, prefix+seqKey(n-maxAttemptsKept))
	}
	return nil
}

func (v verifyStore) Attempts(userID string) ([]verify.Attempt, error) {
	var out []verify.Attempt
	err := store.ScanJSON(v.tx, bucketVerifyAttempts, userID+"/", "", func(_ string, a verify.Attempt) (bool, error) {
		out = append(out, a)
		return true, nil
	})
	return out, err
}
