package mock

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The emulated self-service portal (issue 17): the pages a user sees at
// mysignins.microsoft.com (sign-in with the MFA prompt, "Security info",
// "Add sign-in method") and an emulated phone, served by `mock serve`
// under /portal/. It has no rules of its own: every action is one request
// through the server's own routes (portalCall), the Graph endpoints as
// the signed-in user (self-service) and the /_mock/ endpoints of the
// verification engine as the emulator's admin, so the portal, the CLI and
// any Graph client meet the same checks. It holds no store transaction
// across a wait: pages poll.
//
// Security: loopback clients only unless PortalOptions.Public (a portal
// that signs in without a password must not be reachable from the
// network); the Host header must name a loopback address too, against DNS
// rebinding; a strict Content-Security-Policy (no inline script or style,
// nothing from another origin); a per-session CSRF token on every POST,
// compared in constant time; session and device cookies HttpOnly and
// SameSite=Strict; no secret (key, code, pass, device token) in a URL, so
// none reaches the request log.

// PortalOptions configure the portal of a listening server.
type PortalOptions struct {
	// Off serves no portal: /portal/ answers 404.
	Off bool
	// Public accepts clients from any address (default: loopback only).
	Public bool
}

// portalPrefix is where the portal lives.
const portalPrefix = "/portal"

// portalCSP is the Content-Security-Policy of every portal answer.
const portalCSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

//go:embed portal
var portalFiles embed.FS

// portal is the portal's state: its pages and the browser sessions. The
// sessions live in memory, not in the store: they are the browser's, and
// a restart signs everyone out, as a real portal's would.
type portal struct {
	s    *Server
	opts PortalOptions
	mux  *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*portalSession
}

// portalSession is one browser's state.
type portalSession struct {
	id      string
	csrf    string
	created time.Time
	seen    time.Time

	// userID and upn are the signed-in user; empty before sign-in.
	userID, upn, name string
	signin            *pendingSignIn
	app               *pendingApp
	phone             *pendingPhone
	email             *pendingEmail
	authreg           *pendingAuthenticator
	flash             string
}

// sessionLifetime bounds an idle session.
const sessionLifetime = 12 * time.Hour

const (
	sessionCookie = "mfactl_portal"
	// deviceCookiePrefix + user id holds a remembered-device token.
	deviceCookiePrefix = "mfactl_device_"
)

func newPortal(s *Server, opts PortalOptions) *portal {
	p := &portal{s: s, opts: opts, sessions: map[string]*portalSession{}}
	p.routes()
	return p
}

// portalPages are the page templates, parsed once per process and only
// when a page is first shown: a `--mock` command never shows one.
var portalPages = sync.OnceValues(func() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	layout, err := template.New("layout.html").ParseFS(portalFiles, "portal/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(portalFiles, "portal/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		t, err := template.Must(layout.Clone()).ParseFS(portalFiles, n)
		if err != nil {
			return nil, fmt.Errorf("portal page %s: %w", n, err)
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(n, "portal/pages/"), ".html")] = t
	}
	return pages, nil
})

// portalLayer serves /portal/ and hands everything else to next.
func (s *Server) portalLayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != portalPrefix && !strings.HasPrefix(r.URL.Path, portalPrefix+"/") {
			next.ServeHTTP(w, r)
			return
		}
		if s.portal == nil {
			http.Error(w, "The portal is off (mock serve --no-portal).", http.StatusNotFound)
			return
		}
		s.portal.ServeHTTP(w, r)
	})
}

// statusWriter records the status, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (p *portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	h := w.Header()
	h.Set("Content-Security-Policy", portalCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	who := "-"
	defer func() { p.log(r, sw.status, who) }()
	if !p.opts.Public {
		if !loopbackRemote(r.RemoteAddr) {
			http.Error(sw, "The portal answers only clients on this computer (loopback); start mock serve with --portal-public to open it to the network.", http.StatusForbidden)
			return
		}
		if !loopbackHost(r.Host) {
			http.Error(sw, "The portal answers only requests addressed to a loopback name (127.0.0.1, ::1 or localhost); start mock serve with --portal-public to accept other names.", http.StatusForbidden)
			return
		}
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(sw, r.Body, 64<<10)
		sess := p.session(r)
		if sess == nil || !p.csrfOK(r, sess) {
			http.Error(sw, "The form's security token is missing or wrong (CSRF check): reload the page and try again.", http.StatusForbidden)
			return
		}
	}
	if sess := p.session(r); sess != nil {
		p.with(sess, func(s *portalSession) {
			if s.upn != "" {
				who = s.upn
			}
		})
	}
	p.mux.ServeHTTP(sw, r)
}

