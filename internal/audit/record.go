// Package audit is mfactl's local, append-only, tamper-evident log of every
// change it makes to a tenant. Each mutating command appends one record
// (who, which tenant, the command line, the target users with their methods
// before and after, every Graph write with its status, the outcome and the
// ticket id) as one JSON line.
//
// Records are hash-chained: each carries the SHA-256 of the one before it
// (prev) and its own hash over that previous hash and its exact bytes, so
// editing, removing or reordering a record breaks the chain where it
// happened. A head file beside the log remembers the last record written,
// so records cut from the end are noticed too. Writers take an exclusive
// file lock, read the last record's hash under it, append with O_APPEND and
// fsync, so concurrent mfactl processes never interleave or lose records.
//
// A hash chain without a secret key is tamper-evident, not tamper-proof:
// someone who can write the file can rewrite every record after the one
// they changed, or cut the last records and write a matching head file.
// An anchor (the number and hash of a record, kept outside the log: a
// ticket, a SIEM) closes that gap: CheckAnchor checks that the log still
// holds that record at that place, with the chain intact up to it.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// FormatVersion is the record format this package writes.
const FormatVersion = 1

// Record kinds.
const (
	// KindCommand is a record of one mfactl command.
	KindCommand = "command"
	// KindIntent is written before a command's first write to the tenant:
	// the command line, ticket and actor, with outcome "started". The
	// command's own record follows when it ends and names the intent
	// (Record.Intent), so a run killed in between leaves a record that
	// says it started and that its outcome is unknown, never nothing.
	KindIntent = "intent"
	// KindRecovery seals the remnant of a write that a crash interrupted:
	// it names the remnant's length and hash so the chain covers it.
	KindRecovery = "recovery"
)

// Outcomes of a command.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	// OutcomePartial: some changes were made, then the command stopped.
	OutcomePartial = "partial"
	// OutcomeUnknown: a change was sent, its answer was lost, and a re-read
	// could not tell whether it was made.
	OutcomeUnknown = "unknown"
	// OutcomeStarted is the outcome of an intent record.
	OutcomeStarted = "started"
)

// Actor is who ran the command: the signed-in identity (GET /me), or what
// the access token says when there is no signed-in user (an app).
type Actor struct {
	ID   string `json:"id,omitempty"`
	UPN  string `json:"userPrincipalName,omitempty"`
	Name string `json:"displayName,omitempty"`
	// App is the application (client) id of an app-only sign-in.
	App string `json:"appId,omitempty"`
	// Source says where the identity came from: "me", "token" or
	// "unknown" (then Error says why).
	Source string `json:"source"`
	Error  string `json:"error,omitempty"`
}

// String is the actor as a person reads it.
func (a Actor) String() string {
	switch {
	case a.UPN != "":
		return a.UPN
	case a.App != "":
		return "app " + a.App
	case a.ID != "":
		return a.ID
	}
	return "unknown"
}

