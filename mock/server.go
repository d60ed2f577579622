// Package mock is a mock Microsoft Graph server for the endpoints mfactl
// uses: users, authentication methods, hardware OATH tokens, registration
// reports and JSON batching. It speaks Graph's wire format closely enough
// for the official msgraph-sdk-go client, enforces Entra's rules, and keeps
// its tenant in an embedded transactional store.
//
// It is a library and a binary: NewServer builds it, Handler serves it,
// Transport calls it in-process without a port, Listen serves it over TCP
// (the CLI's mock serve is a thin shell over this package).
package mock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// Options configure a Server.
type Options struct {
	// Store holds the tenant. Nil opens StatePath with bbolt, or an
	// in-memory store when StatePath is empty.
	Store store.Store
	// StatePath is the bbolt file used when Store is nil.
	StatePath string
	// AdminToken replaces DefaultAdminToken as the admin's bearer token.
	AdminToken string
	// NoSeed leaves an empty state empty; by default a new state is seeded
	// with the demo tenant on first use.
	NoSeed bool
	// Now is the server's clock (tests); default time.Now.
	Now func() time.Time
	// Log receives one line per request when set.
	Log io.Writer
	// LockWait is how long to wait for another process holding StatePath.
	LockWait time.Duration
	// ShareState holds StatePath only while a request is served (and a
	// moment after), so other processes using the same file (the
	// in-process mock of another mfactl command) get their turn while this
	// one waits between requests: see store.Shared. OnStateWait is told
	// when a request has waited a second for another process's hold.
	ShareState  bool
	OnStateWait func(store.Holder)
	// Realism adds latency, Graph's throttling and injected faults to
	// /v1.0 and /beta (all off by default); see Realism.
	Realism Realism
	// Verify configures the emulated verification engine served under
	// /_mock/ (lockout, code TTL, remember-device days, ...); nil keeps
	// verify.DefaultConfig. See ParseVerifyConfig for the JSON form.
	Verify *verify.Config
}

// Server is a mock Graph server.
type Server struct {
	opts     Options
	store    store.Store
	ownStore bool
	tokens   *tokenTable
	routes   *router
	control  *router
	handler  http.Handler
	emu      emulator
	// inner serves the requests inside a JSON batch (serveInner); the
	// realism knobs throttle and fail inner requests one by one, as Graph
	// does, so they wrap it as they wrap handler.
	inner http.Handler
	// verify is the verification engine; each request binds it to its own
	// transaction with WithStore.
	verify *verify.Engine
	// batchOrder permutes $batch responses (nil: request order).
	batchOrder *batchShuffler

	mu       sync.Mutex
	entra    *Entra // the emulated Entra ID, when enabled (entra.go)
	listener net.Listener
	http     *http.Server
	url      string
}

// NewServer opens the store, seeds the demo tenant into an empty state and
// returns a server that is not listening yet.
func NewServer(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockWait == 0 {
		opts.LockWait = 30 * time.Second
	}
	if err := opts.Realism.validate(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, store: opts.Store, batchOrder: newBatchShuffler(opts.Realism.BatchOrder, opts.Realism.BatchSeed)}
	engine, err := newVerifyEngine(opts.Verify, s.now)
	if err != nil {
		return nil, err
	}
	s.verify = engine
	if s.store == nil {
		if opts.StatePath == "" {
			s.store = store.NewMemory()
		} else if opts.ShareState {
			b, err := store.OpenShared(opts.StatePath, store.SharedOptions{Wait: opts.LockWait, OnWait: opts.OnStateWait})
			if err != nil {
				return nil, err
			}
			s.store = b
		} else {
			b, err := store.OpenBolt(opts.StatePath, opts.LockWait)
			if err != nil {
				return nil, err
			}
			s.store = b
		}
		s.ownStore = true
	}
	if !opts.NoSeed {
		if err := s.seedIfEmpty(); err != nil {
			s.closeStore()
			return nil, err
		}
	}
	if err := ensureUserIndexes(s.store); err != nil {
		s.closeStore()
		return nil, err
	}
	domain := DemoDomain
	_ = s.store.View(func(tx store.Tx) error {
		if t, err := getTenant(tx); err == nil {
			domain = t.Domain
		}
		return nil
	})
	s.tokens = newTokenTable(opts.AdminToken, domain)
	s.routes = s.buildRoutes()
	s.control = s.buildControlRoutes()
	if err := s.startEmulator(); err != nil {
		s.closeStore()
		return nil, err
	}
	s.handler = s.encodingLayer(s.realismLayer(http.HandlerFunc(s.serveGraph)))
	s.inner = s.innerRealismLayer(http.HandlerFunc(s.serveGraph))
	return s, nil
}

func (s *Server) seedIfEmpty() error {
	// Look first: a write transaction would change the file's bytes on
	// every run, even when there is nothing to seed.
	seeded := false
	if err := s.store.View(func(tx store.Tx) error {
		_, seeded = tx.Get(bucketMeta, metaTenant)
		return nil
	}); err != nil || seeded {
		return err
	}
	return s.store.Update(func(tx store.Tx) error {
		if _, ok := tx.Get(bucketMeta, metaTenant); ok {
			return nil
		}
		return seedDemo(tx, s.opts.Now())
	})
}

// Handler serves Graph under /v1.0 and /beta.
func (s *Server) Handler() http.Handler { return s.handler }

// Store is the server's store (tests and the seed command use it).
func (s *Server) Store() store.Store { return s.store }

// Tokens lists the bearer tokens the server accepts and their roles.
func (s *Server) Tokens() []TokenInfo { return s.tokens.infos() }

// AdminToken is the token of the privileged admin principal.
func (s *Server) AdminToken() string { return s.tokens.entries[0].token }

// Listen serves the handler over TCP on addr ("127.0.0.1:0" picks a port).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mock: listen on %s: %w", addr, err)
	}
	return s.Serve(ln, "http")
}

// Serve serves on an existing listener; scheme is "http" or "https" (the
// listener then already terminates TLS).
func (s *Server) Serve(ln net.Listener, scheme string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return errors.New("mock: already listening")
	}
	s.listener = ln
	s.url = scheme + "://" + ln.Addr().String()
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go s.http.Serve(ln)
	return nil
}

// URL is the root URL when listening ("" otherwise); Graph lives under
// URL()+"/v1.0".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops listening and closes the store it opened.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.http
	s.http, s.listener = nil, nil
	s.mu.Unlock()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = srv.Shutdown(ctx)
	}
	if cerr := s.closeStore(); err == nil {
		err = cerr
	}
	return err
}

func (s *Server) closeStore() error {
	if s.ownStore && s.store != nil {
		return s.store.Close()
	}
	return nil
}

// now is the emulated time: the clock plus the offset set through
// /_mock/clock. Every time-dependent rule uses it.
func (s *Server) now() time.Time { return s.opts.Now().Add(s.clockOffset()) }

// buildRoutes registers every endpoint. Patterns are relative to /v1.0 or
// /beta; beta-only endpoints say so. Each area of Graph registers its own
// routes in its own file.
func (s *Server) buildRoutes() *router {
	rt := &router{}
	s.userRoutes(rt)
	s.methodRoutes(rt)
	s.methodWriteRoutes(rt)
	s.signInRoutes(rt)
	s.userWriteRoutes(rt)
	s.directoryRoutes(rt)
	s.memberOfRoutes(rt)
	s.hardwareRoutes(rt)
	s.reportRoutes(rt)
	s.policyRoutes(rt)
	s.batchRoutes(rt)
	return rt
}
