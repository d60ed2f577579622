package mock

import (
	"github.com/mfactl/mfactl/mock/store"
)

// Page sizes of GET /users: Graph's default is 100 and $top may go to 999.
const (
	usersDefaultPage = 100
	usersMaxPage     = 999
)

func (s *Server) userRoutes(rt *router) {
	rt.add("GET", "/users", s.listUsers)
	rt.add("GET", "/users/{user}", s.getUserHandler)
	rt.add("GET", "/me", s.getMe)
}

func (s *Server) listUsers(r *request) (*response, error) {
	sel, err := r.selectProps(lookupUserProperty, "Microsoft.DirectoryServices.User")
	if err != nil {
		return nil, err
	}
	size, err := r.pageSize(usersDefaultPage, usersMaxPage)
	if err != nil {
		return nil, err
	}
	after, err := r.skipToken()
	if err != nil {
		return nil, err
	}
	page := make([]map[string]any, 0, size)
	var last string
	more := false
	err = s.store.View(func(tx store.Tx) error {
		from := ""
		if after != "" {
			from = after + "\x00"
		}
		return store.ScanJSON(tx, bucketUsers, "", from, func(key string, u userRecord) (bool, error) {
			if len(page) == size {
				more = true
				return false, nil
			}
			page = append(page, renderUser(&u, sel))
			last = key
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	body := map[string]any{"@odata.context": r.contextURL("users"), "value": page}
	if more {
		body["@odata.nextLink"] = r.nextLink(last)
	}
	return ok(body)
}

func (s *Server) getUserHandler(r *request) (*response, error) {
	return s.renderOneUser(r, r.params["user"])
}

func (s *Server) getMe(r *request) (*response, error) {
	return s.renderOneUser(r, r.caller.UPN)
}

func (s *Server) renderOneUser(r *request, ref string) (*response, error) {
	sel, err := r.selectProps(lookupUserProperty, "Microsoft.DirectoryServices.User")
	if err != nil {
		return nil, err
	}
	var body map[string]any
	err = s.store.View(func(tx store.Tx) error {
		u, err := getUser(tx, ref)
		if err != nil {
			return err
		}
		body = renderUser(u, sel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	body["@odata.context"] = r.contextURL("users/$entity")
	return ok(body)
}
