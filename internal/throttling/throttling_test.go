package throttling

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestResourceUnits(t *testing.T) {
	tests := []struct {
		method, path, query string
		want                int
	}{
		{"GET", "users", "", 2},
		{"GET", "Users", "", 2},
		{"GET", "users", "$select=id", 1},
		{"GET", "users", "$select=id&$top=5", 1},
		{"GET", "users", "$expand=manager", 3},
		{"GET", "users", "$top=20", 2},
		{"GET", "users", "$top=19", 1},
		{"GET", "users", "$top=abc", 2},
		{"GET", "users/u1", "", 1},
		{"GET", "users/u1/authentication/methods", "$select=id", 1},
		{"GET", "users/u1/authentication/methods", "$expand=device", 2},
		{"POST", "users", "", 1},
		{"POST", "users/u1/authentication/phoneMethods", "", 1},
		{"DELETE", "users/u1/authentication/phoneMethods/x", "$top=1&$select=id", 1},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		if got := ResourceUnits(tt.method, strings.Split(tt.path, "/"), q); got != tt.want {
			t.Errorf("%s %s?%s costs %d, want %d", tt.method, tt.path, tt.query, got, tt.want)
		}
	}
}

func TestRUBudgetBySize(t *testing.T) {
	for users, want := range map[int]int{0: 3500, 16: 3500, 49: 3500, 50: 5000, 500: 5000, 501: 8000, 100000: 8000} {
		if got := IdentityBudget(users); got != want {
			t.Errorf("IdentityBudget(%d) = %d, want %d", users, got, want)
		}
	}
}

func TestSlidingWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := SlidingWindow{Span: 10 * time.Second, Limit: 5}
	for i := 0; i < 5; i++ {
		if !w.Fits(t0.Add(time.Duration(i)*time.Second), 1) {
			t.Fatalf("charge %d did not fit", i)
		}
		w.Add(t0.Add(time.Duration(i)*time.Second), 1)
	}
	// Full: the next unit fits when the first charge leaves, at 10 s.
	if got := w.FreeAt(t0.Add(5*time.Second), 1); !got.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("FreeAt %v, want 10s", got.Sub(t0))
	}
	// Three units need the first three charges gone: 12 s.
	if got := w.FreeAt(t0.Add(5*time.Second), 3); !got.Equal(t0.Add(12 * time.Second)) {
		t.Errorf("FreeAt(3) %v, want 12s", got.Sub(t0))
	}
	if w.Used(t0.Add(11*time.Second)) != 3 || w.Used(t0.Add(20*time.Second)) != 0 {
		t.Error("Used after expiry")
	}
	// A cost above the whole budget fits an empty window.
	if !w.Fits(t0.Add(30*time.Second), 99) {
		t.Error("an oversize cost never fits")
	}
}

func TestSlidingWindowSlackCoalesceCorrectClose(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := SlidingWindow{Span: 10 * time.Second, Limit: 10, Slack: time.Second, Coalesce: 10 * time.Millisecond}
	w.Add(t0, 4)
	w.Add(t0.Add(5*time.Millisecond), 4) // merged into the first entry
	if len(w.log) != 1 || w.Used(t0) != 8 {
		t.Fatalf("log %v, used %d", w.log, w.used)
	}
	w.Add(t0, -6) // the server said the estimate was high
	if w.Used(t0) != 2 {
		t.Fatalf("used %d after a correction of -6", w.used)
	}
	w.Add(t0.Add(time.Second), 8)
	if got := w.FreeAt(t0.Add(2*time.Second), 1); !got.Equal(t0.Add(11 * time.Second)) {
		t.Errorf("FreeAt with slack %v, want 11s", got.Sub(t0))
	}
	w.CloseUntil(t0.Add(30 * time.Second))
	if got := w.FreeAt(t0.Add(2*time.Second), 0); !got.Equal(t0.Add(30 * time.Second)) {
		t.Errorf("FreeAt of a closed window %v, want 30s", got.Sub(t0))
	}
}

func TestIsWriteAndReports(t *testing.T) {
	for m, want := range map[string]bool{"GET": false, "post": true, "PATCH": true, "PUT": true, "DELETE": true, "HEAD": false} {
		if IsWrite(m) != want {
			t.Errorf("IsWrite(%s)", m)
		}
	}
	if !IsReports([]string{"Reports", "x"}) || IsReports([]string{"users"}) || IsReports(nil) {
		t.Error("IsReports")
	}
}
