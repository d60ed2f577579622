package mock

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// syncBuffer is a log written by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// portalClient is a browser without JavaScript: a cookie jar that does
// not follow redirects, so each answer is seen.
type portalClient struct {
	t    *testing.T
	base string
	c    *http.Client
	// urls are every URL requested or named by a page (links, forms,
	// images), to check that none carries a secret.
	urls []string
}

func newPortalClient(t *testing.T, base string) *portalClient {
	jar, _ := cookiejar.New(nil)
	return &portalClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var pageURLs = regexp.MustCompile(`(?:href|src|action)="([^"]*)"`)

func (pc *portalClient) do(method, path string, form url.Values) (*http.Response, string) {
	pc.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, pc.base+path, body)
	if err != nil {
		pc.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := pc.c.Do(req)
	if err != nil {
		pc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pc.urls = append(pc.urls, path)
	if loc := resp.Header.Get("Location"); loc != "" {
		pc.urls = append(pc.urls, loc)
	}
	for _, m := range pageURLs.FindAllStringSubmatch(string(b), -1) {
		pc.urls = append(pc.urls, m[1])
	}
	return resp, string(b)
}

// get fetches a page, following redirects, and returns its HTML.
func (pc *portalClient) get(path string) string {
	pc.t.Helper()
	for range 5 {
		resp, body := pc.do("GET", path, nil)
		if resp.StatusCode == http.StatusSeeOther {
			path = resp.Header.Get("Location")
			continue
		}
		if resp.StatusCode != 200 {
			pc.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return body
	}
	pc.t.Fatalf("GET %s: too many redirects", path)
	return ""
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (pc *portalClient) csrf(page string) string {
	pc.t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		pc.t.Fatalf("no CSRF field in the page:\n%s", page)
	}
	return m[1]
}

// post submits a form with the page's token and follows the redirect.
func (pc *portalClient) post(path, token string, form url.Values) string {
	pc.t.Helper()
	form.Set("csrf", token)
	resp, body := pc.do("POST", path, form)
	switch resp.StatusCode {
	case http.StatusSeeOther:
		return pc.get(resp.Header.Get("Location"))
	case http.StatusOK:
		return body
	}
	pc.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	return ""
}

func portalServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	cfg := verify.DefaultConfig()
	cfg.Hash = verify.HashParams{Iterations: 10}
	opts.Verify = &cfg
	s := newServer(t, opts)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func TestPortalRefusesPostsWithoutTheSessionToken(t *testing.T) {
	_, ts := portalServer(t, Options{})
	pc := newPortalClient(t, ts.URL)
	token := pc.csrf(pc.get("/portal/signin"))
	other := newPortalClient(t, ts.URL)
	otherToken := other.csrf(other.get("/portal/signin"))
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"wrong token", strings.Repeat("0", len(token))},
		{"another session's token", otherToken},
		{"a prefix of the token", token[:10]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"user": {"adele.vance@contoso.example"}}
			if tc.token != "" {
				form.Set("csrf", tc.token)
			}
			resp, body := pc.do("POST", "/portal/signin", form)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF") {
				t.Errorf("status %d, body %q: want 403 naming the CSRF check", resp.StatusCode, body)
			}
		})
	}
	// A browser with no session at all.
	resp, _ := newPortalClient(t, ts.URL).do("POST", "/portal/signin", url.Values{"csrf": {token}, "user": {"adele.vance@contoso.example"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("no session: status %d, want 403", resp.StatusCode)
	}
	// The right token goes through.
	resp, _ = pc.do("POST", "/portal/signin", url.Values{"csrf": {token}, "user": {"adele.vance@contoso.example"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("right token: status %d, want 303", resp.StatusCode)
	}
}

func TestPortalRefusesADisabledAccount(t *testing.T) {
	_, ts := portalServer(t, Options{})
	pc := newPortalClient(t, ts.URL)
	token := pc.csrf(pc.get("/portal/signin"))
	page := pc.post("/portal/signin", token, url.Values{"user": {"lynne.robbins@contoso.example"}})
	if !strings.Contains(page, "Your account has been locked") || strings.Contains(page, "Approve sign in request") {
		t.Errorf("a disabled account reached the second factor:\n%s", page)
	}
}

func TestPortalHeadersAndCookies(t *testing.T) {
	_, ts := portalServer(t, Options{})
	pc := newPortalClient(t, ts.URL)
	for _, path := range []string{"/portal/signin", "/portal/static/portal.js", "/portal/static/portal.css", "/portal/phone", "/portal/nowhere"} {
		resp, _ := pc.do("GET", path, nil)
		h := resp.Header
		if got := h.Get("Content-Security-Policy"); got != portalCSP || !strings.HasPrefix(got, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, got)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	resp, page := newPortalClient(t, ts.URL).do("GET", "/portal/signin", nil)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/portal/" {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/portal/", session)
	}
	// No inline script or style: the CSP would block them.
	for _, bad := range []string{"<script>", "style=", "onclick", "onload", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("the sign-in page contains %q", bad)
		}
	}
}

func TestPortalAnswersLoopbackOnlyUnlessPublic(t *testing.T) {
	for _, tc := range []struct {
		name         string
		public, off  bool
		remote, host string
		want         int
	}{
		{"loopback v4", false, false, "127.0.0.1:5000", "127.0.0.1:8080", 200},
		{"loopback v6", false, false, "[::1]:5000", "[::1]:8080", 200},
		{"localhost name", false, false, "127.0.0.1:5000", "localhost:8080", 200},
		{"remote client", false, false, "192.0.2.7:5000", "127.0.0.1:8080", 403},
		{"rebinding host name", false, false, "127.0.0.1:5000", "evil.example:8080", 403},
		{"remote client, public", true, false, "192.0.2.7:5000", "portal.example:8080", 200},
		{"portal off", false, true, "127.0.0.1:5000", "127.0.0.1:8080", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := portalServer(t, Options{Portal: PortalOptions{Public: tc.public, Off: tc.off}})
			req := httptest.NewRequest("GET", "http://"+tc.host+"/portal/signin", nil)
			req.RemoteAddr, req.Host = tc.remote, tc.host
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			if w.Code != tc.want {
				t.Errorf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			// Graph is there either way.
			req = httptest.NewRequest("GET", "http://"+tc.host+"/v1.0/users/adele.vance@contoso.example", nil)
			req.RemoteAddr, req.Host = tc.remote, tc.host
			req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
			w = httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			if w.Code != 200 {
				t.Errorf("Graph beside the portal: status %d", w.Code)
			}
		})
	}
}

// A flow over HTTP without a browser: add an authenticator app by its key
// and a phone by text, sign in with the app's code. Every secret used
// (key, codes) must be absent from every URL and from the request log.
func TestPortalKeepsSecretsOutOfURLsAndTheLog(t *testing.T) {
	var log syncBuffer
	s, ts := portalServer(t, Options{Log: &log})
	pc := newPortalClient(t, ts.URL)
	const alex = "alex.wilber@contoso.example"
	var secrets []string

	page := pc.get("/portal/signin")
	token := pc.csrf(page)
	page = pc.post("/portal/signin", token, url.Values{"user": {alex}})
	if !strings.Contains(page, "Security info") || !strings.Contains(page, "More information required") {
		t.Fatalf("alex has no method, so sign-in lands on Security info:\n%s", page)
	}

	// Another authenticator app: the key is on the page, never in a URL.
	page = pc.post("/portal/security-info/app", token, url.Values{})
	key := regexp.MustCompile(`id="secret" class="mono">([A-Z2-7]+)<`).FindStringSubmatch(page)
	if key == nil {
		t.Fatalf("no key under Can't scan the image?:\n%s", page)
	}
	secrets = append(secrets, key[1])
	if resp, png := pc.do("GET", "/portal/security-info/app/qr.png", nil); resp.StatusCode != 200 || !strings.HasPrefix(png, "\x89PNG") {
		t.Errorf("QR image: %d", resp.StatusCode)
	}
	secret, err := methods.ParseOATHSecret(key[1])
	if err != nil {
		t.Fatal(err)
	}
	code, err := methods.NewTOTPKey(secret).Code(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, code)
	page = pc.post("/portal/security-info/app/code", token, url.Values{"code": {code}})
	if !strings.Contains(page, "Authenticator app was successfully registered") {
		t.Fatalf("after the first code:\n%s", page)
	}

	// A phone by text: the code comes from the phone panel.
	page = pc.post("/portal/security-info/phone", token, url.Values{"type": {"mobile"}, "country": {"1"}, "number": {"425 555 0199"}, "method": {"sms"}})
	if !strings.Contains(page, "We just sent a 6 digit code to &#43;1 4255550199") {
		t.Fatalf("after Text me a code:\n%s", page)
	}
	panel := pc.get("/portal/phone?user=" + url.QueryEscape(alex))
	sms := regexp.MustCompile(`verification code (\d{6})`).FindStringSubmatch(panel)
	if sms == nil {
		t.Fatalf("no texted code on the phone panel:\n%s", panel)
	}
	secrets = append(secrets, sms[1])
	page = pc.post("/portal/security-info/phone/verify", token, url.Values{"action": {"code"}, "code": {sms[1]}})
	if !strings.Contains(page, "SMS verified") {
		t.Fatalf("after the texted code:\n%s", page)
	}

	// Sign in again, by a text read off the phone panel, and ask to be
	// remembered: the device token goes to a cookie only.
	page = pc.post("/portal/signout", token, url.Values{})
	page = pc.post("/portal/signin", token, url.Values{"user": {alex}})
	if !strings.Contains(page, "Enter the code displayed in the authenticator app") {
		t.Fatalf("the prompt of the strongest method, the app:\n%s", page)
	}
	// Another way: a text (the app's code of this step was just used).
	page = pc.post("/portal/signin/other", token, url.Values{"option": {"sms"}})
	if !strings.Contains(page, "We texted your phone") {
		t.Fatalf("the text prompt:\n%s", page)
	}
	panel = pc.get("/portal/phone?user=" + url.QueryEscape(alex))
	shown := regexp.MustCompile(`verification code (\d{6})`).FindStringSubmatch(panel)
	if shown == nil || shown[1] == sms[1] {
		t.Fatalf("no new texted code on the phone panel:\n%s", panel)
	}
	appCode := shown[1]
	if !strings.Contains(panel, "Authenticator app (") {
		t.Errorf("the phone panel shows no code of the new app:\n%s", panel)
	}
	secrets = append(secrets, appCode)
	form := url.Values{"code": {appCode}, "remember": {"1"}, "csrf": {token}}
	resp, body := pc.do("POST", "/portal/signin/verify", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with the texted code: %d\n%s", resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, deviceCookiePrefix) {
			secrets = append(secrets, c.Value)
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("device cookie %+v: want HttpOnly and SameSite=Strict", c)
			}
		}
	}
	if len(secrets) != 5 || !strings.HasPrefix(resp.Header.Get("Location"), "/portal/security-info") {
		t.Errorf("no remembered-device cookie was set")
	}

	// The same methods through Graph.
	var out struct {
		Value []map[string]any `json:"value"`
	}
	if err := s.portalCall(nil, "GET", "/v1.0/users/"+alex+"/authentication/methods", nil, &out); err == nil {
		t.Error("a Graph read without a caller should be refused")
	}
	rc := inProcessClient(t, s)
	got := rc.do("GET", "/v1.0/users/"+alex+"/authentication/methods", DefaultAdminToken, "")
	if n := strings.Count(got.raw, "softwareOathAuthenticationMethod"); n != 1 {
		t.Errorf("Graph lists %d software OATH methods, want 1", n)
	}
	if !strings.Contains(got.raw, "+1 4255550199") {
		t.Errorf("Graph lacks the new phone: %s", got.raw)
	}

	logText := log.String()
	if !strings.Contains(logText, "POST /portal/security-info/app/code") {
		t.Fatalf("the log has no portal line:\n%s", logText)
	}
	for _, sec := range secrets {
		if strings.Contains(logText, sec) {
			t.Errorf("the request log contains a secret (%d characters)", len(sec))
		}
		for _, u := range pc.urls {
			if strings.Contains(u, sec) {
				t.Errorf("the URL %q contains a secret", u)
			}
		}
	}
}

