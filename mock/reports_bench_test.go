package mock

import (
	"bytes"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// BenchmarkRegistrationDetailsPage serves 999-user pages of
// userRegistrationDetails from a generated 100,000-user tenant, following
// the nextLinks (and starting over after the last page), in the orders and
// with the filter a coverage report uses. ns/op is per page; users/s is
// the rate of users served. It also times usersRegisteredByFeature, which
// derives every user on each call (ns/op per call). Run with:
//
//	go test ./mock/ -run '^$' -bench RegistrationDetailsPage -benchtime 200x
func BenchmarkRegistrationDetailsPage(b *testing.B) {
	const tenantSize = 100_000
	now := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	// One store at a time, so the memory store's heap does not slow the
	// bolt runs' garbage collection.
	for _, kind := range []string{"memory", "bolt"} {
		b.Run(kind, func(b *testing.B) {
			var st store.Store = store.NewMemory()
			if kind == "bolt" {
				bs, err := store.OpenBolt(filepath.Join(b.TempDir(), "state.db"), time.Second)
				if err != nil {
					b.Fatal(err)
				}
				st = bs
			}
			defer st.Close()
			start := time.Now()
			synthTenant(b, st, tenantSize, 42, now)
			b.Logf("generated %d users in %v", tenantSize, time.Since(start).Round(time.Millisecond))
			srv, err := NewServer(Options{Store: st, NoSeed: true, Now: func() time.Time { return now }})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			for _, q := range []struct{ name, query string }{
				{"default", ""},
				{"orderby=userDisplayName-desc", "&$orderby=userDisplayName%20desc"},
				{"orderby=userPrincipalName", "&$orderby=userPrincipalName"},
				{"filter=isMfaCapable", "&$filter=isMfaCapable%20eq%20true"},
			} {
				b.Run(q.name, func(b *testing.B) { benchPages(b, srv, q.query) })
			}
			// The summaries derive every user's details on each call.
			b.Run("usersRegisteredByFeature", func(b *testing.B) {
				for b.Loop() {
					req := httptest.NewRequest("GET", InProcessRoot+"/v1.0/reports/authenticationMethods/usersRegisteredByFeature()", nil)
					req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
					rec := httptest.NewRecorder()
					srv.Handler().ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
					}
				}
				b.ReportMetric(float64(tenantSize*b.N)/b.Elapsed().Seconds(), "users/s")
			})
		})
	}
}

// benchPages requests 999-user pages, following nextLinks and starting over
// after the last page.
func benchPages(b *testing.B, srv *Server, query string) {
	first := "/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=999" + query
	path := first
	served := 0
	for b.Loop() {
		req := httptest.NewRequest("GET", InProcessRoot+path, nil)
		req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.Bytes())
		}
		body := rec.Body.Bytes()
		served += bytes.Count(body, []byte(`"userPrincipalName":`))
		if path = nextPath(body); path == "" {
			path = first
		}
	}
	b.ReportMetric(float64(served)/b.Elapsed().Seconds(), "users/s")
}

// nextPath extracts the nextLink (encoding/json writes map keys sorted, so
// it precedes "value") without decoding the page, and unescapes the & that
// encoding/json writes as \u0026.
func nextPath(body []byte) string {
	const key = `"@odata.nextLink":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	link := string(bytes.ReplaceAll(rest[:bytes.IndexByte(rest, '"')], []byte(`\u0026`), []byte("&")))
	return link[len(InProcessRoot):]
}
