// Package browsertest drives headless Chromium for the tests that check a
// page in a real browser (the HTML report, the emulated portal): finding
// the browser, starting it with flags that work on a closed network as
// root, and recording what a tab reported (console errors, exceptions,
// requests, CSP violations). Chromium comes from the system packages
// (.ci/run installs it); a test skips without it, except under CI, where
// it fails.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Timeout bounds the whole browser session: a hung browser fails the
// test instead of hanging it.
const Timeout = 60 * time.Second

// FindChromium returns the browser to drive: $MFACTL_CHROMIUM, then
// /usr/bin/chromium, then chromium, chromium-browser or google-chrome in PATH.
func FindChromium() (string, error) {
	if p := os.Getenv("MFACTL_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("MFACTL_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := exec.LookPath("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium: set MFACTL_CHROMIUM, or install Debian's chromium (apt-get install chromium; .ci/run does)")
}

func ChromiumOrSkip(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("browser test skipped in -short mode")
	}
	p, err := FindChromium()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, so the browser test must run: %v", err)
		}
		t.Skipf("skipping the browser test: %v", err)
	}
	return p
}

// lockedBuffer collects the browser's output, written from another goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testLogf forwards chromedp's messages to t.Logf while the test runs and
// drops those that come after it (t.Logf would panic then).
type testLogf struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *testLogf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf("chromedp: "+format, args...)
	}
}

func (l *testLogf) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
}

// Start starts headless Chromium with the flags known to work on a
// closed network as root, and returns a context for opening tabs in it. The
// browser stops when the test ends or Timeout passes.
func Start(t *testing.T, bin string) context.Context {
	t.Helper()
	return StartFor(t, bin, Timeout)
}

// StartFor is Start with another bound on the whole session.
func StartFor(t *testing.T, bin string, limit time.Duration) context.Context {
	t.Helper()
	lg := &testLogf{t: t}
	out := &lockedBuffer{}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), limit)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()), // a fresh profile; removed after the browser stopped
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(lg.logf), chromedp.WithErrorf(lg.logf))
	// Cleanups run last in, first out: stop the browser (and wait for it),
	// then the allocator, then the timeout; the profile directory goes after.
	t.Cleanup(func() {
		if t.Failed() {
			if s := out.String(); s != "" {
				t.Logf("chromium output:\n%s", s)
			}
		}
		lg.stop()
	})
	t.Cleanup(cancelTimeout)
	t.Cleanup(cancelAlloc)
	t.Cleanup(func() {
		if err := chromedp.Cancel(browserCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing chromium: %v", err)
		}
		cancelBrowser()
	})
	start := time.Now()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v\n%s", bin, err, out.String())
	}
	v, err := chromedp.CallBrowser(browserCtx, browser.GetVersion, cdp.Empty{})
	if err == nil {
		t.Logf("%s started in %v", v.Product, time.Since(start).Round(time.Millisecond))
	}
	return browserCtx
}

// Events is what a tab reported while the test drove it.
type Events struct {
	mu       sync.Mutex
	errors   []string // console errors and assertions, uncaught exceptions, browser log errors
	warnings []string
	requests []string // URLs of every request the page made
}

func (p *Events) Listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			var str string
			switch {
			case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &str) == nil:
				args = append(args, str)
			case len(a.Value) > 0:
				args = append(args, string(a.Value))
			case a.Description != "":
				args = append(args, a.Description)
			default:
				args = append(args, string(a.Type))
			}
		}
		msg := fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			p.errors = append(p.errors, msg)
		case runtime.ConsoleAPICalledTypeWarning:
			p.warnings = append(p.warnings, msg)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		p.errors = append(p.errors, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *log.EventEntryAdded:
		e := ev.Entry
		msg := fmt.Sprintf("browser log (%s, %s): %s %s", e.Source, e.Level, e.Text, e.URL)
		switch e.Level {
		case log.EntryLevelError:
			p.errors = append(p.errors, msg)
		case log.EntryLevelWarning:
			p.warnings = append(p.warnings, msg)
		}
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, ev.Request.URL)
	}
}

func (p *Events) Snapshot() (errs, warnings, requests []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.errors), slices.Clone(p.warnings), slices.Clone(p.requests)
}

// CSPRecorder runs before the page's own script and records every
// securitypolicyviolation event: DevTools scripts are not subject to the CSP.
const CSPRecorder = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '?') + (e.sample ? ' (' + e.sample + ')' : ''));
}, true);`
