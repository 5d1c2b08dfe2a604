package sandboxtest

import "github.com/modx-amocrm/modx-amocrm/internal/sandbox"

// Pipelines of the account a shop ran the old amoCRM extra against
// (modxtest.BuildExtraShop): the shop's own statuses in each, as the
// extra's docs have a shop set them up.
const (
	ExtraMain      = 3001
	ExtraWholesale = 3002
)

// ExtraSeed is the default account with two pipelines whose statuses carry
// the shop's status names: main at 31001.., wholesale at 32001.. (Новый,
// Оплачен, Отправлен, Отменён).
func ExtraSeed() *sandbox.Seed {
	seed := sandbox.DefaultSeed()
	pipeline := func(id int64, name string, main bool) sandbox.Pipeline {
		p := sandbox.Pipeline{ID: id, Name: name, Sort: id, IsMain: main, IsUnsortedOn: true}
		for i, n := range []string{"Новый", "Оплачен", "Отправлен", "Отменён"} {
			p.Statuses = append(p.Statuses, sandbox.Status{ID: (id-3000)*1000 + 30000 + int64(i) + 1, Name: n, Sort: int64(20 + 10*i), IsEditable: true})
		}
		return p
	}
	seed.Pipelines = []sandbox.Pipeline{pipeline(ExtraMain, "Воронка", true), pipeline(ExtraWholesale, "Опт", false)}
	return seed
}
