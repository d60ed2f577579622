package verify

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
)

// stripNumbers removes the numbers (and signs) an error message may carry,
// leaving its fixed text.
func stripNumbers(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '-' {
			return -1
		}
		return r
	}, s)
}

func FuzzParseDTMF(f *testing.F) {
	for _, s := range []string{"#", "1234#", "0#", "#2580#", "1 2 3#", "12*4#", "", "1234", "##", "a#", "１#"} {
		f.Add(s)
	}
	// Every error is one of these: the keys (maybe a PIN) never appear.
	templates := map[string]bool{
		"invalid key presses: more than  keys":      true,
		"invalid key presses: key  is not , * or #": true,
		"invalid key presses: no keys":              true,
		"invalid key presses: end the entry with #": true,
	}
	f.Fuzz(func(t *testing.T, keys string) {
		entries, err := ParseDTMF(keys)
		if err != nil {
			if !errors.Is(err, ErrDTMF) || !templates[stripNumbers(err.Error())] {
				t.Fatalf("unexpected error %q", err)
			}
			return
		}
		// Joining the entries back gives the keys without spaces.
		var b strings.Builder
		for _, e := range entries {
			for _, k := range e {
				if !(k >= '0' && k <= '9' || k == '*') {
					t.Fatalf("entry %q holds %q", e, k)
				}
			}
			b.WriteString(e + "#")
		}
		if got := strings.ReplaceAll(keys, " ", ""); got != b.String() {
			t.Fatalf("entries %q do not rebuild %q", entries, got)
		}
		if n := len(b.String()); n == 0 || n > maxDTMFKeys {
			t.Fatalf("%d keys accepted", n)
		}
	})
}

func FuzzCheckPIN(f *testing.F) {
	for _, s := range []string{"2580", "1234", "1111", "123", "123456789", "12a4", "", "9876", "０１２３"} {
		f.Add(s)
	}
	p := DefaultConfig().PIN
	f.Fuzz(func(t *testing.T, pin string) {
		err := CheckPIN(pin, p)
		if err != nil {
			if ReasonOf(err) != ReasonPolicy {
				t.Fatalf("error %v is not a policy verdict", err)
			}
			if len(pin) >= 4 && strings.Contains(err.Error(), pin) {
				t.Fatalf("error %q repeats the PIN", err)
			}
			return
		}
		if len(pin) < 4 || len(pin) > 8 || !allDigits(pin) {
			t.Fatalf("accepted %q", pin)
		}
		if strings.Count(pin, pin[:1]) == len(pin) || strings.Contains("0123456789", pin) || strings.Contains("9876543210", pin) {
			t.Fatalf("accepted a repeated or sequential PIN %q", pin)
		}
	})
}

// FuzzPressKeys plays arbitrary keys into a PIN call to an office
// extension: nothing panics, every refusal is a verdict without the PIN in
// it, and the outcome follows from the entries.
func FuzzPressKeys(f *testing.F) {
	for _, s := range []string{"#2580#", "#0#", "#1111#2222#2580#", "2580#", "#", "##", "#12*4#", "", "x", "#2580"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, keys string) {
		h := newHarness(t)
		h.registerPIN(alice, "2580")
		c := h.start(officeReq(alice, MethodVoicePIN))
		res, err := h.e.PressKeys(c.ID, keys)
		h.check(err) // a verdict, without the PIN in it
		got := res.Challenge
		entries, perr := ParseDTMF(keys)
		switch {
		case perr != nil:
			if ReasonOf(err) != ReasonMalformed || got.Attempts != 0 {
				t.Fatalf("unparsable keys gave %v, %d attempts", err, got.Attempts)
			}
		case got.State == StateVerified:
			if entries[0] != "" || !slices.Contains(entries[1:], "2580") {
				t.Fatalf("verified by %q", entries)
			}
		case got.State == StateFraudReported:
			if entries[0] != "" || !slices.Contains(entries[1:], "0") {
				t.Fatalf("fraud reported by %q", entries)
			}
		}
		if got.Attempts > got.MaxAttempts {
			t.Fatalf("%d attempts of %d", got.Attempts, got.MaxAttempts)
		}
	})
}

// FuzzSubmitCode types arbitrary input into an SMS challenge: only the
// code, however spaced, verifies, and a refusal never repeats the code.
func FuzzSubmitCode(f *testing.F) {
	for _, s := range []string{"123456", "12 34 56", "12-3456", "", "abcdef", "1234567", "１２３４５６"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, input string, withCode bool) {
		h := newHarness(t)
		c := h.start(smsReq(alice))
		code := h.codeFor(c)
		if withCode {
			// Splice the real code into the input, to reach the success path.
			input = code[:3] + input + code[3:]
		}
		res, err := h.e.SubmitCode(c.ID, input, nil)
		h.check(err)
		norm, nerr := methods.NormalizeOTP(input, 6)
		wantOK := nerr == nil && norm == code
		if (res.Challenge.State == StateVerified) != wantOK {
			t.Fatalf("input %q: state %s, want verified=%v", input, res.Challenge.State, wantOK)
		}
		if nerr != nil && (ReasonOf(err) != ReasonMalformed || res.Challenge.Attempts != 0) {
			t.Fatalf("malformed %q: %v, %d attempts", input, err, res.Challenge.Attempts)
		}
	})
}

// FuzzCheckQuestions feeds arbitrary questions and answers to the
// registration policy: accepted sets obey every rule, and errors never
// repeat an answer.
func FuzzCheckQuestions(f *testing.F) {
	f.Add("In what city?", "Springfield", "First pet?", "Rex", "Food?", "pancakes")
	f.Add("Q", "abc", "q", "abd", "Q3", "abe")
	f.Add("Q1", "same", "Q2", "SAME", "Q3", "other")
	f.Add("Q1", "\x00\x00\x00", "Q2", "ab", "", "")
	p := DefaultConfig().Questions
	f.Fuzz(func(t *testing.T, q1, a1, q2, a2, q3, a3 string) {
		qs := []QuestionAnswer{{q1, a1}, {q2, a2}, {q3, a3}}
		err := CheckQuestions(qs, false, p)
		if err != nil {
			if r := ReasonOf(err); r != ReasonPolicy {
				t.Fatalf("reason %s", r)
			}
			for _, qa := range qs {
				if a := strings.TrimSpace(qa.Answer); len(a) >= 8 && strings.Contains(err.Error(), a) {
					t.Fatalf("error %q repeats an answer", err)
				}
			}
			return
		}
		seen := map[string]bool{}
		for _, qa := range qs {
			a := normalizeAnswer(qa.Answer, false)
			if n := len([]rune(a)); n < 3 || n > 40 || seen[a] {
				t.Fatalf("accepted answer %q", qa.Answer)
			}
			seen[a] = true
		}
	})
}