// Request is one write request sent to Graph and how it ended.
type Request struct {
	Time   time.Time       `json:"time"`
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Body   json.RawMessage `json:"body,omitempty"`
	// Status is the HTTP status; 0 when no answer came (Error says why).
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Target is a user the command acted on, with their methods before it ran
// and after it finished (nil when they were not read).
type Target struct {
	ID     string           `json:"id"`
	UPN    string           `json:"userPrincipalName,omitempty"`
	Before []methods.Method `json:"before,omitempty"`
	After  []methods.Method `json:"after,omitempty"`
}

// Fragment identifies the bytes of an interrupted write.
type Fragment struct {
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Record is one entry of the log. Seq, Prev and Hash are set by Append.
type Record struct {
	V        int       `json:"v"`
	Seq      int64     `json:"seq"`
	Kind     string    `json:"kind"`
	Time     time.Time `json:"time"`
	Actor    Actor     `json:"actor"`
	Tenant   string    `json:"tenant,omitempty"`
	Backend  string    `json:"backend,omitempty"`
	Command  string    `json:"command,omitempty"`
	Ticket   string    `json:"ticket,omitempty"`
	Plan     string    `json:"plan,omitempty"`
	Targets  []Target  `json:"targets,omitempty"`
	Requests []Request `json:"requests,omitempty"`
	Outcome  string    `json:"outcome,omitempty"`
	ExitCode int       `json:"exitCode"`
	Error    string    `json:"error,omitempty"`
	Version  string    `json:"mfactlVersion,omitempty"`
	// Intent is the number of the intent record this record completes
	// (0 when the run wrote no intent: it sent no write).
	Intent int64 `json:"intent,omitempty"`
	// Recovered is set on recovery records.
	Recovered *Fragment `json:"recovered,omitempty"`
	Prev      string    `json:"prev"`
	// Hash is written last on the line; see encodeLine.
	Hash string `json:"hash,omitempty"`
}

// HasTarget reports whether the record acted on the user (UPN or id,
// case-insensitively).
func (r Record) HasTarget(user string) bool {
	for _, t := range r.Targets {
		if strings.EqualFold(t.UPN, user) || strings.EqualFold(t.ID, user) {
			return true
		}
	}
	return false
}

// TargetNames lists the targets' UPNs (ids when unknown).
func (r Record) TargetNames() []string {
	out := make([]string, 0, len(r.Targets))
	for _, t := range r.Targets {
		if t.UPN != "" {
			out = append(out, t.UPN)
		} else {
			out = append(out, t.ID)
		}
	}
	return out
}

// zeroHash is the prev of the first record.
var zeroHash = strings.Repeat("0", 64)

// chainHash is SHA-256 over the previous record's hash and the record's
// exact bytes without its hash: the bytes on disk are what is protected,
// so a record needs no canonical re-encoding to be checked, and fields
// added by later versions are covered as they are.
func chainHash(prev string, payload []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

// encodeLine renders r (with Seq and Prev set) as one line, newline
// included, and returns its hash.
func encodeLine(r Record) ([]byte, string, error) {
	r.Hash = ""
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, "", fmt.Errorf("audit: encode record: %w", err)
	}
	if len(payload) < 2 || payload[len(payload)-1] != '}' {
		return nil, "", fmt.Errorf("audit: record does not encode as an object")
	}
	hash := chainHash(r.Prev, payload)
	line := make([]byte, 0, len(payload)+80)
	line = append(line, payload[:len(payload)-1]...)
	line = append(line, `,"hash":"`...)
	line = append(line, hash...)
	line = append(line, "\"}\n"...)
	return line, hash, nil
}

// decodeLine splits a line (without its newline) into the record, the
// payload that was hashed and the hash it claims.
func decodeLine(line []byte) (Record, []byte, string, error) {
	var r Record
	payload, claimed, err := decodeInto(line, &r)
	return r, payload, claimed, err
}

// hashTail is how every line ends: `,"hash":"` 64 hex digits `"}`.
const hashTail = len(`,"hash":"`) + 64 + len(`"}`)

// decodeInto splits a line into the payload that was hashed and the hash
// it claims, and decodes the record into v (a Record, or chainFields to
// check the chain without building the rest). The hash is found by its
// fixed place at the end, not by a search of the whole line.
func decodeInto(line []byte, v any) ([]byte, string, error) {
	n := len(line)
	if n < hashTail+2 || !bytes.HasPrefix(line[n-hashTail:], []byte(`,"hash":"`)) || !bytes.HasSuffix(line, []byte(`"}`)) {
		return nil, "", fmt.Errorf("it does not end with a hash")
	}
	claimed := line[n-hashTail+len(`,"hash":"`) : n-2]
	if bytes.IndexFunc(claimed, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) >= 0 {
		return nil, "", fmt.Errorf("it does not end with a hash")
	}
	payload := make([]byte, 0, n-hashTail+1)
	payload = append(payload, line[:n-hashTail]...)
	payload = append(payload, '}')
	if err := json.Unmarshal(line, v); err != nil {
		return nil, "", fmt.Errorf("it is not a JSON record: %v", err)
	}
	return payload, string(claimed), nil
}

// chainFields are the members of a record that checking the chain needs
// (and that a problem report names).
type chainFields struct {
	Seq       int64     `json:"seq"`
	Kind      string    `json:"kind"`
	Time      time.Time `json:"time"`
	Command   string    `json:"command,omitempty"`
	Recovered *Fragment `json:"recovered,omitempty"`
	Prev      string    `json:"prev"`
}

// fragmentOf describes the bytes of a remnant.
func fragmentOf(b []byte) Fragment {
	sum := sha256.Sum256(b)
	return Fragment{Bytes: len(b), SHA256: hex.EncodeToString(sum[:])}
}