func TestPortalPagesParse(t *testing.T) {
	pages, err := portalPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"signin", "verify", "other", "info", "default", "add", "authenticator", "authenticatorqr",
		"authenticatortry", "app", "appcode", "phone", "phoneverify", "email", "emailverify", "questions", "delete", "phonepanel"} {
		if pages[name] == nil {
			t.Errorf("no page %q", name)
		}
	}
}

func TestSignInOptionsPutTheDefaultFirst(t *testing.T) {
	mobile := methodRecord{Method: methods.Method{ID: methods.MobilePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneMobile, PhoneNumber: "+1 4255550100"}}
	office := methodRecord{Method: methods.Method{ID: methods.OfficePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneOffice, PhoneNumber: "+1 4255550111"}}
	app := methodRecord{Method: methods.Method{ID: "a", Kind: methods.KindAuthenticator}}
	oath := methodRecord{Method: methods.Method{ID: "o", Kind: methods.KindSoftwareOath}}
	for _, tc := range []struct {
		name      string
		preferred string
		pin       bool
		ms        []methodRecord
		want      []string
	}{
		{"push default", "push", false, []methodRecord{mobile, app, oath}, []string{"push", "app", "sms", "call-mobile"}},
		{"sms default", "sms", false, []methodRecord{mobile, app}, []string{"sms", "push", "call-mobile"}},
		{"office call default", "voiceOffice", false, []methodRecord{mobile, office}, []string{"call-office", "sms", "call-mobile"}},
		{"no default: the strongest", "", false, []methodRecord{mobile, oath}, []string{"app", "sms", "call-mobile"}},
		{"default not deliverable: the strongest", "push", false, []methodRecord{mobile}, []string{"sms", "call-mobile"}},
		{"nothing registered", "", false, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &portalUser{rec: &userRecord{UPN: "x@contoso.example", PreferredMethod: tc.preferred}, methods: tc.ms, status: verify.Status{PINRegistered: tc.pin}}
			var got []string
			for _, o := range signInOptions(u) {
				got = append(got, o.Key)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("options %v, want %v", got, tc.want)
			}
		})
	}
}

// One browser session used from several tabs at once (the prompt polling,
// the phone panel reloading, a form posted): under -race this finds any
// session state read or written outside the sessions' lock.
func TestPortalSessionUnderConcurrentTabs(t *testing.T) {
	_, ts := portalServer(t, Options{})
	pc := newPortalClient(t, ts.URL)
	token := pc.csrf(pc.get("/portal/signin"))
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				var req *http.Request
				switch (i + j) % 3 {
				case 0:
					req, _ = http.NewRequest("GET", ts.URL+"/portal/signin/state", nil)
				case 1:
					req, _ = http.NewRequest("GET", ts.URL+"/portal/phone?user=adele.vance%40contoso.example", nil)
				default:
					req, _ = http.NewRequest("POST", ts.URL+"/portal/signin", strings.NewReader(url.Values{"csrf": {token}, "user": {"adele.vance@contoso.example"}}.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				resp, err := pc.c.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 400 {
					errs <- req.Method + " " + req.URL.Path + ": " + resp.Status
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
