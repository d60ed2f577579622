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

// inVersion reports whether a method type exists on an API version. The
// v1.0 list "lists only the methods supported on this API version"
// (api-reference/v1.0/api/authentication-list-methods.md): hardware OATH
// methods are beta-only
// (api-reference/beta/resources/hardwareoathauthenticationmethod.md has no
// v1.0 counterpart), so v1.0 neither lists nor gets them.
func inVersion(k methods.Kind, version string) bool {
	return k != methods.KindHardwareOath || version == "beta"
}

// expandMethod applies $expand=device to a Microsoft Authenticator method:
// device is its one relationship, "null if the device isn't registered for
// passwordless Phone Sign-In"
// (api-reference/v1.0/resources/microsoftauthenticatorauthenticationmethod.md),
// which is also when createdDateTime is null. The mock has no device
// objects of its own, so the device is derived from the method: a stable
// id and the method's device name, as a microsoft.graph.device
// (api-reference/v1.0/resources/device.md). Other $expand values are left
// to the handlers' own checks; on other types device is not a property.
func (r *request) expandMethod(m *methodRecord, body map[string]any) {
	if m.Kind != methods.KindAuthenticator || !expands(r.query.Get("$expand"), "device") {
		return
	}
	if m.Created == nil {
		body["device"] = nil
		return
	}
	body["device"] = map[string]any{
		"@odata.type":          "#microsoft.graph.device",
		"id":                   stableID("authenticator-device", m.UserID+"/"+m.ID),
		"deviceId":             stableID("authenticator-deviceid", m.UserID+"/"+m.ID),
		"displayName":          m.DisplayName,
		"accountEnabled":       true,
		"registrationDateTime": m.Created.UTC().Format("2006-01-02T15:04:05Z"),
	}
}

// expands reports whether an $expand list names prop (case-insensitive).
func expands(list, prop string) bool {
	for _, p := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(p), prop) {
			return true
		}
	}
	return false
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
				if !inVersion(ms[i].Kind, r.version) {
					continue
				}
				if err := hydrate(tx, &ms[i], s.now()); err != nil {
					return err
				}
				body := renderMethod(&ms[i], mask)
				r.expandMethod(&ms[i], body)
				values = append(values, body)
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
			if !found || (kind != "" && m.Kind != kind) || !inVersion(m.Kind, r.version) {
				return errNotFound("The requested authentication method '%s' was not found for user '%s'.", r.params["id"], u.UPN)
			}
			if err := hydrate(tx, m, s.now()); err != nil {
				return err
			}
			body = renderMethod(m, masksPhones(r.caller, u))
			r.expandMethod(m, body)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return ok(body)
	}
}