// log writes one line per portal request, as the Graph side does. URLs
// carry no secret, so the line holds none.
func (p *portal) log(r *http.Request, status int, who string) {
	if p.s.opts.Log == nil {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	fmt.Fprintf(p.s.opts.Log, "%s %s %s %d portal:%s\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.RequestURI(), status, who)
}

func loopbackRemote(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// session returns the browser's session, or nil.
func (p *portal) session(r *http.Request) *portalSession {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	sess := p.sessions[c.Value]
	if sess == nil || time.Since(sess.seen) > sessionLifetime {
		return nil
	}
	sess.seen = time.Now()
	return sess
}

// ensureSession returns the browser's session, starting one (and setting
// its cookie) when there is none.
func (p *portal) ensureSession(w http.ResponseWriter, r *http.Request) *portalSession {
	if sess := p.session(r); sess != nil {
		return sess
	}
	now := time.Now()
	sess := &portalSession{id: randomToken(32), csrf: randomToken(32), created: now, seen: now}
	p.mu.Lock()
	for id, old := range p.sessions {
		if now.Sub(old.seen) > sessionLifetime {
			delete(p.sessions, id)
		}
	}
	p.sessions[sess.id] = sess
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.id, Path: portalPrefix + "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return sess
}

// csrfOK checks the form's token against the session's in constant time.
func (p *portal) csrfOK(r *http.Request, sess *portalSession) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// with runs fn under the sessions' lock: handlers read and change a
// session only through it.
func (p *portal) with(sess *portalSession, fn func(*portalSession)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(sess)
}

// takeFlash returns and clears the session's one-time message.
func (p *portal) takeFlash(sess *portalSession) string {
	var f string
	p.with(sess, func(s *portalSession) { f, s.flash = s.flash, "" })
	return f
}

func (p *portal) setFlash(sess *portalSession, msg string) {
	p.with(sess, func(s *portalSession) { s.flash = msg })
}

// pageData is what every page template gets.
type pageData struct {
	Title string
	CSRF  string
	// UPN and Name are the signed-in user ("" before sign-in).
	UPN, Name string
	Flash     string
	Error     string
	// Poll, when set, is the URL the page's script polls; Version is the
	// value it compares with; PollSubmit names the button to press when the
	// value changes, by its button's id (otherwise the page reloads).
	Poll, Version, PollSubmit string
	Data                      any
}

// render writes a page.
func (p *portal) render(w http.ResponseWriter, status int, name string, sess *portalSession, d pageData) {
	pages, err := portalPages()
	if err != nil {
		http.Error(w, "portal pages: "+err.Error(), http.StatusInternalServerError)
		return
	}
	t := pages[name]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	p.with(sess, func(s *portalSession) {
		d.CSRF, d.UPN, d.Name = s.csrf, s.upn, s.name
		if d.Flash == "" {
			d.Flash, s.flash = s.flash, ""
		}
	})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", d); err != nil {
		http.Error(w, "rendering "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// portalCall runs one request through the server's own routes, in
// process: a Graph path (/v1.0/..., /beta/...) as caller, or an emulator
// path (/_mock/...) as the emulator's admin. The answer's body is decoded
// into out (when not nil). An error is the endpoint's refusal, as Graph
// would answer it (see portalError).
func (s *Server) portalCall(caller *Principal, method, target string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	hr, err := http.NewRequest(method, "http://portal.invalid"+target, rd)
	if err != nil {
		return err
	}
	r := s.newRequest(hr)
	if err := r.readBody(); err != nil {
		return err
	}
	segs, err := pathSegments(hr.URL)
	if err != nil || len(segs) == 0 {
		return fmt.Errorf("portal: bad path %s", target)
	}
	rt := s.routes
	if segs[0] == controlSegment {
		rt, segs = s.control, segs[1:]
		r.caller = &s.tokens.entries[0].principal
	} else {
		if caller == nil {
			return fmt.Errorf("portal: %s %s needs the signed-in user as caller", method, target)
		}
		r.version, segs = segs[0], keySegments(segs[1:])
		r.caller = caller
	}
	h, params, _, _ := rt.match(method, r.version, segs)
	if h == nil {
		return fmt.Errorf("portal: no route %s %s", method, target)
	}
	r.params = params
	resp, err := h(r)
	if err != nil {
		return err
	}
	if out != nil && resp.body != nil {
		b, err := json.Marshal(resp.body)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, out)
	}
	return nil
}

// portalError is the sentence a page shows for a refused call: the
// endpoint's message, without Graph's status and code.
func portalError(err error) string {
	var ge *graphError
	if errors.As(err, &ge) {
		return ge.message
	}
	return err.Error()
}

func (p *portal) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(portalFiles, "portal/static")
	m.Handle("GET /portal/static/", http.StripPrefix("/portal/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /portal", func(w http.ResponseWriter, r *http.Request) { redirect(w, r, portalPrefix+"/") })
	m.HandleFunc("GET /portal/{$}", func(w http.ResponseWriter, r *http.Request) {
		sess := p.ensureSession(w, r)
		signedIn := false
		p.with(sess, func(s *portalSession) { signedIn = s.userID != "" })
		if signedIn {
			redirect(w, r, portalPrefix+"/security-info")
			return
		}
		redirect(w, r, portalPrefix+"/signin")
	})
	m.HandleFunc("GET /portal/signin", p.getSignIn)
	m.HandleFunc("POST /portal/signin", p.postSignIn)
	m.HandleFunc("GET /portal/signin/verify", p.getVerify)
	m.HandleFunc("POST /portal/signin/verify", p.postVerify)
	m.HandleFunc("GET /portal/signin/state", p.getSignInState)
	m.HandleFunc("POST /portal/signin/finish", p.postFinish)
	m.HandleFunc("GET /portal/signin/other", p.getOther)
	m.HandleFunc("POST /portal/signin/other", p.postOther)
	m.HandleFunc("POST /portal/signin/resend", p.postResend)
	m.HandleFunc("POST /portal/signout", p.postSignOut)

	m.HandleFunc("GET /portal/security-info", p.getInfo)
	m.HandleFunc("GET /portal/security-info/default", p.getDefault)
	m.HandleFunc("POST /portal/security-info/default", p.postDefault)
	m.HandleFunc("GET /portal/security-info/add", p.getAdd)
	m.HandleFunc("POST /portal/security-info/add", p.postAdd)
	m.HandleFunc("GET /portal/security-info/authenticator", p.getAuthenticator)
	m.HandleFunc("POST /portal/security-info/app", p.postAppStart)
	m.HandleFunc("GET /portal/security-info/app", p.getApp)
	m.HandleFunc("GET /portal/security-info/app/qr.png", p.getAppQR)
	m.HandleFunc("GET /portal/security-info/app/code", p.getAppCode)
	m.HandleFunc("POST /portal/security-info/app/code", p.postAppCode)
	m.HandleFunc("GET /portal/security-info/phone", p.getPhone)
	m.HandleFunc("POST /portal/security-info/phone", p.postPhone)
	m.HandleFunc("GET /portal/security-info/phone/verify", p.getPhoneVerify)
	m.HandleFunc("POST /portal/security-info/phone/verify", p.postPhoneVerify)
	m.HandleFunc("GET /portal/security-info/phone/state", p.getPhoneState)
	m.HandleFunc("GET /portal/security-info/email", p.getEmail)
	m.HandleFunc("POST /portal/security-info/email", p.postEmail)
	m.HandleFunc("GET /portal/security-info/email/verify", p.getEmailVerify)
	m.HandleFunc("POST /portal/security-info/email/verify", p.postEmailVerify)
	m.HandleFunc("GET /portal/security-info/questions", p.getQuestions)
	m.HandleFunc("POST /portal/security-info/questions", p.postQuestions)
	m.HandleFunc("GET /portal/security-info/delete", p.getDelete)
	m.HandleFunc("POST /portal/security-info/delete", p.postDelete)

	m.HandleFunc("GET /portal/phone", p.getPhonePanel)
	m.HandleFunc("GET /portal/phone/state", p.getPhonePanelState)
	m.HandleFunc("POST /portal/phone", p.postPhoneAction)
	p.authenticatorRoutes(m)
	p.mux = m
}
