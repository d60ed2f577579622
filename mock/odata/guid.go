package odata

import "strings"

// IsGUID reports whether s is a GUID in its 36-character form
// (8-4-4-4-12 hex digits), as OData GUID literals and directory object ids
// are written.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
