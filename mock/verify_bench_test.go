package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkVerifyPush measures one emulated push sign-in: start a challenge
// and approve it on the emulated device, two engine transactions, over the
// in-memory store and over bbolt (each transaction fsynced). The emulated
// clock moves a minute per sign-in and finished challenges are kept 15
// minutes, so the per-user challenge list stays at its steady size.
func BenchmarkVerifyPush(b *testing.B) {
	for _, durable := range []bool{false, true} {
		name := "memory"
		if durable {
			name = "bbolt"
		}
		b.Run(name, func(b *testing.B) {
			cfg := cheapVerify()
			cfg.ChallengeRetention = 15 * time.Minute
			clock := &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			opts := Options{Verify: cfg, Now: clock.now}
			if durable {
				opts.StatePath = filepath.Join(b.TempDir(), "state.db")
			}
			s, err := NewServer(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			hc := &http.Client{Transport: s.Transport()}
			post := func(path, body string) map[string]any {
				req, _ := http.NewRequest("POST", InProcessRoot+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				var out map[string]any
				if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out["verdict"] != nil {
					b.Fatalf("%s: %d %v %v", path, resp.StatusCode, out, err)
				}
				return out
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				clock.advance(time.Minute)
				out := post("/_mock/verify/challenges", `{"user":"adele.vance@contoso.example","method":"push"}`)
				n := out["challenge"].(map[string]any)["number"].(float64)
				post("/_mock/users/adele.vance@contoso.example/device/approve", fmt.Sprintf(`{"number":%d}`, int(n)))
			}
		})
	}
}
