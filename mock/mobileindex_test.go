package mock

import (
	"maps"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// walkNumberOwner is the lookup the mobile-number index replaced: a walk of
// every user's mobile phone, comparing with methods.SameNumber. The index
// must answer as it does.
func walkNumberOwner(t *testing.T, tx store.Tx, userID, number string) string {
	t.Helper()
	owner := ""
	err := store.ScanJSON(tx, bucketMethods, "", "", func(key string, m methodRecord) (bool, error) {
		if !strings.HasSuffix(key, "/"+methods.MobilePhoneID) || m.UserID == userID {
			return true, nil
		}
		if methods.SameNumber(m.PhoneNumber, number) {
			owner = m.UserID
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return owner
}

func putPhone(t *testing.T, tx store.Tx, user string, pt methods.PhoneType, number string) {
	t.Helper()
	if err := putMethod(tx, &methodRecord{UserID: user, Method: methods.Method{
		ID: methods.PhoneMethodID(pt), Kind: methods.KindPhone, PhoneType: pt, PhoneNumber: number}}); err != nil {
		t.Fatal(err)
	}
}

func indexContents(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	st.View(func(tx store.Tx) error {
		return tx.Scan(bucketMobileNumbers, "", "", func(k string, v []byte) bool { out[k] = string(v); return true })
	})
	return out
}

func TestSMSNumberOwnerIndex(t *testing.T) {
	st := store.NewMemory()
	mobiles := []struct{ user, number string }{
		{"u1", "+1 4255550100"},
		{"u2", "+1 (425) 555-0100"},   // u1's line, written otherwise
		{"u3", "1 4255550100"},        // does not parse: u1's digits
		{"u4", "+44 (0)20 7183 8750"}, // parses, digits with the trunk 0
		{"u5", "4402071838750"},       // does not parse: u4's digits
		{"u6", "+999 1234"},           // does not parse
		{"u7", "+1 2065550177"},
	}
	update := func(fn func(tx store.Tx)) {
		t.Helper()
		if err := st.Update(func(tx store.Tx) error { fn(tx); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx store.Tx) {
		for _, m := range mobiles {
			putPhone(t, tx, m.user, methods.PhoneMobile, m.number)
		}
		// Other phone types are not SMS sign-in numbers.
		putPhone(t, tx, "u8", methods.PhoneOffice, "+1 2065550188")
		putPhone(t, tx, "u8", methods.PhoneAlternateMobile, "+1 2065550189")
	})
	tests := []struct {
		user, number, want string
	}{
		{"u1", "+1 4255550100", "u2"},
		{"u2", "+14255550100", "u1"},
		{"u9", "+1 425-555-0100", "u1"},
		{"u1", "1 4255550100", "u2"},     // does not parse: digits, u2's are the same
		{"u9", "4255550100", ""},         // digits differ from every number's
		{"u9", "+44 20 7183 8750", "u4"}, // the line of u4; u5's digits are not these
		{"u4", "+44 2071838750", ""},
		{"u9", "4402071838750", "u4"}, // does not parse: u4's and u5's digits
		{"u4", "4402071838750", "u5"},
		{"u9", "+999 1234", "u6"},
		{"u6", "+999 1234", ""},
		{"u9", "+1 2065550188", ""}, // an office number
		{"u9", "+1 2065550189", ""}, // an alternate mobile
		{"u9", "", ""},
		{"u9", "x12", ""},
	}
	if n := len(indexContents(t, st)); n != 0 {
		t.Errorf("putMethod wrote %d index entries before a lookup built the index", n)
	}
	// Lookups run in write transactions, as the handlers' do: the first
	// builds the index.
	check := func(stage string) {
		t.Helper()
		update(func(tx store.Tx) {
			for _, tt := range tests {
				got, err := smsNumberOwner(tx, tt.user, tt.number)
				if err != nil {
					t.Fatal(err)
				}
				if want := walkNumberOwner(t, tx, tt.user, tt.number); got != want {
					t.Errorf("%s: smsNumberOwner(%s, %q) = %q, the walk of every mobile finds %q", stage, tt.user, tt.number, got, want)
				}
			}
		})
	}
	check("seeded")
	for _, tt := range tests {
		var got string
		update(func(tx store.Tx) {
			var err error
			if got, err = smsNumberOwner(tx, tt.user, tt.number); err != nil {
				t.Fatal(err)
			}
		})
		if got != tt.want {
			t.Errorf("smsNumberOwner(%s, %q) = %q, want %q", tt.user, tt.number, got, tt.want)
		}
	}

	// Changes keep the index: a new number, a deleted phone, a phone
	// stored again with its number (SMS sign-in state changes).
	update(func(tx store.Tx) {
		putPhone(t, tx, "u2", methods.PhoneMobile, "+1 2065550177")
		if err := deleteMethod(tx, "u3", methods.MobilePhoneID); err != nil {
			t.Fatal(err)
		}
		putPhone(t, tx, "u5", methods.PhoneMobile, "4402071838750")
		if err := deleteMethod(tx, "u8", methods.AlternateMobilePhoneID); err != nil {
			t.Fatal(err)
		}
	})
	check("changed")
	kept := indexContents(t, st)
	if _, ok := kept[mobileIndexSentinel]; !ok {
		t.Fatal("putMethod did not mark the index complete")
	}
	for k := range kept {
		if strings.HasSuffix(k, "/u3") || strings.Contains(k, "/1 425") {
			t.Errorf("a stale entry %q is left", k)
		}
	}

	// Built again from the methods, the index is the one putMethod and
	// deleteMethod kept.
	update(func(tx store.Tx) {
		if err := tx.DropBucket(bucketMobileNumbers); err != nil {
			t.Fatal(err)
		}
		if err := buildMobileIndex(tx); err != nil {
			t.Fatal(err)
		}
	})
	if built := indexContents(t, st); !maps.Equal(built, kept) {
		t.Errorf("the built index differs from the kept one:\nbuilt %v\nkept  %v", built, kept)
	}
	check("rebuilt")
}
