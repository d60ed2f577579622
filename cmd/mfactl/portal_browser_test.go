package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/mfactl/mfactl/internal/browsertest"
	"github.com/mfactl/mfactl/methods"
)

// The emulated portal in a real browser (issue 17): each flow of the seed
// pages, driven by clicks and typed text only, the codes read from the
// emulated phone panel in a second tab; the outcome checked through Graph
// and through `mfactl user show`. MFACTL_PORTAL_SHOTS=dir writes a
// screenshot of every step there, for help pages.

// portalRun is one browser session against a served portal.
type portalRun struct {
	t       *testing.T
	e       *env
	root    string // the server's URL
	shots   string
	n       int
	secrets []string // what must never reach the request log
	events  []*browsertest.Events
}

// tab opens a tab in the browser context of parent (a new context when
// fresh is set: its own cookies).
func (r *portalRun) tab(parent context.Context, fresh bool) context.Context {
	r.t.Helper()
	ev := &browsertest.Events{}
	r.events = append(r.events, ev)
	opts := []chromedp.ContextOption{chromedp.WithListener(ev.Listen)}
	if fresh {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(parent, opts...)
	r.t.Cleanup(cancel)
	rec := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: browsertest.CSPRecorder})
		return err
	})
	// The first action opens the tab: it runs on the tab's own context,
	// whose end closes it (a step's timeout would).
	if err := chromedp.Do(ctx, rec); err != nil {
		r.t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// stepTimeout bounds one step: a page that never comes fails the step,
// with the page's text, long before the whole session's bound.
const stepTimeout = 30 * time.Second

func (r *portalRun) do(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	r.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		r.t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
	}
}

func (r *portalRun) open(ctx context.Context, path string) {
	r.t.Helper()
	r.do(ctx, "opening "+path, chromedp.Navigate(r.root+path))
}

