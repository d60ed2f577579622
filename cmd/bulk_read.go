package cmd

import (
	"context"
	"strings"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/bulk"
)

// bulkRead is one user's state as read for a plan or an apply.
type bulkRead struct {
	user  graph.BulkUser
	found bool
	state bulk.State
	// err is a failed read (other than "not found") of any part;
	// transient when reading again may succeed.
	err       error
	transient bool
}

// readRetries is how often the users whose reads failed for a transient
// reason (a 5xx after the client's retries, no answer) are read again.
const readRetries = 3

// readBulkStates reads users (by UPN or id) through $batch: the user, the
// methods and the sign-in preferences, and the per-user MFA state when
// mfa is set: three or four reads a user, 20 a request. Users whose reads
// failed for a transient reason are read again. The result is keyed by
// the lower-cased reference.
func readBulkStates(ctx context.Context, client *graph.Client, refs []string, mfa bool, concurrency int) (map[string]*bulkRead, error) {
	out, err := readBulkOnce(ctx, client, refs, mfa, concurrency)
	for try := 0; err == nil && try < readRetries; try++ {
		var again []string
		for _, ref := range refs {
			if rd := out[strings.ToLower(ref)]; rd.err != nil && rd.transient {
				again = append(again, ref)
			}
		}
		if len(again) == 0 {
			break
		}
		var more map[string]*bulkRead
		if more, err = readBulkOnce(ctx, client, again, mfa, concurrency); err == nil {
			for k, v := range more {
				out[k] = v
			}
		}
	}
	return out, err
}

func readBulkOnce(ctx context.Context, client *graph.Client, refs []string, mfa bool, concurrency int) (map[string]*bulkRead, error) {
	const (
		kUser    = "user\x00"
		kMethods = "methods\x00"
		kPrefs   = "prefs\x00"
		kMFA     = "mfa\x00"
	)
	out := make(map[string]*bulkRead, len(refs))
	for _, r := range refs {
		out[strings.ToLower(r)] = &bulkRead{}
	}
	items := func(yield func(graph.BatchItem) bool) {
		for _, ref := range refs {
			if !yield(graph.BatchItem{Key: kUser + ref, Request: client.BulkUserRequest(ref)}) ||
				!yield(graph.BatchItem{Key: kMethods + ref, Request: client.MethodListRequest(ref)}) ||
				!yield(graph.BatchItem{Key: kPrefs + ref, Request: client.SignInPreferencesRequest(ref)}) {
				return
			}
			if mfa && !yield(graph.BatchItem{Key: kMFA + ref, Request: client.MFAStateRequest(ref)}) {
				return
			}
		}
	}
	notFound := map[string]bool{}
	err := client.Batch(ctx, items, graph.BatchOptions{Beta: true, Concurrency: concurrency, Op: "read", Role: graph.RoleReadMethods}, func(r graph.BatchResult) error {
		kind, ref, _ := strings.Cut(r.Key, "\x00")
		rd := out[strings.ToLower(ref)]
		if graph.IsNotFound(r.Err) {
			notFound[strings.ToLower(ref)] = true
			return nil
		}
		if r.Err != nil {
			if rd.err == nil {
				rd.err = r.Err
			}
			// No inner answer (the whole $batch failed), a 5xx after the
			// client's retries, or a 429: worth reading again.
			st := graph.StatusOf(r.Err)
			rd.transient = rd.transient || r.Status == 0 || st >= 500 || st == 429
			return nil
		}
		var err error
		switch kind + "\x00" {
		case kUser:
			rd.user, err = graph.DecodeBulkUser(r.Body)
			rd.found = err == nil
			rd.state.SessionsValidFrom = rd.user.SessionsValidFrom
		case kMethods:
			rd.state.Methods, err = graph.DecodeMethodList(r.Body)
		case kPrefs:
			var p = rd.state.Preferred
			prefs, derr := graph.DecodeSignInPreferences(r.Body)
			if derr == nil {
				p = prefs.UserPreferred
			}
			rd.state.Preferred, err = p, derr
		case kMFA:
			rd.state.MFAState, err = graph.DecodeMFAState(r.Body)
		}
		if err != nil && rd.err == nil {
			rd.err = err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for ref := range notFound {
		// A user Graph does not know answers 404 to every read.
		out[ref].found, out[ref].err = false, nil
	}
	return out, nil
}
