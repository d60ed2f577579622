package mock

import (
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// Every seeded Temporary Access Pass lies within the tenant's pass policy,
// as Entra requires of a pass when it is issued
// (api-reference/v1.0/resources/temporaryaccesspassauthenticationmethodconfiguration.md).
func TestSeededPassesAreWithinThePolicy(t *testing.T) {
	demo := store.NewMemory()
	if err := demo.Update(func(tx store.Tx) error { return seedDemo(tx, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	synthetic := store.NewMemory()
	if _, err := SeedSynthetic(synthetic, SynthOptions{Users: 2000, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]store.Store{"demo": demo, "synthetic": synthetic} {
		passes := 0
		err := st.View(func(tx store.Tx) error {
			pol, err := tapPolicy(tx)
			if err != nil {
				return err
			}
			return store.ScanJSON(tx, bucketMethods, "", "", func(_ string, m methodRecord) (bool, error) {
				if m.Kind != methods.KindTemporaryAccess {
					return true, nil
				}
				passes++
				if m.LifetimeInMinutes < pol.MinLifetime || m.LifetimeInMinutes > pol.MaxLifetime {
					t.Errorf("%s: pass %s lives %d minutes, outside the policy's %d to %d", name, m.ID, m.LifetimeInMinutes, pol.MinLifetime, pol.MaxLifetime)
				}
				return true, nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if passes == 0 {
			t.Errorf("%s: no seeded passes to check", name)
		}
	}
}
