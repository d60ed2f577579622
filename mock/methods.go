package mock

import (
	"strings"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// methodSegments are the per-type collections under /authentication.
var methodSegments = func() []struct {
	segment string
	kind    methods.Kind
} {
	var out []struct {
		segment string
		kind    methods.Kind
	}
	for _, k := range methods.AllKinds {
		out = append(out, struct {
			segment string
			kind    methods.Kind
		}{k.CollectionSegment(), k})
	}
	return out
}()

func kindOfSegment(segment string) (methods.Kind, bool) {
	for _, s := range methodSegments {
		if strings.EqualFold(s.segment, segment) {
			return s.kind, true
		}
	}
	return "", false
}

// canReadMethods: the privileged and plain authentication admins, Global
// Reader, and anyone reading their own methods.
func canReadMethods(caller *Principal, target *userRecord) bool {
	return caller.has(RolePrivilegedAuthAdmin, RoleAuthAdmin, RoleGlobalReader, RoleGlobalAdmin) ||
		strings.EqualFold(caller.UPN, target.UPN)
}

// masksPhones: only the privileged role (and the user) sees full numbers.
// Hardware OATH methods are a beta type, yet the polymorphic v1.0 list
// carries them too (the SDK decodes them as the base type), so both
// versions list every method.
func masksPhones(caller *Principal, target *userRecord) bool {
	return !caller.has(RolePrivilegedAuthAdmin, RoleGlobalAdmin) && !strings.EqualFold(caller.UPN, target.UPN)
}

func (s *Server) methodRoutes(rt *router) {
	rt.add("GET", "/users/{user}/authentication/methods", s.listMethods(""))
	rt.add("GET", "/users/{user}/authentication/methods/{id}", s.getMethodHandler(""))
	for _, seg := range methodSegments {
		rt.add("GET", "/users/{user}/authentication/"+seg.segment, s.listMethods(seg.segment))
		rt.add("GET", "/users/{user}/authentication/"+seg.segment+"/{id}", s.getMethodHandler(seg.segment))
	}
}

func (s *Server) listMethods(segment string) handlerFunc {
	return func(r *request) (*response, error) {
		var kind methods.Kind
		if segment != "" {
			kind, _ = kindOfSegment(segment)
			if kind == methods.KindHardwareOath && r.version != "beta" {
				return nil, errBadRequest("BadRequest", "Resource not found for the segment '%s'.", segment)
			}
		}
		var values []map[string]any
		var userID string
		err := s.store.View(func(tx store.Tx) error {
			u, err := getUser(tx, r.params["user"])
			if err != nil {
				return err
			}
			if !canReadMethods(r.caller, u) {
				return errDenied()
			}
			userID = u.ID
			ms, err := userMethods(tx, u.ID)
			if err != nil {
				return err
			}
			mask := masksPhones(r.caller, u)
			values = make([]map[string]any, 0, len(ms))
			for i := range ms {
				if kind != "" && ms[i].Kind != kind {
					continue
				}
				if err := hydrate(tx, &ms[i], s.now()); err != nil {
					return err
				}
				values = append(values, renderMethod(&ms[i], mask))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		seg := segment
		if seg == "" {
			seg = "methods"
		}
		return ok(map[string]any{
			"@odata.context": r.contextURL("users('" + userID + "')/authentication/" + seg),
			"value":          values,
		})
	}
}

func (s *Server) getMethodHandler(segment string) handlerFunc {
	return func(r *request) (*response, error) {
		var kind methods.Kind
		if segment != "" {
			kind, _ = kindOfSegment(segment)
			if kind == methods.KindHardwareOath && r.version != "beta" {
				return nil, errBadRequest("BadRequest", "Resource not found for the segment '%s'.", segment)
			}
		}
		var body map[string]any
		err := s.store.View(func(tx store.Tx) error {
			u, err := getUser(tx, r.params["user"])
			if err != nil {
				return err
			}
			if !canReadMethods(r.caller, u) {
				return errDenied()
			}
			m, found, err := getMethod(tx, u.ID, r.params["id"])
			if err != nil {
				return err
			}
			if !found || (kind != "" && m.Kind != kind) {
				return errNotFound("The requested authentication method '%s' was not found for user '%s'.", r.params["id"], u.UPN)
			}
			if err := hydrate(tx, m, s.now()); err != nil {
				return err
			}
			body = renderMethod(m, masksPhones(r.caller, u))
			return nil
		})
		if err != nil {
			return nil, err
		}
		return ok(body)
	}
}