func (r *portalRun) click(ctx context.Context, sel string) {
	r.t.Helper()
	r.do(ctx, "clicking "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

func (r *portalRun) typeIn(ctx context.Context, sel, text string) {
	r.t.Helper()
	r.do(ctx, "typing into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose picks an option of a select by its value.
func (r *portalRun) choose(ctx context.Context, sel, value string) {
	r.t.Helper()
	r.do(ctx, "choosing "+value+" in "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value))
}

func (r *portalRun) text(ctx context.Context, sel string) string {
	r.t.Helper()
	r.wait(ctx, sel)
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		r.t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// wait waits for an element (the page after a redirect or a poll).
func (r *portalRun) wait(ctx context.Context, sel string) {
	r.t.Helper()
	r.do(ctx, "waiting for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitFlash waits for the page's one-time message to say want.
func (r *portalRun) waitFlash(ctx context.Context, want string) {
	r.t.Helper()
	expr := fmt.Sprintf(`(function () { var f = document.querySelector('.flash'); return !!f && f.textContent.indexOf(%q) >= 0; })()`, want)
	// Polled from here: a navigation in between ends the browser's own
	// polling with an error, not with the new page.
	deadline := time.Now().Add(stepTimeout)
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
			r.t.Fatalf("waiting for the message %q: %v\n%s", want, err, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shot writes a screenshot of the step when MFACTL_PORTAL_SHOTS is set.
func (r *portalRun) shot(ctx context.Context, name string) {
	r.t.Helper()
	if r.shots == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		r.t.Fatalf("screenshot %s: %v", name, err)
	}
	r.n++
	if err := os.WriteFile(filepath.Join(r.shots, fmt.Sprintf("%02d-%s.png", r.n, name)), png, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// newestCode reads the code of the newest text on the phone panel.
func (r *portalRun) newestCode(phone context.Context, upn string) string {
	r.t.Helper()
	r.open(phone, "/portal/phone?user="+url.QueryEscape(upn))
	msg := r.text(phone, "#messages li:first-child .text")
	code := sixDigits.FindString(msg)
	if code == "" {
		r.t.Fatalf("the newest message on %s's phone has no code: %q", upn, msg)
	}
	r.secrets = append(r.secrets, code)
	return code
}

// answerCall answers the ringing call on the panel and presses keys.
func (r *portalRun) answerCall(phone context.Context, upn, keys string) {
	r.t.Helper()
	r.open(phone, "/portal/phone?user="+url.QueryEscape(upn))
	r.click(phone, ".call-answer")
	r.typeIn(phone, ".keys", keys)
	r.shot(phone, "phone-call-keys")
	r.click(phone, ".call-keys")
}

// graphMethods lists a user's methods through the served Graph endpoint.
func (r *portalRun) graphMethods(upn string) []map[string]any {
	r.t.Helper()
	var out struct {
		Value []map[string]any `json:"value"`
	}
	r.graphGet("/v1.0/users/"+url.PathEscape(upn)+"/authentication/methods", &out)
	return out.Value
}

func (r *portalRun) graphGet(path string, v any) {
	r.t.Helper()
	req, _ := http.NewRequest("GET", r.root+path, nil)
	req.Header.Set("Authorization", "Bearer mock-admin-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		r.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		r.t.Fatal(err)
	}
}

func countType(ms []map[string]any, odataType, phoneType string) int {
	n := 0
	for _, m := range ms {
		if m["@odata.type"] == "#microsoft.graph."+odataType && (phoneType == "" || m["phoneType"] == phoneType) {
			n++
		}
	}
	return n
}

// userShow is `mfactl user show -o json` against the served mock.
func (r *portalRun) userShow(upn string) (methodTypes []string, phones map[string]string) {
	r.t.Helper()
	res := r.e.run([]string{"MFACTL_ENDPOINT=" + r.root, "MFACTL_TOKEN=mock-admin-token"}, "user", "show", upn, "-o", "json")
	if res.code != 0 {
		r.t.Fatalf("user show %s: exit %d: %s", upn, res.code, res.stderr)
	}
	var v struct {
		Methods []struct {
			Type        string `json:"type"`
			PhoneType   string `json:"phoneType"`
			PhoneNumber string `json:"phoneNumber"`
		} `json:"methods"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		r.t.Fatalf("user show: %v\n%s", err, res.stdout)
	}
	phones = map[string]string{}
	for _, m := range v.Methods {
		methodTypes = append(methodTypes, m.Type)
		if m.PhoneType != "" {
			phones[m.PhoneType] = m.PhoneNumber
		}
	}
	return methodTypes, phones
}

func TestPortalFlowsInBrowser(t *testing.T) {
	bin := browsertest.ChromiumOrSkip(t)
	e := newEnv(t)
	logFile := filepath.Join(e.dir, "serve.log")
	root, stop := serveLogged(t, e, filepath.Join(e.dir, "portal.db"), logFile, "--verify-config", cheapVerifyConfig(t, e.dir, ""))
	r := &portalRun{t: t, e: e, root: root, shots: os.Getenv("MFACTL_PORTAL_SHOTS")}
	if r.shots != "" {
		if err := os.MkdirAll(r.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	browserCtx := browsertest.StartFor(t, bin, 4*time.Minute)
	const adele = "adele.vance@contoso.example"

	// Seed 001: "I can't use my Microsoft Authenticator app right now",
	// then a texted code (a browser of its own: nothing remembered).
	{
		portal := r.tab(browserCtx, true)
		phone := r.tab(portal, false)
		r.open(portal, "/portal/signin")
		r.shot(portal, "signin-pick-account")
		r.click(portal, `button[value="`+adele+`"]`)
		r.wait(portal, "#number")
		r.click(portal, "#other")
		r.wait(portal, "#option-sms")
		r.shot(portal, "signin-verify-your-identity")
		r.click(portal, "#option-sms")
		r.wait(portal, "#code")
		code := r.newestCode(phone, adele)
		r.shot(phone, "phone-text")
		r.typeIn(portal, "#code", code)
		r.shot(portal, "signin-enter-code")
		r.click(portal, "#verify")
		r.wait(portal, "#default")
	}

	portal := r.tab(browserCtx, true)
	phone := r.tab(portal, false)

	// Seeds 002 and 003: the push with number matching, approved on the
	// emulated phone, and "Don't ask again for 30 days".
	r.open(portal, "/portal/signin")
	r.typeIn(portal, "#user", adele)
	r.click(portal, "#next")
	number := r.text(portal, "#number")
	r.click(portal, "#remember")
	r.shot(portal, "signin-approve-request")
	r.open(phone, "/portal/phone?user="+url.QueryEscape(adele))
	r.typeIn(phone, ".push-number", number)
	r.shot(phone, "phone-notification")
	r.click(phone, ".push-yes")
	r.wait(portal, "#default") // the prompt's poll saw the approval
	if got := r.text(portal, "#default"); !strings.Contains(got, "Microsoft Authenticator - notification") {
		t.Errorf("default after sign-in: %q", got)
	}
	r.shot(portal, "security-info")

	// Seed 001/002: another authenticator app by its key, then its first
	// code. The test is the app: it reads the key under "Can't scan the
	// image?" as a person types it into their app.
	r.click(portal, "#add")
	r.choose(portal, "#method", "authenticator")
	r.shot(portal, "add-a-method")
	r.click(portal, "#add")
	r.wait(portal, "#different")
	r.shot(portal, "authenticator-start")
	r.click(portal, "#different")
	r.wait(portal, "#qr")
	r.click(portal, "#cantscan summary")
	key := r.text(portal, "#secret")
	r.secrets = append(r.secrets, key)
	r.shot(portal, "app-scan-qr")
	if !strings.Contains(r.text(portal, "#account"), adele) {
		t.Errorf("account name %q", r.text(portal, "#account"))
	}
	secret, err := methods.ParseOATHSecret(key)
	if err != nil {
		t.Fatalf("the key shown is not a base32 OATH secret: %v", err)
	}
	totp, err := methods.NewTOTPKey(secret).Code(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r.secrets = append(r.secrets, totp)
	r.click(portal, "#next")
	r.typeIn(portal, "#code", totp)
	r.shot(portal, "app-enter-code")
	r.click(portal, "#next")
	r.waitFlash(portal, "Authenticator app was successfully registered")
	if n := countType(r.graphMethods(adele), "softwareOathAuthenticationMethod", ""); n != 2 {
		t.Errorf("Graph lists %d software OATH methods after adding the app, want 2 (Adele had one)", n)
	}
	// The panel now shows the app's code, as the app would.
	r.open(phone, "/portal/phone?user="+url.QueryEscape(adele))
	r.wait(phone, ".codes .code")

	// Seed 002: an alternate phone by call, answered with #.
	r.click(portal, "#add")
	r.choose(portal, "#method", "phone-alternateMobile")
	r.click(portal, "#add")
	r.typeIn(portal, "#number", "4255550177")
	r.click(portal, "#voice")
	r.shot(portal, "alternate-phone")
	r.click(portal, "#next")
	r.wait(portal, "#calling")
	r.answerCall(phone, adele, "#")
	r.waitFlash(portal, "Your phone was registered successfully")

	// Seeds 002 and 004: an office phone with an extension: # once the
	// call reaches the extension, then # to approve.
	r.click(portal, "#add")
	r.choose(portal, "#method", "phone-office")
	r.click(portal, "#add")
	r.choose(portal, "#country", "44")
	r.typeIn(portal, "#number", "2079460123")
	r.typeIn(portal, "#extension", "4321")
	r.shot(portal, "office-phone")
	r.click(portal, "#next")
	r.wait(portal, "#calling")
	r.answerCall(phone, adele, "##")
	r.waitFlash(portal, "Your phone was registered successfully")

	// Email, and security questions (seed 004) where the policy allows.
	r.click(portal, "#add")
	r.choose(portal, "#method", "email")
	r.click(portal, "#add")
	r.typeIn(portal, "#email", "adele@example.org")
	r.shot(portal, "email")
	r.click(portal, "#next")
	r.wait(portal, "#sent")
	if got := r.text(portal, "#sent"); got != "We just sent a code to adele@example.org" {
		t.Errorf("email verify page says %q", got)
	}
	// The code is mailed, not saved: nothing is added yet.
	if countType(r.graphMethods(adele), "emailAuthenticationMethod", "") != 0 {
		t.Error("the email method exists before its code was entered")
	}
	r.newestCode(phone, adele) // the mail holds a code
	if got := r.text(phone, "#messages li:first-child .note"); !strings.Contains(got, "Email · adele@example.org") {
		t.Errorf("the panel shows the email as %q", got)
	}
	r.shot(phone, "phone-email")
	r.click(portal, "#resend")
	r.waitFlash(portal, "We sent a new code")
	mailed := r.newestCode(phone, adele)
	if n := strings.Count(r.text(phone, "#messages"), "Email · adele@example.org"); n != 2 {
		t.Errorf("the panel shows %d emails after Resend code, want 2", n)
	}
	r.typeIn(portal, "#code", mailed)
	r.shot(portal, "email-enter-code")
	r.click(portal, "#next")
	r.waitFlash(portal, "Email was successfully registered")
	r.click(portal, "#add")
	r.choose(portal, "#method", "questions")
	r.click(portal, "#add")
	for i, a := range []string{"Springfield", "Rex the dog", "Pancakes"} {
		r.typeIn(portal, fmt.Sprintf("#a%d", i+1), a)
		r.secrets = append(r.secrets, a)
	}
	r.shot(portal, "security-questions")
	r.click(portal, "#done")
	r.waitFlash(portal, "Security questions were successfully registered")

	// Seed 002: change the default sign-in method.
	r.click(portal, "#change-default")
	r.choose(portal, "#method", "sms")
	r.shot(portal, "change-default")
	r.click(portal, "#confirm")
	r.waitFlash(portal, "Default sign-in method updated")
	var prefs struct {
		Default string `json:"userPreferredMethodForSecondaryAuthentication"`
	}
	r.graphGet("/beta/users/"+url.PathEscape(adele)+"/authentication/signInPreferences", &prefs)
	if prefs.Default != "sms" {
		t.Errorf("Graph's default after Change: %q, want sms", prefs.Default)
	}

	// Seed 003: remove a lost device, with the confirmation step.
	r.click(portal, `a[aria-label^="Delete Microsoft Authenticator"]`)
	r.wait(portal, "#ok")
	r.shot(portal, "delete-confirm")
	r.click(portal, "#ok")
	r.waitFlash(portal, "deleted")
	r.shot(portal, "security-info-after")
	ms := r.graphMethods(adele)
	if n := countType(ms, "microsoftAuthenticatorAuthenticationMethod", ""); n != 0 {
		t.Errorf("Graph still lists %d Microsoft Authenticator methods after Delete", n)
	}
	for _, want := range [][2]string{{"mobile", ""}, {"alternateMobile", ""}, {"office", ""}} {
		if countType(ms, "phoneAuthenticationMethod", want[0]) != 1 {
			t.Errorf("Graph lists no %s phone", want[0])
		}
	}
	if countType(ms, "emailAuthenticationMethod", "") != 1 {
		t.Error("Graph lists no email method")
	}

	// Seeds 002 and 004: a new Microsoft Authenticator by its activation
	// code and URL ("Can't scan image?"), typed into the emulated phone's
	// app, then "Let's try it out" approved with the number shown.
	r.click(portal, "#add")
	r.choose(portal, "#method", "authenticator")
	r.click(portal, "#add")
	r.click(portal, "#next")
	r.wait(portal, "#qr")
	r.click(portal, "#cantscan summary")
	actCode, actURL := r.text(portal, "#activation-code"), r.text(portal, "#activation-url")
	r.secrets = append(r.secrets, strings.ReplaceAll(actCode, " ", ""))
	r.shot(portal, "authenticator-qr")
	r.open(phone, "/portal/phone?user="+url.QueryEscape(adele))
	r.click(phone, "#add-account summary")
	r.typeIn(phone, "#act-code", actCode)
	r.typeIn(phone, "#act-url", actURL)
	r.typeIn(phone, "#act-device", "Pixel 9")
	r.shot(phone, "phone-add-account")
	r.click(phone, "#act-finish")
	r.waitFlash(phone, "Account added")
	r.click(portal, "#next")
	number = r.text(portal, "#number")
	r.shot(portal, "authenticator-try-it-out")
	r.open(phone, "/portal/phone?user="+url.QueryEscape(adele))
	r.typeIn(phone, ".push-number", number)
	r.click(phone, ".push-yes")
	r.waitFlash(portal, "Microsoft Authenticator was successfully registered")
	ms = r.graphMethods(adele)
	if n := countType(ms, "microsoftAuthenticatorAuthenticationMethod", ""); n != 1 {
		t.Errorf("Graph lists %d Microsoft Authenticator methods after adding one, want 1", n)
	}
	for _, m := range ms {
		if m["@odata.type"] == "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod" && m["displayName"] != "Pixel 9" {
			t.Errorf("the new Authenticator is %v, want the device Pixel 9", m["displayName"])
		}
	}

	types, phones := r.userShow(adele)
	if !slices.Contains(types, "microsoftAuthenticator") || !slices.Contains(types, "softwareOath") || !slices.Contains(types, "email") {
		t.Errorf("user show lists %v", types)
	}
	if phones["alternateMobile"] != "+1 4255550177" || phones["office"] != "+44 2079460123x4321" {
		t.Errorf("user show phones: %v", phones)
	}

	// "Don't ask again": the next sign-in in this browser skips the prompt.
	r.click(portal, ".signout button")
	r.click(portal, `button[value="`+adele+`"]`)
	r.waitFlash(portal, "this browser is remembered")

	// Seed 001: a user with no method adds a phone: "Text me a code",
	// "Get a new code", the newest code.
	const alex = "alex.wilber@contoso.example"
	r.click(portal, ".signout button")
	r.click(portal, `button[value="`+alex+`"]`)
	r.wait(portal, "#add")
	r.click(portal, "#add")
	r.choose(portal, "#method", "phone-mobile")
	r.click(portal, "#add")
	r.typeIn(portal, "#number", "4255550188")
	r.shot(portal, "phone-text-me")
	r.click(portal, "#next")
	r.wait(portal, "#code")
	r.click(portal, "#resend")
	r.waitFlash(portal, "We sent a new code")
	code := r.newestCode(phone, alex)
	r.typeIn(portal, "#code", code)
	r.shot(portal, "phone-enter-code")
	r.click(portal, "#next")
	r.waitFlash(portal, "SMS verified")
	if countType(r.graphMethods(alex), "phoneAuthenticationMethod", "mobile") != 1 {
		t.Error("Graph lists no mobile phone for alex after the text test")
	}
	if _, phones := r.userShow(alex); phones["mobile"] != "+1 4255550188" {
		t.Errorf("user show alex phones: %v", phones)
	}

	// Seeds 000 and 004: a call that asks for the PIN, answered with
	// PIN and #.
	const lee = "lee.gu@contoso.example"
	const pin = "73915846"
	r.secrets = append(r.secrets, pin)
	if res := e.runIn(pin+"\n", []string{"MFACTL_ENDPOINT=" + root, "MFACTL_TOKEN=mock-admin-token"}, "enroll", "pin", lee, "--pin-stdin"); res.code != 0 {
		t.Fatalf("enroll pin: %s", res.stderr)
	}
	r.click(portal, ".signout button")
	r.click(portal, `button[value="`+lee+`"]`)
	r.wait(portal, "#calling")
	r.shot(portal, "signin-call")
	r.answerCall(phone, lee, pin+"#")
	r.wait(portal, "#default")

	// Seed 001: the authenticator app's code at sign-in, read off the
	// phone panel.
	const nestor = "nestor.wilke@contoso.example"
	r.click(portal, ".signout button")
	r.click(portal, `button[value="`+nestor+`"]`)
	r.wait(portal, "#code")
	r.open(phone, "/portal/phone?user="+url.QueryEscape(nestor))
	totp = strings.ReplaceAll(r.text(phone, ".codes .code"), " ", "")
	r.secrets = append(r.secrets, totp)
	r.typeIn(portal, "#code", totp)
	r.click(portal, "#verify")
	r.wait(portal, "#default")

	// Nothing broke the page's policy or asked another origin; no secret
	// reached the server's log.
	for _, ctx := range []context.Context{portal, phone} {
		if v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations || []`)); err != nil || len(v) > 0 {
			t.Errorf("CSP violations: %v %v", v, err)
		}
	}
	for _, ev := range r.events {
		errs, _, requests := ev.Snapshot()
		for _, e := range errs {
			t.Errorf("browser: %s", e)
		}
		for _, u := range requests {
			if !strings.HasPrefix(u, root+"/portal/") {
				t.Errorf("a page requested %s: the portal must be self-contained", u)
			}
		}
	}
	stop()
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "POST /portal/security-info/app/code") {
		t.Fatalf("the server log does not show the portal's requests:\n%s", log)
	}
	for _, s := range r.secrets {
		if strings.Contains(string(log), s) {
			t.Errorf("the server log contains a secret the flow used (%d characters)", len(s))
		}
	}
}

// TestServePortalSwitch: `mock serve` serves the portal unless
// --no-portal, through the binary.
func TestServePortalSwitch(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		flags []string
		want  int
	}{
		{nil, http.StatusOK},
		{[]string{"--no-portal"}, http.StatusNotFound},
	} {
		root := startServe(t, e, filepath.Join(e.dir, fmt.Sprintf("serve%d.db", tc.want)), tc.flags...)
		resp, err := http.Get(root + "/portal/signin")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%v: GET /portal/signin: %d, want %d", tc.flags, resp.StatusCode, tc.want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); tc.want == http.StatusOK && !strings.HasPrefix(csp, "default-src 'self'") {
			t.Errorf("CSP %q", csp)
		}
	}
}
